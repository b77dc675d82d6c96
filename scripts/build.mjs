// Builds the npm package into dist/: cargo (wasm32, release), the wasm-bindgen CLI for the
// `web` and `nodejs` targets (one .wasm serves both), wasm-opt from npm's binaryen (not
// Debian's 108, which corrupts wasm-bindgen output), the JS layer, the types; minifies the
// shipped JavaScript (esbuild, whitespace and syntax only); then prints the sizes of what ships
// and of each entry point.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildSync, transformSync } from "esbuild";
import { sizeReport } from "./sizes.mjs";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");
const tmp = join(root, "target", "bindgen");
const cjsDir = join(root, "target", "js-cjs");
/**
 * The JS layer's modules (js/NAME.js). The ESM entries bundle them from js/; for Node, each gets
 * a CommonJS copy in target/js-cjs/, which dist/node.cjs bundles. Of these only journal-file.cjs
 * ships as a file of its own (required on first use); nothing ships a module no entry loads.
 */
const JS_MODULES = ["errors", "preflight", "journal-idb", "journal", "logger-messages", "logger-lifecycle", "logger", "series", "watch", "export", "exchange", "api", "journal-file"];
/**
 * The ESM entry points (js/NAME.js, see package.json `exports`): each built as ONE module with
 * the JS layer it imports bundled in, so a page fetches one module (then the glue and the wasm,
 * when the first client needs them), not a dozen in waves.
 */
const ESM_ENTRIES = ["index", "inlined", "slim", "workerd"];
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
rmSync(cjsDir, { recursive: true, force: true });
mkdirSync(cjsDir, { recursive: true });
// wasm-opt step. `-Oz` alone inlines functions called once into their callers, which gzips
// worse than not optimizing at all; without that inlining, repeated to a fixed point
// (--converge), the gzipped .wasm is ~10 KB smaller than plain -Oz (measured on this crate).
run(join(root, "node_modules/.bin/wasm-opt"), [
  "-Oz",
  "--one-caller-inline-max-function-size=0",
  "--converge",
  "--enable-bulk-memory",
  "--enable-reference-types",
  "--enable-nontrapping-float-to-int",
  "--enable-sign-ext",
  "--enable-multivalue",
  "--enable-mutable-globals",
  "--strip-debug",
  "--strip-producers",
  "--strip-target-features",
  join(tmp, "web/dioptra_metrics_bg.wasm"),
  "-o",
  join(dist, "wasm/dioptra_metrics_bg.wasm"),
]);

/** `source` with `from` replaced by `to`, which must be there exactly once. */
function patch(source, from, to, what) {
  if (source.split(from).length !== 2) throw new Error(`wasm-bindgen glue changed: cannot patch ${what}`);
  return source.replace(from, () => to);
}
// The web glue: no implicit `new URL("dioptra_metrics_bg.wasm", import.meta.url)` (bundlers would
// emit the asset for every entry, even those that never fetch it); each entry says where its
// wasm comes from.
const webGlue = patch(
  readFileSync(join(tmp, "web/dioptra_metrics.js"), "utf8"),
  "module_or_path = new URL('dioptra_metrics_bg.wasm', import.meta.url);",
  'throw new Error("dioptra-metrics: no wasm given to init()");',
  "the default wasm URL",
);
writeFileSync(join(dist, "wasm/dioptra_metrics.js"), webGlue);
// The nodejs glue: the .wasm beside it, or, in a bundle (esbuild --platform=node: the file is
// not beside the bundle, or there is no __dirname in ESM output), the bytes inlined in
// inline.cjs. Node's modules through process.getBuiltinModule where there is one, so that an
// ESM bundle (which has no `require`) works.
const nodeGlue = patch(
  readFileSync(join(tmp, "nodejs/dioptra_metrics.js"), "utf8"),
  "const wasmPath = `${__dirname}/dioptra_metrics_bg.wasm`;\nconst wasmBytes = require('fs').readFileSync(wasmPath);",
  `const wasmBytes = (() => {
    if (typeof __dirname === "string") {
        try {
            const fs = globalThis.process?.getBuiltinModule?.("node:fs") ?? require("fs");
            return fs.readFileSync(\`\${__dirname}/dioptra_metrics_bg.wasm\`);
        } catch {
            // not beside this file: a bundle
        }
    }
    return require("./inline.cjs").wasmBytes();
})();`,
  "the wasm file read",
);
writeFileSync(join(dist, "wasm/dioptra_metrics.cjs"), nodeGlue);

