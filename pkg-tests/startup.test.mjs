// Start-up (issue 10): importing the package costs no wasm until the first use. In Node the wasm
// glue (which compiles and instantiates the module, synchronously) is required by the first
// client, downsample(), ready(), journal replay or wasmMemoryBytes(), not by `require`/`import`;
// in Chromium a page that imports the package but calls nothing does not fetch the .wasm (nor
// the inlined copy), and the first client fetches it once, compiling it while it downloads
// where it is served as application/wasm, else from its bytes. Behaviours, not timings (those are
// in `npm run bench`, section "weight").
//
//   node scripts/with-dioptra.mjs -- node --test --test-reporter=spec pkg-tests/startup.test.mjs

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

import { useServerAndChromium } from "./support/chromium.mjs";
import { address, password, username } from "./support/env.mjs";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** Runs `source` as an ES module in a fresh Node process at the repository's root (the package
 * resolves to itself there); parses the JSON line it prints last. */
function runModule(source) {
  const env = { ...process.env, CONFIG: JSON.stringify({ address, username, password }) };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", source], { cwd: repoRoot, env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1)));
    });
  });
}

describe("Node: the wasm is loaded on first use", () => {
  const PRELUDE = `
import { createRequire } from "node:module";
const require = createRequire(process.cwd() + "/package.json");
const { address, username, password } = JSON.parse(process.env.CONFIG);
const glueLoaded = () => Object.keys(require.cache).some((f) => f.endsWith("/dist/wasm/dioptra_metrics.cjs"));
`;

  it("import and require load no wasm; the first client does, and both share it", async () => {
    const out = await runModule(`${PRELUDE}
const m = await import("dioptra-metrics");
const afterImport = glueLoaded();
const r = require("dioptra-metrics");
const afterRequire = glueLoaded();
let badAddress = null;
try { new m.DioptraClient("ftp://example.com"); } catch (e) { badAddress = { name: e.name, field: e.field }; }
const client = new r.DioptraClient(address);
const afterClient = glueLoaded();
await client.auth.login(username, password);
const experiments = await client.experiments.list();
console.log(JSON.stringify({ afterImport, afterRequire, badAddress, afterClient, sameClass: m.DioptraClient === r.DioptraClient,
  isArray: Array.isArray(experiments), memory: m.wasmMemoryBytes() }));
`);
    assert.equal(out.afterImport, false, "import must not load the wasm glue");
    assert.equal(out.afterRequire, false, "require must not load the wasm glue");
    assert.deepEqual(out.badAddress, { name: "DioptraValidationError", field: "address" });
    assert.equal(out.afterClient, true, "the first client loads the wasm glue");
    assert.equal(out.sameClass, true, "require and import share one module");
    assert.equal(out.isArray, true);
    assert.ok(out.memory > 0);
  });

  it("synchronous first uses work without a client: downsample(), wasmMemoryBytes(), ready()", async () => {
    const out = await runModule(`${PRELUDE}
const { downsample, wasmMemoryBytes, ready } = await import("dioptra-metrics");
const before = glueLoaded();
const kept = [...downsample([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 9, 1, 8, 2, 7, 3, 6, 4, 5], 4)];
const afterDownsample = glueLoaded();
console.log(JSON.stringify({ before, kept, afterDownsample, memory: wasmMemoryBytes(), ready: await ready().then(() => "resolved") }));
`);
    assert.equal(out.before, false);
    assert.equal(out.afterDownsample, true);
    assert.equal(out.kept.length, 4);
    assert.equal(out.kept[0], 0);
    assert.equal(out.kept.at(-1), 9);
    assert.ok(out.memory > 0);
    assert.equal(out.ready, "resolved");
  });
});

