// How the package loads its wasm (issue 11), tested on the packed tarball in fresh processes
// against the real Dioptra: the entries that load lazily keep synchronous errors synchronous
// before the wasm is ready, a logger made before then holds its points and reports those the
// wasm refuses, `dioptra-metrics/slim` needs init() (URL, bytes or module), the .wasm is
// exported as `dioptra-metrics/wasm`, and every host without a browser cookie store keeps the
// client's own cookie jar.
//
//   node scripts/with-dioptra.mjs -- node --test --test-reporter=spec pkg-tests/loading.test.mjs

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, test } from "node:test";

import { address, password, takeJob, username } from "./support/env.mjs";
import { packAndInstall, run } from "./support/pack.mjs";

let dir;
let job;

before(async () => {
  ({ dir } = await packAndInstall());
  job = takeJob();
});

/** Runs `source` as an ES module in the consumer project (a fresh process); parses its JSON output. */
async function runModule(name, source) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, source);
  const env = { ...process.env, CONFIG: JSON.stringify({ address, username, password, job }) };
  const stdout = await run(process.execPath, [file], { cwd: dir, timeout: 30_000, env });
  return JSON.parse(stdout.trim().split("\n").at(-1));
}

const PRELUDE = `
const { address, username, password, job } = JSON.parse(process.env.CONFIG);
const describe = (e) => ({ name: e?.name, field: e?.field ?? undefined, message: e?.message });
const syncError = (fn) => { try { fn(); return null; } catch (e) { return describe(e); } };
`;

