// Entry point for Cloudflare Workers (workerd, miniflare, wrangler: the `workerd` condition).
// workerd forbids compiling wasm from bytes at run time but imports a `.wasm` file as a
// compiled `WebAssembly.Module`, which is instantiated here at once (synchronously, as workers
// allow). The client keeps its own cookie jar: a worker's fetch has none.
import * as glue from "./wasm/dioptra_metrics.js";
import wasmModule from "./wasm/dioptra_metrics_bg.wasm";
import { LOADED, makeApi } from "./entry.js";

glue.initSync({ module: wasmModule });

/** The Dioptra metrics client. */
export const { DioptraClient, downsample, ready, replayJournal, replayJournals, wasmMemoryBytes } = makeApi(glue, LOADED);

export * from "./exports.js";