describe("Chromium: a page that imports the package fetches no wasm until the first client", () => {
  /** @type {Awaited<ReturnType<typeof import("./support/browser-server.mjs").startBrowserServer>>} */
  let server;
  /** @type {import("playwright-core").Browser} */
  let browser;
  useServerAndChromium(address, (started, launched) => {
    server = started;
    browser = launched;
  });

  it("import alone: no .wasm, no inlined copy; a client and one call: the .wasm once", async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const requested = [];
    page.on("request", (r) => requested.push(new URL(r.url()).pathname));
    const wasmRequests = () => requested.filter((p) => p.endsWith(".wasm") || p.endsWith("/wasm/inline.js"));
    const res = await page.goto(`${server.origin}/pages/blank.html`);
    assert.equal(res?.status(), 200);

    const exported = await page.evaluate(async () => {
      window.m = await import("/dist/index.js");
      return typeof window.m.DioptraClient;
    });
    assert.equal(exported, "function");
    // A request started after the import (and seen by the browser after anything the import
    // started): once it is seen, a .wasm fetched by the import would have been seen too.
    const sentinel = page.waitForRequest((r) => r.url().endsWith("/pages/blank.html?after-import"));
    await page.evaluate(() => fetch("/pages/blank.html?after-import").then((r) => r.text()));
    await sentinel;
    assert.ok(requested.includes("/dist/index.js"), `requests: ${requested.join(", ")}`);
    assert.deepEqual(wasmRequests(), [], "importing the package must not fetch the wasm");

    const call = await page.evaluate(
      async ({ username, password }) => {
        const client = new window.m.DioptraClient();
        await client.auth.login(username, password);
        const experiments = await client.experiments.list();
        return { isArray: Array.isArray(experiments), memory: window.m.wasmMemoryBytes() };
      },
      { username, password },
    );
    assert.equal(call.isArray, true);
    assert.ok(call.memory > 0);
    assert.deepEqual(wasmRequests(), ["/dist/wasm/dioptra_metrics_bg.wasm"], "the first client fetches the .wasm once");
  });

  /** Counts, in the page, the calls of WebAssembly's compile functions (window.compiled). */
  const COUNT_COMPILES = () => {
    window.compiled = { streaming: 0, bytes: 0 };
    const { compile, compileStreaming } = WebAssembly;
    WebAssembly.compileStreaming = (...args) => {
      window.compiled.streaming += 1;
      return compileStreaming(...args);
    };
    WebAssembly.compile = (...args) => {
      window.compiled.bytes += 1;
      return compile(...args);
    };
  };

  for (const [served, expected] of [
    ["application/wasm", { streaming: 1, bytes: 0 }],
    ["application/octet-stream", { streaming: 0, bytes: 1 }],
  ]) {
    it(`the .wasm served as ${served}: compiled ${expected.streaming ? "while it downloads (compileStreaming)" : "from its bytes"}, and the first call answered`, async (t) => {
      const context = await browser.newContext();
      t.after(() => context.close());
      await context.addInitScript(COUNT_COMPILES);
      // The same file, with the MIME type `served` (a server that does not know .wasm files).
      await context.route("**/dist/wasm/dioptra_metrics_bg.wasm", async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, headers: { ...response.headers(), "content-type": served } });
      });
      const page = await context.newPage();
      const requested = [];
      page.on("request", (r) => requested.push(new URL(r.url()).pathname));
      const warnings = [];
      page.on("console", (m) => {
        if (m.type() === "warning" || m.type() === "error") warnings.push(m.text());
      });
      await page.goto(`${server.origin}/pages/blank.html`);
      const out = await page.evaluate(
        async ({ username, password }) => {
          const m = await import("/dist/index.js");
          const client = new m.DioptraClient();
          await client.auth.login(username, password);
          const experiments = await client.experiments.list();
          return { isArray: Array.isArray(experiments), compiled: window.compiled };
        },
        { username, password },
      );
      assert.equal(out.isArray, true);
      assert.deepEqual(out.compiled, expected);
      assert.deepEqual(
        requested.filter((p) => p.endsWith(".wasm") || p.endsWith("/wasm/inline.js")),
        ["/dist/wasm/dioptra_metrics_bg.wasm"],
        "the .wasm is fetched once, and the inlined copy not at all",
      );
      assert.deepEqual(warnings, [], "no warning (wasm-bindgen's 'wrong MIME type' fallback is not taken)");
    });
  }
});
