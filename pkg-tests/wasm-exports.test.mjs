// The shipped wasm module's exports against a V8 defect of Node 20 (V8 11.3): TurboFan inlines
// a call to a wasm export into the optimized JavaScript that makes it, and if that JavaScript
// is deoptimized while the call runs (anything the call does in JavaScript can cause it), V8
// aborts the whole process ("Fatal error ... unreachable code", SIGTRAP) when the export's only
// result is an externref. The package's exports that hand back an object return a `Result`
// instead (src/wasm/mod.rs, `OutOfLine`), which V8 never inlines.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { functionExports } from "./support/wasm-exports.mjs";

const WASM = fileURLToPath(new URL("../dist/wasm/dioptra_metrics_bg.wasm", import.meta.url));
const NUMBER_TYPES = ["i32", "i64", "f32", "f64"];

test("no export of the shipped wasm module has a lone reference result (what Node 20 inlines and cannot deoptimize)", () => {
  const exports = functionExports(fs.readFileSync(WASM));
  assert.ok(exports.some((e) => e.name === "wasmclient_finish"), `the module's exports were not read: ${exports.map((e) => e.name)}`);
  const lone = exports.filter((e) => e.results.length === 1 && !NUMBER_TYPES.includes(e.results[0]));
  assert.deepEqual(
    lone.map((e) => `${e.name}: (${e.params}) -> ${e.results}`),
    [],
    "return OutOfLine<T> (src/wasm/mod.rs) from these",
  );
});

test("a hot function deoptimized during a wasm call of the package (logger.stats) goes on: the process is not aborted", async () => {
  const child = fileURLToPath(new URL("./fixtures/deopt-during-call-child.mjs", import.meta.url));
  const { code, signal, stdout, stderr } = await new Promise((resolve) =>
    // Optimized on the main thread, when it gets hot: the same on a busy machine.
    execFile(process.execPath, ["--trace-deopt", "--no-concurrent-recompilation", child], { cwd: fileURLToPath(new URL(".", import.meta.url)), maxBuffer: 64 << 20, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error?.code ?? 0, signal: error?.signal ?? null, stdout, stderr }),
    ),
  );
  const seen = `exit ${code}, signal ${signal}; stderr: ${stderr.slice(0, 600)}`;
  // The scenario happened: the function was deoptimized lazily (during a call).
  assert.match(stdout, /kind: deopt-lazy[^\n]*<JSFunction hotStatsRead/, `no lazy deopt of hotStatsRead was traced; ${seen}`);
  assert.equal(signal, null, seen);
  assert.equal(code, 0, seen);
  assert.match(stdout, /^survived$/m, seen);
});
