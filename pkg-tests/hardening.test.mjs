// Hostile input, hostile answers, secrets and long runs.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { getEventListeners } from "node:events";

import { DioptraClient, DioptraValidationError, DioptraDecodeError, wasmMemoryBytes } from "dioptra-metrics";
import { startStub, json } from "./support/stub-server.mjs";
import { startFixedAnswerServer } from "./support/fixed-answer-server.mjs";

// The wasm glue module the package loaded (the same file, so the same instance).
const glue = createRequire(import.meta.url)("../dist/wasm/dioptra_metrics.cjs");

const SESSION_TOKEN = `tok${"Kp7".repeat(8)}${Date.now()}`;
let stub;
let client;
before(async () => {
  stub = await startStub((req, res) => {
    if (req.url.startsWith("/api/v1/huge")) return; // not used
    if (req.url.includes("/jobs/50/")) {
      // 50 MB, declared.
      res.writeHead(200, { "content-type": "application/json", "content-length": String(50 * 1024 * 1024) });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 50) {
          sent += 1;
          if (!res.write(chunk)) return res.once("drain", pump);
        }
        res.end();
      };
      return pump();
    }
    if (req.url.includes("/jobs/51/")) {
      // 50 MB, chunked (no length announced).
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`[${'{"name":"a","value":1},'.repeat(2_200_000)}{"name":"a","value":1}]`);
      return;
    }
    if (req.url.startsWith("/api/v1/auth/login")) {
      return json(res, 200, { username: "u", status: "Login successful" }, { "set-cookie": `session=${SESSION_TOKEN}; Path=/` });
    }
    json(res, 200, [{ name: "acc", value: 0.5 }]);
  });
  client = new DioptraClient(stub.address);
});
after(() => stub.close());

describe("extra arguments are refused before any request", () => {
  const calls = [
    ["auth.login", (c) => c.auth.login("u", "p", {}, 1)],
    ["auth.logout", (c) => c.auth.logout({}, 1)],
    ["jobs.getMetricsById", (c) => c.jobs.getMetricsById(1, {}, 1)],
    ["jobs.getMetricsSnapshotsById", (c) => c.jobs.getMetricsSnapshotsById(1, "a", {}, 1)],
    ["jobs.appendMetricById", (c) => c.jobs.appendMetricById(1, "a", 1, {}, 1)],
    ["jobs.getMetricHistory", (c) => c.jobs.getMetricHistory(1, "a", {}, 1)],
    ["jobs.logMetrics", (c) => c.jobs.logMetrics(1, { a: 1 }, {}, 1)],
    ["experiments.getMetricsById", (c) => c.experiments.getMetricsById(1, {}, 1)],
    ["experiments.getAllMetrics", (c) => c.experiments.getAllMetrics(1, {}, 1)],
  ];
  for (const [method, call] of calls) {
    it(`${method} rejects a surplus argument`, async () => {
      const before = stub.requests.length;
      await assert.rejects(
        async () => call(client),
        (err) => err instanceof DioptraValidationError && err.field === "arguments" && err.message.includes(method),
      );
      assert.equal(stub.requests.length, before);
    });
  }
  it("synchronous methods throw for a surplus argument", () => {
    assert.throws(() => client.jobs.iterMetricsSnapshots(1, "a", {}, 1), (e) => e.field === "arguments");
    assert.throws(() => client.experiments.iterMetrics(1, {}, 1), (e) => e.field === "arguments");
    assert.throws(() => client.jobs.createLogger(1, {}, 1), (e) => e.field === "arguments");
    assert.throws(() => new DioptraClient(stub.address, {}, 1), (e) => e.field === "arguments");
    const logger = client.jobs.createLogger(1);
    assert.throws(() => logger.log({ a: 1 }, {}, 1), (e) => e.field === "arguments");
    assert.equal(stub.requests.length, 0);
    return logger.close();
  });
});

describe("bad input to the complete reads and the logger", () => {
  const cases = [
    ["history: bad job", (c) => c.jobs.getMetricHistory("x", "a"), "jobId"],
    ["history: bad name", (c) => c.jobs.getMetricHistory(1, "a-b"), "metricName"],
    ["history: pageLength 0", (c) => c.jobs.getMetricHistory(1, "a", { pageLength: 0 }), "pageLength"],
    ["history: concurrency 0", (c) => c.jobs.getMetricHistory(1, "a", { concurrency: 0 }), "concurrency"],
    ["history: concurrency 1.5", (c) => c.jobs.getMetricHistory(1, "a", { concurrency: 1.5 }), "concurrency"],
    ["history: onProgress not a function", (c) => c.jobs.getMetricHistory(1, "a", { onProgress: 1 }), "onProgress"],
    ["history: index is not an option here", (c) => c.jobs.getMetricHistory(1, "a", { index: 2 }), "index"],
    ["iterMetrics: bad experiment", (c) => c.experiments.getAllMetrics(-1), "experimentId"],
    ["iterMetrics: bad search", (c) => c.experiments.getAllMetrics(1, { search: 5 }), "search"],
    ["logMetrics: options not an object", (c) => c.jobs.logMetrics(1, { a: 1 }, 5), "options"],
    ["logMetrics: bad value", (c) => c.jobs.logMetrics(1, { a: "x" }), "metricValue"],
    ["logMetrics: bad step", (c) => c.jobs.logMetrics(1, { a: 1 }, { step: "1" }), "step"],
    ["logMetrics: no metrics", (c) => c.jobs.logMetrics(1, {}), "metrics"],
    ["logMetrics: metrics null", (c) => c.jobs.logMetrics(1, null), "metrics"],
  ];
  for (const [what, call, field] of cases) {
    it(`refuses ${what}`, async () => {
      const before = stub.requests.length;
      await assert.rejects(async () => call(client), (err) => err instanceof DioptraValidationError && err.field === field);
      assert.equal(stub.requests.length, before);
    });
  }
  const loggerCases = [
    [{ maxQueue: 0 }, "maxQueue"],
    [{ flushIntervalMs: -1 }, "flushIntervalMs"],
    [{ retry: 5 }, "retry"],
    [{ retry: { minDelayMs: 100, maxDelayMs: 10 } }, "retry.maxDelayMs"],
    [{ retry: { backoff: 2 } }, "backoff"],
    [{ onError: "log" }, "onError"],
    [{ timeoutMs: 0 }, "timeoutMs"],
    [null, "options"],
  ];
  for (const [options, field] of loggerCases) {
    it(`createLogger refuses ${JSON.stringify(options)}`, () => {
      assert.throws(() => client.jobs.createLogger(1, options), (err) => err instanceof DioptraValidationError && err.field === field);
    });
  }
});

