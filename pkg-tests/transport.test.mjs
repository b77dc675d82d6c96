// The client's transport: one bound on concurrent requests per client, answers read as a
// stream that stops at the 16 MiB cap, and a cookie jar that follows RFC 6265.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";

import { DioptraClient, DioptraAbortError, DioptraDecodeError, DioptraValidationError, wasmMemoryBytes } from "dioptra-metrics";
import { address, username, password, pyclient, seed, takeJob } from "./support/env.mjs";
import { startBrowserServer } from "./support/browser-server.mjs";
import { launchChromium } from "./support/chromium.mjs";
import { startCountingProxy } from "./support/counting-proxy.mjs";
import { runModule } from "./support/node-child.mjs";
import { startStub, json } from "./support/stub-server.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A stub whose answers wait until the test lets them go (`release()`), or `delayMs`; it
 * counts the requests in flight at once.
 */
async function startSlowStub({ delayMs = Infinity } = {}) {
  const held = [];
  const counts = { inFlight: 0, maxInFlight: 0 };
  const stub = await startStub((req, res, body) => {
    counts.inFlight += 1;
    counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    res.on("finish", () => (counts.inFlight -= 1));
    // A metric write gets what Dioptra answers: the point's name and value; a read, a metric
    // (not an empty list, which the client would follow with a GET of the job to tell "no
    // metrics yet" from "no such job": one request per call keeps the counts simple).
    const point = req.method === "POST" ? JSON.parse(body) : null;
    const answer = () => json(res, 200, point ? { name: point.name, value: point.value } : [{ name: "a", value: 1 }]);
    if (delayMs === Infinity) held.push(answer);
    else setTimeout(answer, delayMs);
  });
  return {
    ...stub,
    counts,
    release: () => held.splice(0).forEach((answer) => answer()),
  };
}

describe("one bound on concurrency per client", () => {
  let proxy;
  before(async () => {
    proxy = await startCountingProxy(address);
  });
  after(() => proxy.close());

  it("5,000 concurrent appendMetricById calls: no error, every point stored, at most 16 connections", async (t) => {
    const job = takeJob();
    const client = new DioptraClient(proxy.address);
    await client.auth.login(username, password);
    const N = 5_000;
    const value = (step) => step * 0.25 - 7;
    const memoryBefore = wasmMemoryBytes();
    const results = await Promise.allSettled(
      Array.from({ length: N }, (_, step) => client.jobs.appendMetricById(job, "concurrent", value(step), { step })),
    );
    const failures = results.filter((r) => r.status === "rejected").map((r) => `${r.reason.name}: ${r.reason.message}`);
    const seen =
      `${proxy.counts.connections} connections opened, at most ${proxy.counts.maxOpenConnections} open and ` +
      `${proxy.counts.maxInFlight} requests in flight at once; ${failures.length} of ${N} calls failed; ` +
      `wasm memory ${memoryBefore} -> ${wasmMemoryBytes()} B`;
    t.diagnostic(seen);
    assert.deepEqual(failures.slice(0, 3), [], seen);
    assert.ok(proxy.counts.maxInFlight <= 16, `${proxy.counts.maxInFlight} requests in flight at once`);
    assert.ok(proxy.counts.maxOpenConnections <= 16, `${proxy.counts.maxOpenConnections} connections open at once`);
    // Read back with Dioptra's own Python client.
    const stored = await pyclient(["history", job, "concurrent"]);
    assert.equal(stored.length, N);
    const byStep = new Map(stored.map((p) => [p.step, Number(p.repr)]));
    for (let step = 0; step < N; step++) assert.equal(byStep.get(step), value(step), `step ${step}`);
  });
});