// The wasm's bytes as JavaScript, for hosts where no asset can be emitted or read: gzipped,
// then base64 (a third of the raw size: the chunk stays under bundlers' 500 kB warning, and
// an inlined entry weighs about what the .wasm does). inline.js (ESM: browsers, workers, Deno,
// Bun) inflates with the standard DecompressionStream, asynchronously; inline.cjs (Node
// bundles, whose glue needs the bytes synchronously) with node:zlib.
const base64 = gzipSync(readFileSync(join(dist, "wasm/dioptra_metrics_bg.wasm")), { level: 9 }).toString("base64");
const inlineHead = `/** The bytes of dioptra_metrics_bg.wasm, gzipped, base64: for hosts where the .wasm file cannot be reached. */
const BASE64 = "${base64}";

/** The gzipped bytes. */
function gzipped() {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(BASE64);
  const text = atob(BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  return bytes;
}
`;
writeFileSync(
  join(dist, "wasm/inline.js"),
  `${inlineHead}
/** A promise of the wasm's bytes. */
async function wasmBytes() {
  const inflated = new Blob([gzipped()]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(inflated).arrayBuffer());
}

export { wasmBytes };
`,
);
writeFileSync(
  join(dist, "wasm/inline.cjs"),
  `"use strict";
${inlineHead}
/** The wasm's bytes (synchronously: Node's glue instantiates at once). */
function wasmBytes() {
  const zlib = globalThis.process?.getBuiltinModule?.("node:zlib") ?? require("zlib");
  return zlib.gunzipSync(gzipped());
}

exports.wasmBytes = wasmBytes;
`,
);

// The JS layer's CommonJS copies (for dist/node.cjs), each made by rewriting its
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
  const cjs = source
    .replace(importLine, (_, names, from) =>
      from.startsWith("node:")
        ? `const {${names}} = globalThis.process?.getBuiltinModule?.("${from}") ?? require("${from}");\n`
        : `const {${names}} = require("${from.replace(/\.js$/, ".cjs")}");\n`,
    )
    .replace(exportBlock, `module.exports = {${match[1]}};\n`);
  writeFileSync(join(cjsDir, `${module}.cjs`), `"use strict";\n${cjs}`);
}
cpSync(join(cjsDir, "journal-file.cjs"), join(dist, "journal-file.cjs"));
cpSync(join(root, "js/index.cjs"), join(dist, "index.cjs"));
// Each function and class keeps its name (`name`, stack traces): esbuild renames one whose
// name a top-level binding of the bundle also has (DioptraClient2), so the build fails if a
// bundle declares a name no source file declares (`class _Name`: esbuild's inner name of a
// class that refers to itself, `var Name = class _Name`, is allowed).
const declared = (text) =>
  new Set(
    [...text.matchAll(/\b(?:class|function\*?)\s+([\w$]+)/g)].map((m) => m[1].replace(/^_(?=[A-Z])/, "")).filter((name) => name !== "extends"),
  );
const sourceNames = new Set(
  readdirSync(join(root, "js"))
    .filter((f) => /\.c?js$/.test(f))
    .flatMap((f) => [...declared(readFileSync(join(root, "js", f), "utf8"))]),
);
/** Throws if the bundle `file` (relative to the root) declares a name that no source declares. */
function keepsNames(file) {
  const renamed = [...declared(readFileSync(join(root, file), "utf8"))].filter((name) => !sourceNames.has(name));
  if (renamed.length > 0) throw new Error(`${file}: the bundle renamed ${renamed.join(", ")}; bind the clashing top-level name under another one`);
}

