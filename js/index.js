// Entry point for browsers and the bundlers that pick the `browser` condition (Vite, webpack,
// esbuild, bun build), and for `<script type="module">` / devtools `await import(...)`. No top-level
// await and no init call: the wasm is fetched and compiled (streaming) when the first client
// is made. It is found with `new URL(..., import.meta.url)`, which Vite and webpack emit as an
// asset; where a bundler did not emit it (esbuild, bun build, Vite's dev pre-bundling), the
// fetch fails or answers something that is not wasm, and the bytes inlined in
// ./wasm/inline.js are used instead (a separate chunk where the bundler splits code).
import * as glue from "./wasm/dioptra_metrics.js";
import { lazyWasm, makeApi } from "./entry.js";

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** The wasm beside this file, if it is there and is wasm; else undefined. */
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

const wasm = lazyWasm(async () => {
  const found = await besideThisFile();
  const source = found ?? (await (await import("./wasm/inline.js")).wasmBytes());
  await glue.default({ module_or_path: source });
});

/** The Dioptra metrics client. */
export const { DioptraClient, downsample, ready, replayJournal, replayJournals, wasmMemoryBytes } = makeApi(glue, wasm);

export * from "./exports.js";
