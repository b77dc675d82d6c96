// `dioptra-metrics/slim`: the API with no wasm attached, for hosts nobody foresaw. Give it the
// wasm once with `await init(source)`: a URL or path string, a `Response` (or a promise of one),
// the bytes (ArrayBuffer / typed array) or a compiled `WebAssembly.Module`. The file ships as
// `dioptra-metrics/wasm`. A call made before init() rejects with a DioptraError saying so.
import * as glue from "./wasm/dioptra_metrics.js";
import { attachWasm, lazyWasm } from "./entry.js";
import { DioptraValidationError } from "./errors.js";

let given;

const wasm = lazyWasm(() => {
  if (given === undefined) {
    throw new Error('call init(wasm) from "dioptra-metrics/slim" first (a URL, a Response, the bytes or a WebAssembly.Module)');
  }
  return glue.default({ module_or_path: given }).then(() => glue);
});

/**
 * Loads the wasm from `source` (a URL, URL string, Response, bytes or WebAssembly.Module);
 * resolves when the client can be used. Later calls resolve at once.
 */
export function init(source) {
  if (arguments.length !== 1 || source === undefined || source === null) {
    return Promise.reject(
      new DioptraValidationError("init() takes the wasm: a URL, a Response, the bytes or a WebAssembly.Module", {
        field: "source",
      }),
    );
  }
  given ??= source;
  return wasm.load();
}

attachWasm(wasm);

export * from "./exports.js";
