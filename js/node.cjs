// The Node entry's runtime (js/index.cjs re-exports it name by name). The build bundles this
// file and the JS layer it requires (api.cjs and its modules) into one dist/node.cjs: one file to
// read and compile at require/import instead of a dozen. The wasm glue and the journal's file
// storage stay separate files, required on first use.
"use strict";

const api = require("./api.cjs");
const errors = require("./errors.cjs");
/**
 * The journal's file storage (./journal-file.cjs, kept out of the bundle: it needs no sibling),
 * required when a journal file is first opened, not at import.
 */
const openJournalFile = (...args) => require("./journal-file.cjs").openJournalFile(...args);
const journalIdb = require("./journal-idb.cjs");

let glue;
/**
 * The wasm-bindgen glue, required on first use (a client made, downsample(), a journal replayed,
 * wasmMemoryBytes()), not at require/import: requiring it compiles and instantiates the wasm,
 * synchronously (Node allows it), so every synchronous API still works. Node caches the module
 * only once it loaded, so after a failure the next use tries again.
 */
function wasm() {
  if (glue === undefined) {
    try {
      glue = require("./wasm/dioptra_metrics.cjs");
    } catch (err) {
      throw errors.wasmLoadError(err);
    }
  }
  return glue;
}
/** `new WasmClient(...)` of the glue, loaded then (a constructor that returns the glue's object). */
function WasmClient(...args) {
  return new (wasm().WasmClient)(...args);
}
const downsampleIndices = (...args) => wasm().downsampleIndices(...args);
const WasmJournal = { replay: (bytes) => wasm().WasmJournal.replay(bytes) };

// The exported client and functions are bound under other names than the public ones: in the
// bundle, a top-level `DioptraClient`, `toCSV` or `replayIdbJournals` would make esbuild rename
// the class or function of that name inside it, and so its `name` (DioptraClient2, toCSV2).
/** The Dioptra metrics client; it keeps its own cookie jar (Node's fetch has none). */
const Client = api.defineClient({
  WasmClient,
  keepCookies: true,
  defaultAddress: () => undefined,
  openJournalFile,
  downsampleIndices,
});
/** The indices to keep for a chart: `downsample(x, y, maxPoints, { method })` → Uint32Array. */
const downsample = api.defineDownsample(downsampleIndices);
/** Resolves once the WebAssembly module is loaded: in Node it loads (synchronously) here if not yet. */
const ready = () => {
  try {
    wasm();
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err);
  }
};
/** A series or snapshots as CSV / JSON Lines (special values as Dioptra spells them, RFC 3339 timestamps). */
const exportFormats = require("./export.cjs");
/** Sends a journal left by a dead process: `await replayJournal(client, path, options)`. */
const replayJournal = api.makeReplayJournal({ openFile: openJournalFile, WasmJournal });
/** Sends a browser's IndexedDB journals (browsers only: here it rejects, Node has no IndexedDB). */
const replayJournals = (client, options) => journalIdb.replayIdbJournals(client, options, () => new Client());
/** Bytes of wasm memory the package holds (it grows when needed, never shrinks): for watching long runs. */
const wasmMemoryBytes = () => wasm().wasmMemoryBytes();
module.exports = {
  DioptraClient: Client,
  downsample,
  ready,
  toCSV: exportFormats.toCSV,
  toJSONLines: exportFormats.toJSONLines,
  replayJournal,
  replayJournals,
  wasmMemoryBytes,
  errors,
};
