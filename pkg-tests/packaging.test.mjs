// The package as users get it: `npm pack`, installed from the tarball into a fresh consumer
// project (support/pack.mjs), then used from Node ESM and CommonJS, type-checked by TypeScript
// through both halves of the exports map, and bundled by Vite. Needs a built dist/ (node
// scripts/build.mjs) but no Dioptra server:
//
//   node --test pkg-tests/packaging.test.mjs

import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { before, test } from "node:test";
import { packAndInstall, repoRoot, run } from "./support/pack.mjs";

/** The command line: its bin and its modules (js/cli/, copied to dist/cli/ by the build). */
const CLI_FILES = [
  "dist/cli/args.js",
  "dist/cli/connect.js",
  "dist/cli/find.js",
  "dist/cli/format.js",
  "dist/cli/lines.js",
  "dist/cli/log.js",
  "dist/cli/main.js",
  "dist/cli/plot.js",
  "dist/cli/progress.js",
  "dist/cli/read.js",
  "dist/cli/watch.js",
  "bin/dioptra-metrics.mjs",
];

/** What the package promises to ship besides package.json (and README.md / LICENSE, if any). */
const SHIPPED = [
  "dist/index.cjs",
  "dist/index.d.cts",
  "dist/index.d.ts",
  "dist/index.js",
  "dist/inlined.js",
  "dist/journal-file.cjs",
  "dist/node.cjs",
  "dist/slim.d.ts",
  "dist/slim.js",
  "dist/wasm/dioptra_metrics.cjs",
  "dist/wasm/dioptra_metrics.js",
  "dist/wasm/dioptra_metrics_bg.wasm",
  "dist/wasm/inline.cjs",
  "dist/wasm/inline.js",
  "dist/workerd.js",
  ...CLI_FILES,
].sort();

/** The runtime exports, the same from every entry point. */
const EXPORTS = [
  "DioptraAbortError",
  "DioptraApiError",
  "DioptraClient",
  "DioptraDecodeError",
  "DioptraError",
  "DioptraFlushError",
  "DioptraLoggerClosedError",
  "DioptraNetworkError",
  "DioptraQueueFullError",
  "DioptraTimeoutError",
  "DioptraValidationError",
  "downsample",
  "ready",
  "replayJournal",
  "replayJournals",
  "toCSV",
  "toJSONLines",
  "wasmMemoryBytes",
];

const TSC = path.join(repoRoot, "node_modules/.bin/tsc");
const VITE = path.join(repoRoot, "node_modules/.bin/vite");
const USAGE_TS = path.join(repoRoot, "examples/typescript/usage.ts");
const EXAMPLE_TSCONFIG = path.join(repoRoot, "examples/typescript/tsconfig.json");

/** @type {string} the consumer project */
let dir;
/** @type {string} the .tgz */
let tarball;
/** @type {string} node_modules/dioptra-metrics in the consumer project */
let installed;

before(async () => {
  ({ dir, tarball } = await packAndInstall());
  installed = path.join(dir, "node_modules/dioptra-metrics");
});

/** Writes `source` to `name` in the consumer project, runs it with node, parses its stdout. */
async function runInConsumer(name, source) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, source);
  const stdout = await run(process.execPath, [file], { cwd: dir, timeout: 30_000 });
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`${name} printed no JSON:\n${stdout}`);
  }
}

// ---- a. What the tarball holds --------------------------------------------------------------