describe("maxConcurrency", () => {
  it("bounds every request of a client together: direct calls and a logger's", async (t) => {
    const stub = await startSlowStub({ delayMs: 30 });
    t.after(() => stub.close());
    const client = new DioptraClient(stub.address, { maxConcurrency: 3 });
    const logger = client.jobs.createLogger(1, { concurrency: 8, flushIntervalMs: 0 });
    for (let step = 0; step < 20; step++) logger.log({ a: step }, { step });
    const calls = Array.from({ length: 20 }, (_, i) => client.jobs.getMetricsById(i + 1));
    await Promise.all([...calls, logger.close()]);
    assert.equal(stub.requests.length, 40);
    assert.equal(stub.counts.maxInFlight, 3);
  });

  it("a request's time limit starts when it gets its slot", async (t) => {
    const stub = await startSlowStub({ delayMs: 200 });
    t.after(() => stub.close());
    const client = new DioptraClient(stub.address, { maxConcurrency: 1, timeoutMs: 1_500 });
    // Ten answers of 200 ms one after the other: the last waits ~1.8 s for its slot.
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => client.jobs.getMetricsById(i + 1)));
    assert.deepEqual(results.filter((r) => r.status === "rejected").map((r) => r.reason.name), []);
    assert.equal(stub.counts.maxInFlight, 1);
  });

  it("a signal that fires while the request waits for a slot rejects it at once, unsent", async (t) => {
    const stub = await startSlowStub();
    t.after(() => stub.close());
    const client = new DioptraClient(stub.address, { maxConcurrency: 1 });
    const first = client.jobs.getMetricsById(1);
    while (stub.requests.length === 0) await sleep(5);
    const controller = new AbortController();
    const waiting = client.jobs.getMetricsById(2, { signal: controller.signal });
    const behind = client.jobs.getMetricsById(3);
    await sleep(50);
    assert.equal(getEventListeners(controller.signal, "abort").length, 1, "no listener while waiting");
    controller.abort();
    await assert.rejects(waiting, (err) => err instanceof DioptraAbortError && err.path.endsWith("/jobs/2/metrics"));
    assert.equal(getEventListeners(controller.signal, "abort").length, 0, "the listener was left on the signal");
    assert.deepEqual(stub.requests.map((r) => r.url), ["/api/v1/jobs/1/metrics"]);
    stub.release();
    assert.deepEqual(await first, [{ name: "a", value: 1 }]);
    // The aborted call gave up its place: the one behind it is next.
    while (stub.requests.length < 2) await sleep(5);
    stub.release();
    assert.deepEqual(await behind, [{ name: "a", value: 1 }]);
    assert.deepEqual(stub.requests.map((r) => r.url), ["/api/v1/jobs/1/metrics", "/api/v1/jobs/3/metrics"]);
  });

  it("an already-aborted signal rejects before any request or wait", async (t) => {
    const stub = await startSlowStub();
    t.after(() => stub.close());
    const client = new DioptraClient(stub.address, { maxConcurrency: 1 });
    await assert.rejects(client.jobs.getMetricsById(1, { signal: AbortSignal.abort() }), DioptraAbortError);
    assert.equal(stub.requests.length, 0);
  });

  for (const bad of [0, -1, 257, 1.5, "8", null, true, NaN, Infinity, {}]) {
    it(`maxConcurrency ${typeof bad === "number" ? String(bad) : JSON.stringify(bad)} is refused`, () => {
      assert.throws(
        () => new DioptraClient("http://127.0.0.1:1", { maxConcurrency: bad }),
        (err) => err instanceof DioptraValidationError && err.field === "maxConcurrency" && /maxConcurrency/.test(err.message),
      );
    });
  }
  it("maxConcurrency 1 and 256 are taken", () => {
    for (const good of [1, 256]) assert.ok(new DioptraClient("http://127.0.0.1:1", { maxConcurrency: good }));
  });
});