test("the inlined entry: bad addresses throw at once before the wasm is loaded; calls then load it and work", async () => {
  const out = await runModule(
    "lazy-sync-errors.mjs",
    `import * as m from "./node_modules/dioptra-metrics/dist/inlined.js";
${PRELUDE}
const before = m.wasmMemoryBytes();
const errors = ["javascript:alert(1)", "http://u:p@host", "http://h/?q", 42, undefined].map((a) =>
  syncError(() => new m.DioptraClient(a)),
);
const client = new m.DioptraClient(address + "/");
// A bad option is found by Rust once the wasm is there: every call of that client rejects, typed.
const late = new m.DioptraClient(address, { nope: 1 });
const baseUrlBeforeLoad = client.baseUrl;
const loadedBeforeCall = m.wasmMemoryBytes() > 0;
await client.auth.login(username, password);
await client.jobs.appendMetricById(job, "loading_inline", 2.5, { step: 1 });
const latest = await client.jobs.getMetricsById(job);
const lateError = await late.auth.login(username, password).then(() => null, describe);
console.log(JSON.stringify({ before, errors, baseUrlBeforeLoad, loadedBeforeCall, after: m.wasmMemoryBytes() > 0,
  stored: latest.find((x) => x.name === "loading_inline")?.value, lateError,
  lateIsTyped: await late.auth.logout().then(() => false, (e) => e instanceof m.DioptraValidationError) }));
`,
  );
  assert.equal(out.before, 0, "importing the entry must not instantiate the wasm");
  assert.deepEqual(
    out.errors.map((e) => [e?.name, e?.field]),
    Array(5).fill(["DioptraValidationError", "address"]),
  );
  assert.match(out.errors[0].message, /must start with http:\/\/ or https:\/\//);
  assert.match(out.errors[4].message, /address is required outside a browser page/);
  assert.equal(out.baseUrlBeforeLoad, `${address}/api/v1`);
  assert.equal(out.after, true);
  assert.equal(out.stored, 2.5, "the login's cookie was kept by the client's own jar (no browser cookie store here)");
  assert.equal(out.lateError.name, "DioptraValidationError");
  assert.equal(out.lateError.field, "nope");
  assert.equal(out.lateIsTyped, true);
});

test("downsample() before the wasm is loaded throws, typed, saying to await ready(); after ready() it works (the inlined bytes inflate)", async () => {
  const out = await runModule(
    "lazy-downsample.mjs",
    `import * as m from "./node_modules/dioptra-metrics/dist/inlined.js";
${PRELUDE}
const early = syncError(() => m.downsample([0, 1, 2, 3], [1, 5, 2, 4], 3));
const earlyIsDioptra = (() => { try { m.downsample([0, 1], [0, 1], 3); } catch (e) { return e instanceof m.DioptraError; } return false; })();
const before = m.wasmMemoryBytes();
await m.ready();
const kept = Array.from(m.downsample([0, 1, 2, 3, 4], [0, 9, 1, 1, 0], 3, { method: "lttb" }));
console.log(JSON.stringify({ early, earlyIsDioptra, before, after: m.wasmMemoryBytes() > 0, kept }));
`,
  );
  assert.equal(out.earlyIsDioptra, true);
  assert.match(out.early.message, /await ready\(\)/);
  assert.equal(out.before, 0, "downsample() before ready() must not load the wasm by itself");
  assert.equal(out.after, true);
  // LTTB to 3 of 5: the first, the last, and the point making the largest triangle (the spike).
  assert.deepEqual(out.kept, [0, 1, 4]);
});

test("a logger made before the wasm is loaded: bad log() throws at once, good points are sent, refused ones reported", async () => {
  const out = await runModule(
    "lazy-logger.mjs",
    `import * as m from "./node_modules/dioptra-metrics/dist/inlined.js";
${PRELUDE}
const client = new m.DioptraClient(address);
const reported = [];
const logger = client.jobs.createLogger(job, { onError: (e, point) => reported.push({ ...describe(e), point: point.name }) });
const stateBefore = logger.stats.state;
const badShape = syncError(() => logger.log(null));
logger.log({ loading_logger: 7 }, { step: 3 });
logger.log({ "1bad name": 1 }, { step: 3 });  // refused by Rust once loaded
const silent = client.jobs.createLogger(job);
silent.log({ "2bad name": 1 });
await client.auth.login(username, password);
await logger.flush();
const silentClose = await silent.close().then(() => null, (e) => ({ ...describe(e), isFlush: e instanceof m.DioptraFlushError,
  inner: e.errors?.map((x) => x instanceof m.DioptraValidationError) }));
await logger.close();
const history = await client.jobs.getMetricHistory(job, "loading_logger");
console.log(JSON.stringify({ stateBefore, badShape, reported, silentClose, history: history.map((p) => [p.step, p.value]) }));
`,
  );
  assert.equal(out.stateBefore, "loading");
  assert.equal(out.badShape.name, "DioptraValidationError");
  assert.deepEqual(out.history, [[3, 7]]);
  assert.equal(out.reported.length, 1);
  assert.equal(out.reported[0].name, "DioptraValidationError");
  assert.equal(out.reported[0].point, "1bad name");
  assert.equal(out.silentClose.isFlush, true, "with no onError, close() rejects listing the refused point");
  assert.deepEqual(out.silentClose.inner, [true]);
  assert.match(out.silentClose.message, /2bad name/);
});

test("dioptra-metrics/slim: calls before init() reject saying so; init() takes bytes, a Module or a URL; the .wasm is exported", async () => {
  const out = await runModule(
    "slim.mjs",
    `import fs from "node:fs";
import { createRequire } from "node:module";
import * as slim from "dioptra-metrics/slim";
${PRELUDE}
const wasmPath = createRequire(import.meta.url).resolve("dioptra-metrics/wasm");
const resolvedByImport = import.meta.resolve("dioptra-metrics/wasm");
const sync = syncError(() => new slim.DioptraClient("javascript:x"));
const client = new slim.DioptraClient(address);
const early = await client.auth.login(username, password).then(() => null, (e) => ({ ...describe(e), isDioptra: e instanceof slim.DioptraError }));
const noSource = await slim.init().then(() => null, describe);
const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
await slim.init(module);
await slim.init(new Uint8Array(0)); // later calls resolve at once
const login = await client.auth.login(username, password);
await client.jobs.appendMetricById(job, "loading_slim", 1, { step: 1 });
const latest = await client.jobs.getMetricsById(job);
console.log(JSON.stringify({ wasmPath, resolvedByImport, valid: WebAssembly.validate(fs.readFileSync(wasmPath)), sync, early, noSource,
  login, stored: latest.find((x) => x.name === "loading_slim")?.value }));
`,
  );
  assert.equal(out.wasmPath, path.join(dir, "node_modules/dioptra-metrics/dist/wasm/dioptra_metrics_bg.wasm"));
  assert.equal(out.resolvedByImport, `file://${out.wasmPath}`);
  assert.equal(out.valid, true);
  assert.equal(out.sync.name, "DioptraValidationError");
  assert.equal(out.early.isDioptra, true);
  assert.match(out.early.message, /call init\(wasm\) from "dioptra-metrics\/slim" first/);
  assert.equal(out.noSource.name, "DioptraValidationError");
  assert.equal(out.login.username, username);
  assert.equal(out.stored, 1);
});

test("dioptra-metrics/slim: init() with a Response (streaming compile) in a fresh process", async () => {
  const out = await runModule(
    "slim-response.mjs",
    `import fs from "node:fs";
import { createRequire } from "node:module";
import { init, DioptraClient } from "dioptra-metrics/slim";
${PRELUDE}
const bytes = fs.readFileSync(createRequire(import.meta.url).resolve("dioptra-metrics/wasm"));
await init(new Response(bytes, { headers: { "content-type": "application/wasm" } }));
const client = new DioptraClient(address);
console.log(JSON.stringify(await client.auth.login(username, password)));
`,
  );
  assert.equal(out.username, username);
});
