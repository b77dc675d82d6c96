// Entry point for browsers and the bundlers that pick the `browser` condition (Vite, webpack,
// esbuild, bun build), and for `<script type="module">` / devtools `await import(...)`. No top-level
// await and no init call: importing it loads this one module (the build bundles the JS layer
// into it); the first client made loads the wasm-bindgen glue (./wasm/dioptra_metrics.js) and,
// at the same time, fetches and compiles the wasm (streaming where it is served as
// `application/wasm`). The wasm is found with `new URL(..., import.meta.url)`, which Vite and
// webpack emit as an asset; where a bundler did not emit it (esbuild, bun build, Vite's dev
// pre-bundling), the fetch fails or answers something that is not wasm, and the bytes inlined
// in ./wasm/inline.js are used instead (a separate chunk where the bundler splits code).
import { attachWasm, lazyWasm } from "./entry.js";

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** The wasm beside this file, if it is there and is wasm (a Response served as wasm, or the bytes); else undefined. */
async function besideThisFile() {
  let response;
  try {
    response = await fetch(new URL("./wasm/dioptra_metrics_bg.wasm", import.meta.url));
  } catch {
    return undefined; // no import.meta.url (an iife bundle), or nothing served there
  }
  if (!response.ok) return undefined;
  if (/^application\/wasm\b/i.test(response.headers.get("content-type") ?? "")) return response;
  const bytes = new Uint8Array(await response.arrayBuffer());
  return WASM_MAGIC.every((b, i) => bytes[i] === b) ? bytes : undefined;
}

/**
 * The compiled wasm module: compiled while it downloads where it is served as wasm
 * (`WebAssembly.compileStreaming`), else from its bytes (served with another MIME type, or the
 * inlined copy).
 */
async function compileWasm() {
  const found = await besideThisFile();
  if (found instanceof Response) {
    if (typeof WebAssembly.compileStreaming === "function") return WebAssembly.compileStreaming(found);
    return WebAssembly.compile(await found.arrayBuffer());
  }
  return WebAssembly.compile(found ?? (await (await import("./wasm/inline.js")).wasmBytes()));
}

const wasm = lazyWasm(async () => {
  const [glue, module] = await Promise.all([import("./wasm/dioptra_metrics.js"), compileWasm()]);
  await glue.default({ module_or_path: module });
  return glue;
});

attachWasm(wasm);

export * from "./exports.js";
