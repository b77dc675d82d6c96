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
 * The wasm module, instantiated once by `instantiate()` (async) when first needed:
 * `{ ready(), load() }`. A failed load rejects with a DioptraError naming the cause, and the
 * next call tries again.
 */
function lazyWasm(instantiate) {
  let ready = false;
  let loading = null;
  return {
    ready: () => ready,
    load() {
      if (ready) return Promise.resolve();
      loading ??= Promise.resolve()
        .then(instantiate)
        .then(
          () => {
            ready = true;
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

/** The module's wasm loaded already (workerd imports it as a module and instantiates it at once). */
const LOADED = { ready: () => true, load: () => Promise.resolve() };

/** The runtime API of an ESM entry over the wasm-bindgen glue `glue` and its loader `wasm`. */
function makeApi(glue, wasm) {
  // downsample() is synchronous: it needs the module loaded (by the first client, or ready()).
  const downsampleIndices = (...args) => {
    if (!wasm.ready()) {
      throw new DioptraError("downsample() needs the WebAssembly module, which is still loading: `await ready()` (exported beside it) first");
    }
    return glue.downsampleIndices(...args);
  };
  const DioptraClient = defineClient({
    WasmClient: glue.WasmClient,
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
    wasmMemoryBytes: () => (wasm.ready() ? glue.wasmMemoryBytes() : 0),
  };
}

export { hasBrowserCookieStore, lazyWasm, makeApi, LOADED };
