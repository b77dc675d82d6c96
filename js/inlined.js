// Entry point for hosts that match none of the package's named conditions (`browser`, `node`,
// `workerd`): Rollup's node-resolve with its defaults, and bundlers nobody foresaw. The wasm's
// bytes travel in the JavaScript (./wasm/inline.js, gzipped and base64), so nothing depends on a bundler
// emitting an asset; they are compiled when the first client is made. No top-level await.
import * as glue from "./wasm/dioptra_metrics.js";
import { wasmBytes } from "./wasm/inline.js";
import { lazyWasm, makeApi } from "./entry.js";

const wasm = lazyWasm(async () => glue.default({ module_or_path: await wasmBytes() }));

/** The Dioptra metrics client. */
export const { DioptraClient, downsample, ready, replayJournal, replayJournals, wasmMemoryBytes } = makeApi(glue, wasm);

export * from "./exports.js";