test("the tarball holds exactly package.json, the `files` list, and README/LICENSE if present", async () => {
  const listed = (await run("tar", ["-tzf", tarball]))
    .split("\n")
    .filter(Boolean)
    .map((entry) => {
      assert.ok(entry.startsWith("package/"), `tarball entry outside package/: ${entry}`);
      return entry.slice("package/".length);
    })
    .sort();
  const optional = ["README.md", "LICENSE"].filter((f) => fs.existsSync(path.join(repoRoot, f)));
  assert.deepEqual(listed, ["package.json", ...optional, ...SHIPPED].sort());

  for (const entry of listed) {
    assert.doesNotMatch(entry, /^(src|target|pkg-tests|js|scripts|examples|node_modules)\//, entry);
    assert.doesNotMatch(entry, /\.(rs|tgz|map)$|^Cargo\./, entry);
  }

  const pkg = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8"));
  assert.deepEqual([...pkg.files].sort(), SHIPPED, "package.json `files` changed: update SHIPPED here too");
  assert.equal(pkg.name, "dioptra-metrics");
  assert.equal(pkg.type, "module");
  // Installs offline with nothing else: no runtime dependencies and no install scripts.
  for (const key of ["dependencies", "peerDependencies", "optionalDependencies", "bundleDependencies"]) {
    assert.ok(!pkg[key] || Object.keys(pkg[key]).length === 0, `unexpected ${key}: ${JSON.stringify(pkg[key])}`);
  }
  for (const script of ["preinstall", "install", "postinstall", "prepare"]) {
    assert.equal(pkg.scripts?.[script], undefined, `install-time script "${script}"`);
  }
});

test("the installed `dioptra-metrics` command runs (package.json bin)", async () => {
  const bin = path.join(dir, "node_modules/.bin/dioptra-metrics");
  const help = await run(bin, ["--help"], { cwd: dir, timeout: 30_000 });
  assert.match(help, /^Usage: dioptra-metrics COMMAND/);
});

test("every file package.json points at is in the tarball, and the .wasm is valid", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8"));
  /** Every string leaf of the exports map. */
  const targets = (node) => (typeof node === "string" ? [node] : Object.values(node).flatMap(targets));
  const referenced = [
    ...targets(pkg.exports),
    pkg.main,
    pkg.module,
    pkg.types,
    pkg.browser,
    ...pkg.sideEffects,
  ];
  for (const ref of referenced) {
    assert.match(ref, /^\.\//, `${ref} is not a ./ path`);
    assert.ok(fs.existsSync(path.join(installed, ref)), `package.json points at ${ref}, which is not installed`);
  }
  assert.deepEqual(pkg.exports["."], {
    workerd: { types: "./dist/index.d.ts", default: "./dist/workerd.js" },
    node: { types: "./dist/index.d.cts", default: "./dist/index.cjs" },
    browser: { types: "./dist/index.d.ts", default: "./dist/index.js" },
    types: "./dist/index.d.ts",
    default: "./dist/inlined.js",
  });
  assert.deepEqual(pkg.exports["./slim"], { types: "./dist/slim.d.ts", default: "./dist/slim.js" });
  assert.equal(pkg.exports["./wasm"], "./dist/wasm/dioptra_metrics_bg.wasm");
  const wasm = fs.readFileSync(path.join(installed, "dist/wasm/dioptra_metrics_bg.wasm"));
  assert.ok(WebAssembly.validate(wasm), "dist/wasm/dioptra_metrics_bg.wasm is not a valid module");
});

// ---- b, c. Node: import and require ---------------------------------------------------------

/**
 * A script for the consumer project that uses the installed package with a stubbed `fetch`
 * (it counts calls and fails like a refused connection) and prints what it saw as JSON.
 * `load` is how it gets the package: an import statement or a require call.
 */
function nodeCheck({ load, resolve, wrapAsync }) {
  const body = `
let fetchCalls = 0;
globalThis.fetch = async () => {
  fetchCalls += 1;
  throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED (stub)") });
};
const describe = (e) => ({
  name: e?.name,
  field: e?.field,
  method: e?.method,
  path: e?.path,
  message: typeof e?.message,
  isValidation: e instanceof DioptraValidationError,
  isNetwork: e instanceof DioptraNetworkError,
  isDioptraError: e instanceof DioptraError,
  isError: e instanceof Error,
});
const out = { resolved: ${resolve} };
const client = new DioptraClient("http://127.0.0.1:9", { timeoutMs: 5000 });
out.baseUrl = client.baseUrl;
out.json = JSON.parse(JSON.stringify(client));
out.frozen = Object.isFrozen(client);
try {
  await client.jobs.appendMetricById(1, "1bad", 1);
  out.badName = "resolved";
} catch (e) {
  out.badName = describe(e);
}
out.fetchCallsAfterBadName = fetchCalls;
try {
  new DioptraClient("javascript:x");
  out.badAddress = "constructed";
} catch (e) {
  out.badAddress = describe(e);
}
try {
  await client.jobs.getMetricsById(1);
  out.refused = "resolved";
} catch (e) {
  out.refused = describe(e);
}
out.fetchCalls = fetchCalls;
console.log(JSON.stringify(out));
`;
  return `${load}\n${wrapAsync ? `(async () => {${body}})().catch((e) => { console.error(e); process.exit(1); });` : body}`;
}

/** What nodeCheck's script must print, from ESM and CommonJS alike. */
function assertNodeCheck(out) {
  assert.equal(
    out.resolved,
    path.join(installed, "dist/index.cjs"),
    "Node must resolve the package to the installed dist/index.cjs (the `node` condition)",
  );
  assert.equal(out.baseUrl, "http://127.0.0.1:9/api/v1");
  assert.deepEqual(out.json, { baseUrl: "http://127.0.0.1:9/api/v1" });
  assert.equal(out.frozen, true);
  // (A validation error has no method or path: JSON drops those undefined keys.)
  const validation = { message: "string", isValidation: true, isNetwork: false, isDioptraError: true, isError: true };
  assert.deepEqual(out.badName, { name: "DioptraValidationError", field: "metricName", ...validation });
  assert.equal(out.fetchCallsAfterBadName, 0, "a refused metric name must send nothing");
  assert.deepEqual(out.badAddress, { name: "DioptraValidationError", field: "address", ...validation });
  // A valid call does reach (the stubbed) fetch, so the 0 above means something.
  assert.equal(out.fetchCalls, 1);
  assert.equal(out.refused.name, "DioptraNetworkError");
  assert.equal(out.refused.isNetwork, true);
  assert.equal(out.refused.isDioptraError, true);
  assert.equal(out.refused.method, "GET");
  assert.match(out.refused.path, /\/jobs\/1\/metrics$/);
}

test("Node ESM: import from the installed package", async () => {
  const out = await runInConsumer(
    "check-esm.mjs",
    nodeCheck({
      load: `import { DioptraClient, DioptraError, DioptraNetworkError, DioptraValidationError } from "dioptra-metrics";\nimport { fileURLToPath } from "node:url";`,
      resolve: `fileURLToPath(import.meta.resolve("dioptra-metrics"))`,
      wrapAsync: false,
    }),
  );
  assertNodeCheck(out);
});

test("Node CommonJS: require the installed package", async () => {
  const out = await runInConsumer(
    "check-cjs.cjs",
    nodeCheck({
      load: `"use strict";\nconst { DioptraClient, DioptraError, DioptraNetworkError, DioptraValidationError } = require("dioptra-metrics");`,
      resolve: `require.resolve("dioptra-metrics")`,
      wrapAsync: true,
    }),
  );
  assertNodeCheck(out);
});

// ---- d. One instance per process ------------------------------------------------------------

test("Node: import and require share one instance of the package", async () => {
  const out = await runInConsumer(
    "check-one-instance.mjs",
    `import { createRequire } from "node:module";
const cjs = createRequire(import.meta.url)("dioptra-metrics");
const esm = await import("dioptra-metrics");
let crossInstanceof;
try {
  new esm.DioptraClient("javascript:x");
} catch (e) {
  crossInstanceof = e instanceof cjs.DioptraValidationError && e instanceof cjs.DioptraError;
}
console.log(JSON.stringify({
  sameClass: ${JSON.stringify(EXPORTS)}.filter((k) => typeof esm[k] === "function" && esm[k] === cjs[k]),
  sameDefault: esm.default === cjs,
  crossInstanceof,
  esmKeys: Object.keys(esm).sort(),
  cjsKeys: Object.keys(cjs).sort(),
}));
`,
  );
  assert.deepEqual(out.sameClass, EXPORTS, "each export must be the same object via import and require");
  assert.equal(out.sameDefault, true);
  assert.equal(out.crossInstanceof, true);
  assert.deepEqual(out.esmKeys, [...EXPORTS, "default"].sort());
  assert.deepEqual(out.cjsKeys, EXPORTS);
});

test("the default-condition entry (dist/index.js) finds its .wasm beside itself and exports the same API", async () => {
  // Browsers and bundlers get dist/index.js, which fetches new URL("./wasm/...", import.meta.url).
  // Node's fetch cannot read file: URLs, so this stub serves them; it records what was asked for.
  const out = await runInConsumer(
    "check-browser-entry.mjs",
    `import fs from "node:fs";
import { fileURLToPath } from "node:url";
const fetched = [];
globalThis.fetch = async (url) => {
  fetched.push(String(url));
  return new Response(fs.readFileSync(new URL(url)), { headers: { "content-type": "application/wasm" } });
};
const entry = new URL("./node_modules/dioptra-metrics/dist/index.js", import.meta.url);
const m = await import(entry);
let err;
try {
  await new m.DioptraClient("http://127.0.0.1:9").jobs.appendMetricById(1, "1bad", 1);
} catch (e) {
  err = { name: e.name, field: e.field, isValidation: e instanceof m.DioptraValidationError };
}
console.log(JSON.stringify({ keys: Object.keys(m).sort(), fetched: fetched.map((u) => fileURLToPath(u)), err }));
`,
  );
  assert.deepEqual(out.keys, EXPORTS);
  assert.deepEqual(out.fetched, [path.join(installed, "dist/wasm/dioptra_metrics_bg.wasm")]);
  assert.deepEqual(out.err, { name: "DioptraValidationError", field: "metricName", isValidation: true });
});

// ---- e. TypeScript --------------------------------------------------------------------------

/** Runs the repo's tsc; resolves to { code, output } (it does not reject on type errors). */
function tsc(args) {
  return run(TSC, args, { cwd: dir, timeout: 120_000 }).then(
    (output) => ({ code: 0, output }),
    (err) => ({ code: 1, output: err.message }),
  );
}

/**
 * Type-checks a copy of usage.ts (named `file`, plus `extra` lines) in the consumer project,
 * with examples/typescript/tsconfig.json's options and the given module settings.
 */
async function typecheck(name, file, compilerOptions, extra = "") {
  fs.writeFileSync(path.join(dir, file), fs.readFileSync(USAGE_TS, "utf8") + extra);
  const config = path.join(dir, `tsconfig.${name}.json`);
  fs.writeFileSync(
    config,
    JSON.stringify({ extends: EXAMPLE_TSCONFIG, compilerOptions, files: [file] }, null, 2),
  );
  return tsc(["--strict", "--noEmit", "--listFiles", "-p", config]);
}

const MODES = [
  {
    name: "node16-esm",
    file: "usage.mts",
    compilerOptions: { module: "node16", moduleResolution: "node16" },
    types: "dist/index.d.cts",
  },
  {
    name: "node16-cjs",
    file: "usage.cts",
    compilerOptions: { module: "node16", moduleResolution: "node16" },
    types: "dist/index.d.cts",
  },
  {
    name: "bundler",
    file: "usage.ts",
    compilerOptions: { module: "esnext", moduleResolution: "bundler" },
    types: "dist/index.d.ts",
  },
];

test("TypeScript: examples/typescript/usage.ts type-checks against the installed package", { concurrency: true }, async (t) => {
  const declared = fs.readFileSync(path.join(installed, "dist/index.d.ts"), "utf8");
  assert.equal(fs.readFileSync(path.join(installed, "dist/index.d.cts"), "utf8"), declared, "the .d.ts and .d.cts differ");

  await Promise.all([
    ...MODES.map((mode) =>
      t.test(`moduleResolution ${mode.name.replace("-", ", importer ")}: resolves ${mode.types}, exit 0`, async () => {
        const { code, output } = await typecheck(mode.name, mode.file, mode.compilerOptions);
        assert.equal(code, 0, output);
        const files = output.split("\n").map((l) => l.trim());
        const other = mode.types.endsWith(".d.cts") ? "dist/index.d.ts" : "dist/index.d.cts";
        assert.ok(files.includes(path.join(installed, mode.types)), `tsc did not read ${mode.types}:\n${output}`);
        assert.ok(!files.includes(path.join(installed, other)), `tsc read ${other}:\n${output}`);
        const tsLib = path.join(repoRoot, "node_modules/typescript/lib/");
        assert.ok(
          !files.some((f) => f.startsWith(repoRoot) && !f.startsWith(tsLib)),
          `tsc read files from the repository, not only the installed package:\n${output}`,
        );
      }),
    ),
    ...["node16-esm", "bundler"].map((name) =>
      t.test(`a broken copy fails (${name})`, async () => {
        const mode = MODES.find((m) => m.name === name);
        const file = mode.file.replace("usage", "broken");
        const lines = fs.readFileSync(USAGE_TS, "utf8").split("\n").length;
        const { code, output } = await typecheck(`${name}-broken`, file, mode.compilerOptions, "client.jobs.getMetricsById();\n");
        assert.notEqual(code, 0, "tsc accepted a call with a missing argument");
        assert.match(output, new RegExp(`${file.replace(".", "\\.")}\\(${lines},\\d+\\): error TS2554`), output);
      }),
    ),
    t.test("examples/typescript/tsconfig.json type-checks in the repository (for readers)", async () => {
      const { code, output } = await run(TSC, ["--strict", "--noEmit", "-p", "examples/typescript"], {
        cwd: repoRoot,
        timeout: 120_000,
      }).then(
        (o) => ({ code: 0, output: o }),
        (e) => ({ code: 1, output: e.message }),
      );
      assert.equal(code, 0, output);
    }),
  ]);
});

test("TypeScript: usage.ts uses every export, method, option and error field", () => {
  const ts = createRequire(path.join(repoRoot, "package.json"))("typescript");
  const source = ts.createSourceFile("index.d.ts", fs.readFileSync(path.join(installed, "dist/index.d.ts"), "utf8"), ts.ScriptTarget.Latest);
  const names = new Set();
  for (const statement of source.statements) {
    if (!statement.name) continue;
    names.add(statement.name.text);
    for (const member of statement.members ?? []) {
      if (member.name && ts.isIdentifier(member.name)) names.add(member.name.text);
    }
  }
  assert.ok(names.size > 40, `found only ${names.size} names in index.d.ts`);
  const usage = fs.readFileSync(USAGE_TS, "utf8");
  const missing = [...names].filter((n) => !new RegExp(`\\b${n}\\b`).test(usage));
  assert.deepEqual(missing, [], "examples/typescript/usage.ts does not use these declarations or members");
});

// ---- f. A bundler: Vite ---------------------------------------------------------------------

test("Vite 7 builds a browser app that imports the package, with the .wasm as an asset", async () => {
  const app = path.join(dir, "vite-app");
  fs.rmSync(app, { recursive: true, force: true });
  fs.mkdirSync(app);
  fs.writeFileSync(
    path.join(app, "index.html"),
    `<!doctype html>\n<html><body><script type="module" src="./main.js"></script></body></html>\n`,
  );
  fs.writeFileSync(
    path.join(app, "main.js"),
    `import { DioptraClient } from "dioptra-metrics";\nconst client = new DioptraClient("http://localhost:5000");\ndocument.body.textContent = client.baseUrl;\n`,
  );
  await run(VITE, ["build", "--logLevel", "warn"], { cwd: app, timeout: 120_000 });

  const assets = fs.readdirSync(path.join(app, "dist/assets"));
  const wasm = assets.filter((f) => f.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `expected one .wasm asset, got ${assets.join(", ")}`);
  assert.ok(
    fs.readFileSync(path.join(app, "dist/assets", wasm[0])).equals(fs.readFileSync(path.join(installed, "dist/wasm/dioptra_metrics_bg.wasm"))),
    "the emitted .wasm differs from the package's",
  );
  const js = assets.filter((f) => f.endsWith(".js")).map((f) => fs.readFileSync(path.join(app, "dist/assets", f), "utf8")).join("\n");
  assert.ok(js.includes(`/assets/${wasm[0]}`), "the bundle does not reference the emitted .wasm");
  // The browser build took the default condition (dist/index.js), not Node's CommonJS entry.
  assert.doesNotMatch(js, /__dirname|require\(|dioptra_metrics\.cjs/);
});
