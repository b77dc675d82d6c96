// Entry point for Node, reached by both `require` and `import` (the `node` condition of the
// package's exports), so a process has one instance of the wasm module either way.
"use strict";

const { WasmClient, WasmJournal, wasmMemoryBytes } = require("./wasm/dioptra_metrics.cjs");
const api = require("./api.cjs");
const { openJournalFile } = require("./journal-file.cjs");

/** The Dioptra metrics client; it keeps its own cookie jar (Node's fetch has none). */
exports.DioptraClient = api.defineClient({
  WasmClient,
  keepCookies: true,
  defaultAddress: () => undefined,
  openJournalFile,
});
/** Sends a journal left by a dead process: `await replayJournal(client, path, options)`. */
exports.replayJournal = api.makeReplayJournal({ openFile: openJournalFile, WasmJournal });
/** Bytes of wasm memory the package holds (it grows when needed, never shrinks): for watching long runs. */
exports.wasmMemoryBytes = wasmMemoryBytes;
exports.DioptraError = api.DioptraError;
exports.DioptraValidationError = api.DioptraValidationError;
exports.DioptraApiError = api.DioptraApiError;
exports.DioptraNetworkError = api.DioptraNetworkError;
exports.DioptraTimeoutError = api.DioptraTimeoutError;
exports.DioptraAbortError = api.DioptraAbortError;
exports.DioptraDecodeError = api.DioptraDecodeError;
exports.DioptraQueueFullError = api.DioptraQueueFullError;
exports.DioptraLoggerClosedError = api.DioptraLoggerClosedError;
exports.DioptraFlushError = api.DioptraFlushError;
