// The exports every ESM entry point shares as they are (index.js, inlined.js, slim.js,
// workerd.js: `export * from "./exports.js"`): the error classes and the export functions.
// What depends on how an entry loads the wasm (the client, downsample, ready, ...) is made by
// each entry through entry.js.

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
