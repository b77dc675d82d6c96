// Entry point for hosts that match none of the package's named conditions (`browser`, `node`,
// `workerd`): Rollup's node-resolve with its defaults, and bundlers nobody foresaw. The wasm's
// bytes travel in the JavaScript (./wasm/inline.js, gzipped and base64), so nothing depends on a bundler
// emitting an asset; they are compiled when the first client is made. No top-level await.
import * as glue from "./wasm/dioptra_metrics.js";
import { wasmBytes } from "./wasm/inline.js";
import { lazyWasm, makeApi } from "./entry.js";

const wasm = lazyWasm(async () => {
  await glue.default({ module_or_path: await wasmBytes() });
  return glue;
});

// The API, bound under other names and exported under the public ones: in the bundle
// (scripts/build.mjs), a top-level `DioptraClient` or `downsample` would make esbuild rename the
// class or function of that name inside it, and so its `name` (DioptraClient2).
const api = makeApi(wasm);
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
