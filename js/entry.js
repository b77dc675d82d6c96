// What the ESM entry points share (index.js for browsers and asset-emitting bundlers,
// inlined.js where a bundler drops assets, slim.js, workerd.js): the wasm module loaded once,
// on demand, and the API built over it. The entries differ only in how they find the wasm.
import { defineClient, defineDownsample, makeReplayJournal, pageOrigin } from "./api.js";
import { DioptraError, wasmLoadError } from "./errors.js";
import { replayIdbJournals } from "./journal-idb.js";

/**
 * Whether the host has a browser's cookie store: a page (`document`), or a browser's worker
 * (its user agent starts with `Mozilla/`). Everywhere else (Node, Deno, Bun, workerd and other
 * workers) `fetch` keeps no cookies, so the client keeps its own jar.
 */
function hasBrowserCookieStore() {
  if (typeof document === "object" && document !== null) return true;
  const inWorker = typeof WorkerGlobalScope === "function" && globalThis instanceof WorkerGlobalScope;
  return inWorker && /^Mozilla\//.test(globalThis.navigator?.userAgent ?? "");
}

/**
 * The wasm module, instantiated once by `instantiate()` (async: resolves to the wasm-bindgen
 * glue, ready to use) when first needed: `{ ready(), load(), glue() }`. A failed load rejects
 * with a DioptraError naming the cause, and the next call tries again.
 */
function lazyWasm(instantiate) {
  let glue;
  let loading = null;
  return {
    ready: () => glue !== undefined,
    glue: () => glue,
    load() {
      if (glue !== undefined) return Promise.resolve();
      loading ??= Promise.resolve()
        .then(instantiate)
        .then(
          (loaded) => {
            glue = loaded;
          },
          (err) => {
            loading = null;
            throw wasmLoadError(err);
          },
        );
      return loading;
    },
  };
}

/** The wasm of an entry whose glue is loaded already (workerd imports the module and instantiates it at once). */
const loaded = (glue) => ({ ready: () => true, glue: () => glue, load: () => Promise.resolve() });

/**
 * The runtime API of an ESM entry over its wasm loader `wasm` (lazyWasm or loaded): the glue's
 * classes and functions are reached through `wasm.glue()`, so an entry may import the glue
 * itself only when the module is first needed.
 */
function makeApi(wasm) {
  // downsample() is synchronous: it needs the module loaded (by the first client, or ready()).
  const downsampleIndices = (...args) => {
    if (!wasm.ready()) {
      throw new DioptraError("downsample() needs the WebAssembly module, which is still loading: `await ready()` (exported beside it) first");
    }
    return wasm.glue().downsampleIndices(...args);
  };
  /** `new WasmClient(...)` of the glue (made only once the module is loaded). */
  function WasmClient(...args) {
    return new (wasm.glue().WasmClient)(...args);
  }
  const DioptraClient = defineClient({
    WasmClient,
    wasm,
    keepCookies: !hasBrowserCookieStore(),
    defaultAddress: pageOrigin,
    downsampleIndices,
  });
  return {
    DioptraClient,
    downsample: defineDownsample(downsampleIndices),
    ready: () => wasm.load(),
    replayJournal: makeReplayJournal(),
    replayJournals: (client, options) => replayIdbJournals(client, options, () => new DioptraClient()),
    wasmMemoryBytes: () => (wasm.ready() ? wasm.glue().wasmMemoryBytes() : 0),
  };
}

// The API an entry exports, bound under other names and exported under the public ones: in the
// bundles (scripts/build.mjs), a top-level `DioptraClient` or `downsample` would make esbuild
// rename the class or function of that name inside them, and so its `name` (DioptraClient2).
// They are set once, by the entry module's own body (attachWasm), before any importer of the
// entry runs; exports.js re-exports them.
let apiClient;
let apiDownsample;
let apiReady;
let apiReplayJournal;
let apiReplayJournals;
let apiWasmMemoryBytes;

/** Builds the API over the entry's wasm loader `wasm` (lazyWasm or loaded): called once, by the entry. */
function attachWasm(wasm) {
  const api = makeApi(wasm);
  apiClient = api.DioptraClient;
  apiDownsample = api.downsample;
  apiReady = api.ready;
  apiReplayJournal = api.replayJournal;
  apiReplayJournals = api.replayJournals;
  apiWasmMemoryBytes = api.wasmMemoryBytes;
}

export { attachWasm, hasBrowserCookieStore, lazyWasm, loaded };
export {
  /** The Dioptra metrics client. */
  apiClient as DioptraClient,
  apiDownsample as downsample,
  apiReady as ready,
  apiReplayJournal as replayJournal,
  apiReplayJournals as replayJournals,
  apiWasmMemoryBytes as wasmMemoryBytes,
};
