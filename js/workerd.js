// Entry point for Cloudflare Workers (workerd, miniflare, wrangler: the `workerd` condition).
// workerd forbids compiling wasm from bytes at run time but imports a `.wasm` file as a
// compiled `WebAssembly.Module`, which is instantiated here at once (synchronously, as workers
// allow). The client keeps its own cookie jar: a worker's fetch has none.
import * as glue from "./wasm/dioptra_metrics.js";
import wasmModule from "./wasm/dioptra_metrics_bg.wasm";
import { loaded, makeApi } from "./entry.js";

glue.initSync({ module: wasmModule });

// The API, bound under other names and exported under the public ones: in the bundle
// (scripts/build.mjs), a top-level `DioptraClient` or `downsample` would make esbuild rename the
// class or function of that name inside it, and so its `name` (DioptraClient2).
const api = makeApi(loaded(glue));
const apiClient = api.DioptraClient;
const apiDownsample = api.downsample;
const apiReady = api.ready;
const apiReplayJournal = api.replayJournal;
const apiReplayJournals = api.replayJournals;
const apiWasmMemoryBytes = api.wasmMemoryBytes;
export {
  /** The Dioptra metrics client. */
  apiClient as DioptraClient,
  apiDownsample as downsample,
  apiReady as ready,
  apiReplayJournal as replayJournal,
  apiReplayJournals as replayJournals,
  apiWasmMemoryBytes as wasmMemoryBytes,
};

export * from "./exports.js";