describe("hostile strings cannot reach the request path", () => {
  const ids = ["1/../users", "1%2F..%2Fusers", "../1", "1;x", "1\u0000", "١٢", "1e3", "0x10", " 1", "1 ", "+1", "1.0", "-0"];
  for (const id of ids) {
    it(`jobId ${JSON.stringify(id)} is refused`, async () => {
      await assert.rejects(client.jobs.getMetricsById(id), (err) => err.field === "jobId");
    });
  }
  const names = ["..", "%2e%2e", "a/b", "a\u0000b", "a?x=1", "a#b", "a%20b", "ａ", "a\nb"];
  for (const name of names) {
    it(`metricName ${JSON.stringify(name)} is refused`, async () => {
      await assert.rejects(client.jobs.getMetricsSnapshotsById(1, name), (err) => err.field === "metricName");
    });
  }
  it("search and sortBy go in the query, encoded, never in the path", async () => {
    await client.experiments.getMetricsById(3, { search: "../../users?x=1#f", sortBy: "a/b&c" }).catch(() => {});
    const { url } = stub.requests.at(-1);
    assert.equal(url.split("?")[0], "/api/v1/experiments/3/metrics");
    assert.match(url, /search=..%2F..%2Fusers%3Fx%3D1%23f/);
    assert.match(url, /sortBy=a%2Fb%26c/);
  });
});

describe("huge answers", () => {
  for (const [job, how] of [
    [50, "with a Content-Length"],
    [51, "chunked"],
  ]) {
    it(`a 50 MB answer ${how} is a DioptraDecodeError, and the wasm memory does not take it in`, async () => {
      const memoryBefore = wasmMemoryBytes();
      await assert.rejects(client.jobs.getMetricsById(job), (err) => {
        assert.ok(err instanceof DioptraDecodeError, `${err.name}: ${err.message}`);
        assert.match(err.message, /larger than 16 MiB/);
        return true;
      });
      assert.ok(wasmMemoryBytes() - memoryBefore < 1024 * 1024, `wasm memory grew from ${memoryBefore} to ${wasmMemoryBytes()}`);
      assert.deepEqual(await client.jobs.getMetricsById(1), [{ name: "acc", value: 0.5 }]);
    });
  }
});

describe("secrets", () => {
  it("the password is nowhere in the wasm memory after login", async () => {
    const password = `pw-${"Zq9".repeat(8)}-${Date.now()}`;
    const session = new DioptraClient(stub.address);
    await session.auth.login("someone", password);
    const sent = stub.requests.findLast((r) => r.url.startsWith("/api/v1/auth/login"));
    assert.equal(JSON.parse(sent.body).password, password, "the password did not reach the server");
    const memory = new Uint8Array(glue.__wasmMemoryForTests().buffer);
    const needle = Buffer.from(password.slice(0, 16));
    assert.equal(Buffer.from(memory.buffer).indexOf(needle), -1, "the password is in the wasm memory");
    // The scan finds what is there: the session cookie, which the jar must keep.
    assert.notEqual(Buffer.from(memory.buffer).indexOf(Buffer.from(SESSION_TOKEN)), -1, "the scan cannot see the cookie jar");
  });
});

describe("long runs", () => {
  it("100,000 sequential calls: bounded wasm memory, no growth in timers, handles or listeners", async (t) => {
    const server = await startFixedAnswerServer();
    t.after(() => server.close());
    const longRunClient = new DioptraClient(server.address);
    const signal = new AbortController().signal;
    const call = () => longRunClient.jobs.getMetricsById(7, { signal });
    for (let i = 0; i < 2_000; i++) await call(); // warm-up
    const memoryAfterWarmUp = wasmMemoryBytes();
    const resourcesAfterWarmUp = process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap").length;
    const started = Date.now();
    for (let i = 0; i < 100_000; i++) await call();
    const seconds = (Date.now() - started) / 1000;
    const memoryAtEnd = wasmMemoryBytes();
    const resourcesAtEnd = process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap").length;
    t.diagnostic(`100,000 calls in ${seconds.toFixed(1)} s; wasm memory ${memoryAfterWarmUp} B after warm-up, ${memoryAtEnd} B at the end`);
    assert.equal(memoryAtEnd, memoryAfterWarmUp, "the wasm memory grew");
    assert.ok(memoryAtEnd <= 2 * 1024 * 1024, `the wasm memory is ${memoryAtEnd} B`);
    assert.ok(resourcesAtEnd <= resourcesAfterWarmUp, `active resources ${resourcesAfterWarmUp} -> ${resourcesAtEnd}`);
    assert.equal(getEventListeners(signal, "abort").length, 0, "abort listeners were left on the caller's signal");
  });
});
