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
/** The JS layer's modules (js/NAME.js), each shipped as ESM and as a CommonJS copy. */
const JS_MODULES = ["errors", "journal-idb", "journal", "logger", "series", "watch", "export", "api", "journal-file"];
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

// The JS layer: ESM modules as written, and a CommonJS copy of each made by rewriting its
// imports (`import { ... } from "./x.js"` of siblings, `from "node:..."` of Node's own modules)
// into `require`s and its one `export { ... };` into `module.exports`.
const importLine = /^import \{([^}]*)\} from "(\.\/[\w-]+\.js|node:[a-z_/]+)";\s*$/gm;
const exportBlock = /^export \{([^}]*)\};\s*$/m;
for (const module of JS_MODULES) {
  const source = readFileSync(join(root, "js", `${module}.js`), "utf8");
  const match = source.match(exportBlock);
  const rest = source.replace(exportBlock, "").replace(importLine, "");
  if (!match || /^\s*(import|export)\b/m.test(rest)) {
    throw new Error(`js/${module}.js: only sibling or node: imports and exactly one \`export { ... };\` statement are allowed`);
  }
  writeFileSync(join(dist, `${module}.js`), source);
  const cjs = source
    .replace(importLine, (_, names, from) => `const {${names}} = require("${from.replace(/\.js$/, ".cjs")}");\n`)
    .replace(exportBlock, `module.exports = {${match[1]}};\n`);
  writeFileSync(join(dist, `${module}.cjs`), `"use strict";\n${cjs}`);
}
for (const file of ["index.js", "index.cjs"]) {
  cpSync(join(root, "js", file), join(dist, file));
}
// The command line (bin/dioptra-metrics.mjs imports dist/cli/main.js): ESM only, as written.
cpSync(join(root, "js/cli"), join(dist, "cli"), { recursive: true });
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