// The ESM entries, each one bundled module. What stays outside, as separate files named by
// path: the wasm-bindgen glue, the .wasm and its inlined copy (./wasm/*), so that
// `new URL("./wasm/dioptra_metrics_bg.wasm", import.meta.url)` still points at the asset for
// Vite and webpack, and a dynamic `import("./wasm/...")` stays a chunk fetched only when needed.
// Nothing Node-only is reachable from them (journal-file.js, node:*, the CLI): the build fails
// if something is.
const { metafile } = buildSync({
  entryPoints: ESM_ENTRIES.map((name) => join(root, "js", `${name}.js`)),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["./wasm/*"],
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
  absWorkingDir: root,
  outdir: dist,
});
for (const [output, { imports }] of Object.entries(metafile.outputs)) {
  const unexpected = imports.map((i) => i.path).filter((path) => !path.startsWith("./wasm/"));
  if (unexpected.length > 0) throw new Error(`${output} imports what it should bundle or not reach: ${unexpected.join(", ")}`);
}
// The Node entry's runtime (js/node.cjs): bundled with the CommonJS copies it requires into one
// dist/node.cjs, so that require/import reads and compiles one file, not a dozen (~2 ms of
// Node's start-up); the wasm glue and journal-file.cjs stay outside it, required on first use.
// dist/index.cjs stays small: `import` of a CommonJS file scans its whole source for export names.
buildSync({
  stdin: { contents: readFileSync(join(root, "js/node.cjs"), "utf8"), resolveDir: cjsDir, sourcefile: "js/node.cjs", loader: "js" },
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["./wasm/*", "./journal-file.cjs"],
  legalComments: "none",
  logLevel: "warning",
  outfile: join(dist, "node.cjs"),
});
// The command line (bin/dioptra-metrics.mjs imports dist/cli/main.js): ESM only, as written.
cpSync(join(root, "js/cli"), join(dist, "cli"), { recursive: true });
cpSync(join(root, "js/index.d.ts"), join(dist, "index.d.ts"));
cpSync(join(root, "js/index.d.ts"), join(dist, "index.d.cts"));
// dioptra-metrics/slim: the same types, and init().
writeFileSync(
  join(dist, "slim.d.ts"),
  `${readFileSync(join(root, "js/index.d.ts"), "utf8")}
/**
 * Loads the wasm (\`dioptra-metrics/wasm\`) from a URL or URL string, a \`Response\` (or a
 * promise of one), its bytes or a compiled \`WebAssembly.Module\`. Resolves when clients can
 * be used; calls made before it reject with a DioptraError saying to call it.
 * @example
 * import { init, DioptraClient } from "dioptra-metrics/slim";
 * import wasmUrl from "dioptra-metrics/wasm?url"; // Vite; or any URL you serve the file at
 * await init(new URL(wasmUrl, location.href));
 * @throws {DioptraValidationError} (a rejection) when no source is given.
 * @throws {DioptraError} (a rejection) when the wasm cannot be fetched or compiled.
 */
export function init(
  source: string | URL | Response | Promise<Response> | BufferSource | WebAssembly.Module,
): Promise<void>;
`,
);

// Minify step: every shipped .js/.cjs loses its whitespace and comments and gets the syntax
// shortenings that keep names as written (no identifier mangling: stack traces and error
// class names read the same). Types (.d.ts) stay as written.
for (const f of readdirSync(dist, { recursive: true })) {
  if (!/\.(?:js|cjs)$/.test(f)) continue;
  const path = join(dist, f);
  const source = readFileSync(path, "utf8");
  const { code } = transformSync(source, {
    loader: "js",
    format: f.endsWith(".cjs") ? "cjs" : "esm",
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    target: "node20",
  });
  writeFileSync(path, code);
}

// The bundles keep the names of their functions and classes (checked once minified: the
// minifier drops the unused names of function expressions).
for (const name of [...ESM_ENTRIES.map((entry) => `${entry}.js`), "node.cjs"]) keepsNames(`dist/${name}`);

// Size report step: every file that ships, then each entry point's weight.
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
for (const l of sizeReport(root)) console.log(l);
