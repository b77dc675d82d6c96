// Entry point for Cloudflare Workers (workerd, miniflare, wrangler: the `workerd` condition).
// workerd forbids compiling wasm from bytes at run time but imports a `.wasm` file as a
// compiled `WebAssembly.Module`, which is instantiated here at once (synchronously, as workers
// allow). The client keeps its own cookie jar: a worker's fetch has none.
import * as glue from "./wasm/dioptra_metrics.js";
import wasmModule from "./wasm/dioptra_metrics_bg.wasm";
import { attachWasm, loaded } from "./entry.js";

glue.initSync({ module: wasmModule });

attachWasm(loaded(glue));

export * from "./exports.js";
