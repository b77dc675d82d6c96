// Builds the npm package into dist/: cargo (wasm32, release), the wasm-bindgen CLI for the
// `web` and `nodejs` targets (one .wasm serves both), wasm-opt -Oz from npm's binaryen (not
// Debian's 108, which corrupts wasm-bindgen output), the JS layer, the types; then prints
// the sizes of what ships.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");
const tmp = join(root, "target", "bindgen");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });

run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--quiet"]);
const raw = join(root, "target/wasm32-unknown-unknown/release/dioptra_metrics.wasm");

rmSync(tmp, { recursive: true, force: true });
for (const target of ["web", "nodejs"]) {
  run("wasm-bindgen", ["--target", target, "--out-dir", join(tmp, target), "--out-name", "dioptra_metrics", raw]);
}
const webWasm = readFileSync(join(tmp, "web/dioptra_metrics_bg.wasm"));
const nodeWasm = readFileSync(join(tmp, "nodejs/dioptra_metrics_bg.wasm"));
if (!webWasm.equals(nodeWasm)) {
  throw new Error("the web and nodejs targets emitted different .wasm files; one file cannot serve both");
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "wasm"), { recursive: true });
run(join(root, "node_modules/.bin/wasm-opt"), [
  "-Oz",
  "--enable-bulk-memory",
  "--enable-reference-types",
  "--enable-nontrapping-float-to-int",
  "--enable-sign-ext",
  "--enable-multivalue",
  "--enable-mutable-globals",
  "--strip-debug",
  "--strip-producers",
  join(tmp, "web/dioptra_metrics_bg.wasm"),
  "-o",
  join(dist, "wasm/dioptra_metrics_bg.wasm"),
]);
cpSync(join(tmp, "web/dioptra_metrics.js"), join(dist, "wasm/dioptra_metrics.js"));
cpSync(join(tmp, "nodejs/dioptra_metrics.js"), join(dist, "wasm/dioptra_metrics.cjs"));

// The JS layer: ESM as written, and CommonJS copies of api.js and journal-file.js made by
// rewriting their `import { ... } from "node:..."` statements (the only imports allowed) into
// `require`s and their one `export { ... }` statement into `module.exports`.
for (const name of ["api", "journal-file"]) {
  const source = readFileSync(join(root, `js/${name}.js`), "utf8");
  const exportBlock = /^export \{([^}]*)\};\s*$/m;
  const nodeImport = /^import \{([^}]*)\} from "(node:[a-z_/]+)";$/gm;
  const match = source.match(exportBlock);
  if (!match || /^\s*(import|export)\b/m.test(source.replace(exportBlock, "").replace(nodeImport, ""))) {
    throw new Error(`js/${name}.js must import only { ... } from "node:..." and have exactly one \`export { ... };\` statement`);
  }
  writeFileSync(join(dist, `${name}.js`), source);
  writeFileSync(
    join(dist, `${name}.cjs`),
    `"use strict";\n${source
      .replace(nodeImport, (_, names, from) => `const {${names}} = require("${from}");`)
      .replace(exportBlock, `module.exports = {${match[1]}};\n`)}`,
  );
}
for (const file of ["index.js", "index.cjs"]) {
  cpSync(join(root, "js", file), join(dist, file));
}
cpSync(join(root, "js/index.d.ts"), join(dist, "index.d.ts"));
cpSync(join(root, "js/index.d.ts"), join(dist, "index.d.cts"));

// Sizes of what ships.
const files = readdirSync(dist, { recursive: true })
  .map((f) => join(dist, f))
  .filter((f) => statSync(f).isFile())
  .sort();
let line = (name, bytes, gz) => `${name.padEnd(34)} ${String(bytes).padStart(8)} B ${String(gz).padStart(8)} B gzip`;
console.log("dist/ (what ships):");
for (const f of files) {
  const body = readFileSync(f);
  console.log("  " + line(f.slice(dist.length + 1), body.length, gzipSync(body, { level: 9 }).length));
}