describe("maxConcurrency in Chromium", () => {
  it("defaults to 6 in a browser page", async (t) => {
    const server = await startBrowserServer({ apiAddress: address });
    t.after(() => server.close());
    const browser = await launchChromium();
    t.after(() => browser.close());
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.origin}/pages/blank.html`);
    const jobId = seed.experiments.main.jobIds[0];
    // The calls the client makes to the global fetch that have not settled yet, at most: the
    // browser queues requests past its own limit (6 per server) without telling the page.
    const { most, ok } = await page.evaluate(
      async ({ username, password, jobId }) => {
        const { DioptraClient } = await import("/dist/index.js");
        const client = new DioptraClient();
        await client.auth.login(username, password);
        const realFetch = globalThis.fetch;
        let pending = 0;
        let most = 0;
        globalThis.fetch = (...args) => {
          most = Math.max(most, ++pending);
          const answer = realFetch(...args);
          answer.then(() => pending--, () => pending--);
          return answer;
        };
        try {
          const results = await Promise.allSettled(Array.from({ length: 30 }, () => client.jobs.getMetricsById(jobId)));
          return { most, ok: results.filter((r) => r.status === "fulfilled").length };
        } finally {
          globalThis.fetch = realFetch;
        }
      },
      { username, password, jobId },
    );
    assert.equal(ok, 30);
    assert.equal(most, 6);
  });
});

describe("bodies are read as a stream", () => {
  const CHILD = `
    import { DioptraClient } from "dioptra-metrics";
    const client = new DioptraClient(process.env.STUB, { timeoutMs: 20000 });
    await client.jobs.getMetricsById(1); // warm-up: the module, fetch and its pools are loaded
    const base = process.memoryUsage().rss;
    let peak = base;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const started = Date.now();
    let outcome;
    try {
      outcome = { resolved: await client.jobs.getMetricsById(2) };
    } catch (err) {
      outcome = { name: err.name, message: err.message };
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    clearInterval(sample);
    console.log(JSON.stringify({ ...outcome, ms: Date.now() - started, growth: peak - base }));
  `;

  it("a 200 whose body never ends: DioptraDecodeError at 16 MiB, the read stopped, memory bounded", async (t) => {
    const sent = { bytes: 0, closed: false };
    const stub = await startStub((req, res) => {
      if (!req.url.includes("/jobs/2/")) return json(res, 200, []);
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      res.on("close", () => (sent.closed = true));
      const pump = () => {
        while (!sent.closed) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) return res.once("drain", pump);
        }
      };
      pump();
    });
    t.after(() => stub.close());
    const child = await runNode(CHILD, { STUB: stub.address });
    const outcome = JSON.parse(child.stdout.trim().split("\n").at(-1));
    t.diagnostic(`rejected after ${outcome.ms} ms; RSS grew ${(outcome.growth / 1e6).toFixed(1)} MB; the stub sent ${(sent.bytes / 1e6).toFixed(1)} MB`);
    assert.equal(outcome.name, "DioptraDecodeError", JSON.stringify(outcome));
    assert.match(outcome.message, /larger than 16 MiB/);
    assert.ok(outcome.growth < 150e6, `RSS grew by ${outcome.growth} B`);
    assert.ok(sent.closed, "the client did not close the connection");
    assert.ok(sent.bytes < 64 * 1024 * 1024, `the stub could send ${sent.bytes} B`);
  });

  it("a body just under 16 MiB is read whole; one byte over is refused", async (t) => {
    const item = '{"name":"a","value":1},';
    const under = `[${item.repeat(Math.floor((16 * 1024 * 1024 - 200) / item.length))}{"name":"é","value":2}]`;
    const over = `${under}${" ".repeat(16 * 1024 * 1024 - Buffer.byteLength(under) + 1)}`;
    const stub = await startStub((req, res) => {
      res.writeHead(200, { "content-type": "application/json" }); // chunked: no length announced
      res.end(req.url.includes("/jobs/1/") ? under : over);
    });
    t.after(() => stub.close());
    const client = new DioptraClient(stub.address);
    const metrics = await client.jobs.getMetricsById(1);
    assert.equal(metrics.length, JSON.parse(under).length);
    assert.deepEqual(metrics.at(-1), { name: "é", value: 2 });
    await assert.rejects(client.jobs.getMetricsById(2), (err) => err instanceof DioptraDecodeError && /larger than 16 MiB/.test(err.message));
  });
});

describe("the cookie jar follows RFC 6265", () => {
  it("a server that sets 60 cookies per answer: no 431, at most 50 sent, the session kept", async (t) => {
    let answers = 0;
    const stub = await startStub((req, res) => {
      if (req.url.startsWith("/api/v1/auth/login")) {
        return json(res, 200, { username: "u", status: "Login successful" }, { "set-cookie": "session=kept; HttpOnly; Path=/" });
      }
      answers += 1;
      const cookies = Array.from({ length: 60 }, (_, i) => `c${answers}_${i}=${"v".repeat(80)}; Path=/`);
      json(res, 200, [{ name: "a", value: 1 }], { "set-cookie": cookies }); // not empty: no follow-up GET of the job
    });
    t.after(() => stub.close());
    const client = new DioptraClient(stub.address);
    await client.auth.login("u", "p");
    for (let i = 0; i < 10; i++) await client.jobs.getMetricsById(1);
    const sent = stub.requests.slice(1).map((r) => r.headers.cookie.split("; "));
    assert.equal(sent.length, 10);
    for (const pairs of sent) {
      assert.ok(pairs.length <= 50, `${pairs.length} cookies sent`);
      assert.ok(pairs.includes("session=kept"), "the session cookie was pushed out");
    }
    assert.equal(sent.at(-1).length, 50);
  });

  it("Domain must domain-match the server, Secure is sent over loopback http, and 4 KiB is the most", async (t) => {
    const stub = await startStub((req, res) => {
      json(res, 200, [], {
        "set-cookie": [
          "own=1; Domain=127.0.0.1; Path=/",
          "evil=1; Domain=evil.example; Path=/",
          "parent=1; Domain=0.0.1; Path=/",
          "sec=1; Secure; Path=/",
          `big=${"x".repeat(4096)}; Path=/`,
          `fits=${"y".repeat(4092)}; Path=/`,
        ],
      });
    });
    t.after(() => stub.close());
    const client = new DioptraClient(stub.address);
    await client.jobs.getMetricsById(1);
    await client.jobs.getMetricsById(1);
    const names = stub.requests[1].headers.cookie.split("; ").map((pair) => pair.split("=")[0]);
    assert.deepEqual(names, ["own", "sec", "fits"]);
  });
});

const runNode = (source, env) => runModule(source, env);
