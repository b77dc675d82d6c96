// Entry point for Node, reached by both `require` and `import` (the `node` condition of the
// package's exports), so a process has one instance of the wasm module either way. Kept small:
// `import` of a CommonJS file scans its source for export names, which costs with its size;
// the runtime is in ./node.cjs (one bundled file), and the wasm is compiled and instantiated on
// first use (a client made, downsample(), ready(), a journal replayed, wasmMemoryBytes()).
"use strict";

const node = require("./node.cjs");
const errors = node.errors;

// Listed one by one (not copied in a loop) so that Node's `import { ... }` of this CommonJS
// entry finds every name.
/** The Dioptra metrics client; it keeps its own cookie jar (Node's fetch has none). */
exports.DioptraClient = node.DioptraClient;
/** The indices to keep for a chart: `downsample(x, y, maxPoints, { method })` → Uint32Array. */
exports.downsample = node.downsample;
/** Resolves once the WebAssembly module is loaded (in Node it loads synchronously on first use). */
exports.ready = node.ready;
/** A series or snapshots as CSV / JSON Lines (special values as Dioptra spells them, RFC 3339 timestamps). */
exports.toCSV = node.toCSV;
exports.toJSONLines = node.toJSONLines;
/** Sends a journal left by a dead process: `await replayJournal(client, path, options)`. */
exports.replayJournal = node.replayJournal;
/** Sends a browser's IndexedDB journals (browsers only: here it rejects, Node has no IndexedDB). */
exports.replayJournals = node.replayJournals;
/** Bytes of wasm memory the package holds (it grows when needed, never shrinks): for watching long runs. */
exports.wasmMemoryBytes = node.wasmMemoryBytes;
exports.DioptraError = errors.DioptraError;
exports.DioptraValidationError = errors.DioptraValidationError;
exports.DioptraApiError = errors.DioptraApiError;
exports.DioptraNetworkError = errors.DioptraNetworkError;
exports.DioptraTimeoutError = errors.DioptraTimeoutError;
exports.DioptraAbortError = errors.DioptraAbortError;
exports.DioptraDecodeError = errors.DioptraDecodeError;
exports.DioptraQueueFullError = errors.DioptraQueueFullError;
exports.DioptraLoggerClosedError = errors.DioptraLoggerClosedError;
exports.DioptraFlushError = errors.DioptraFlushError;
