// Entry point for hosts that match none of the package's named conditions (`browser`, `node`,
// `workerd`): Rollup's node-resolve with its defaults, and bundlers nobody foresaw. The wasm's
// bytes travel in the JavaScript (./wasm/inline.js, gzipped and base64), so nothing depends on a bundler
// emitting an asset; they are compiled when the first client is made. No top-level await.
import * as glue from "./wasm/dioptra_metrics.js";
import { wasmBytes } from "./wasm/inline.js";
import { attachWasm, lazyWasm } from "./entry.js";

const wasm = lazyWasm(async () => {
  await glue.default({ module_or_path: await wasmBytes() });
  return glue;
});

attachWasm(wasm);

export * from "./exports.js";
