// Entry point for browsers (`<script type="module">`, devtools `await import(...)`) and
// bundlers: loads the wasm beside this file, then exports the API. No init call is needed.
import init, { WasmClient, wasmMemoryBytes, downsampleIndices } from "./wasm/dioptra_metrics.js";
import { defineClient, defineDownsample, makeReplayJournal, pageOrigin } from "./api.js";
import { replayIdbJournals } from "./journal-idb.js";

await init({ module_or_path: new URL("./wasm/dioptra_metrics_bg.wasm", import.meta.url) });

/** The Dioptra metrics client. */
export const DioptraClient = defineClient({
  WasmClient,
  keepCookies: typeof document === "undefined" && typeof globalThis.process?.versions?.node === "string",
  defaultAddress: pageOrigin,
  downsampleIndices,
});

/** The indices to keep for a chart: `downsample(x, y, maxPoints, { method })` → Uint32Array. */
export const downsample = defineDownsample(downsampleIndices);

/** A series or snapshots as CSV / JSON Lines (special values as Dioptra spells them, RFC 3339 timestamps). */
export { toCSV, toJSONLines } from "./export.js";

/** Sends a journal left by a dead process (Node only: here it rejects, there are no journal files). */
export const replayJournal = makeReplayJournal();

/** Sends the IndexedDB journals closed tabs of this origin left, every job, once: `await replayJournals(client?, options?)`. */
export const replayJournals = (client, options) => replayIdbJournals(client, options, () => new DioptraClient());

/** Bytes of wasm memory the package holds (it grows when needed, never shrinks): for watching long runs. */
export { wasmMemoryBytes };

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
