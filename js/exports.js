// The exports every ESM entry point shares (index.js, inlined.js, slim.js, workerd.js:
// `export * from "./exports.js"`): the API over the wasm, which each entry attaches to the way
// it loads the wasm (entry.js attachWasm), the error classes and the export functions.

export { DioptraClient, downsample, ready, replayJournal, replayJournals, wasmMemoryBytes } from "./entry.js";

/** A series or snapshots as CSV / JSON Lines (special values as Dioptra spells them, RFC 3339 timestamps). */
export { toCSV, toJSONLines } from "./export.js";

export {
  DioptraError,
  DioptraValidationError,
  DioptraApiError,
  DioptraNetworkError,
  DioptraTimeoutError,
  DioptraAbortError,
  DioptraDecodeError,
  DioptraQueueFullError,
  DioptraLoggerClosedError,
  DioptraFlushError,
} from "./errors.js";
