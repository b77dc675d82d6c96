// Complete reads through transient failures, on the real Dioptra 1.2.2 behind a proxy that
// fails chosen page requests: a failed page is asked again alone, the pages already read are
// kept, and a page that keeps failing rejects the read with its last error. Also the logger's
// read-back after Dioptra refuses a NaN overwrite, counted on the same 5,000-point history.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";

import { DioptraClient, DioptraApiError, DioptraAbortError, DioptraFlushError } from "dioptra-metrics";
import { address, username, password, seed, takeJob } from "./support/env.mjs";
import { shuffledSteps } from "./support/fixtures.mjs";
import { listenOnLoopback } from "./support/stub-server.mjs";

const N = 5000;
/** The value logged at `step`: some NaN among exact finite values. */
const valueAt = (step) => (step % 500 === 7 ? NaN : step / 7);

/**
 * A proxy to the real server that counts history page requests by `index` and lets
 * `fault(url, count)` answer one itself: "503" (503 with `Retry-After`), "drop" (the
 * connection is destroyed before the server sees the request), or nothing (forwarded).
 */
async function startReadProxy(target) {
  const proxy = {
    pages: new Map(),
    experimentPages: 0,
    fault: () => null,
    retryAfter: "1",
    onFault: () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url, "http://proxy");
      let count = 0;
      if (req.method === "GET" && url.pathname.endsWith("/snapshots")) {
        const key = `${url.pathname.split("/")[6]} ${url.searchParams.get("index")}`;
        count = (proxy.pages.get(key) ?? 0) + 1;
        proxy.pages.set(key, count);
      } else if (req.method === "GET" && url.pathname.includes("/experiments/")) {
        count = ++proxy.experimentPages;
      }
      const fault = count > 0 ? proxy.fault(url, count) : null;
      if (fault === "drop") {
        proxy.onFault(fault);
        return req.socket.destroy();
      }
      if (fault === "503") {
        proxy.onFault(fault);
        res.writeHead(503, { "content-type": "text/html", "retry-after": proxy.retryAfter });
        return res.end("<html>Service Unavailable</html>");
      }
      const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => req.socket.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  return Object.assign(proxy, await listenOnLoopback(server));
}

/** Requests per `index` of metric `name`'s history, as `{ index: count }`. */
function pagesOf(proxy, name) {
  const counts = {};
  for (const [key, count] of proxy.pages) {
    const [metric, index] = key.split(" ");
    if (metric === name) counts[index] = count;
  }
  return counts;
}

let proxy;
let client;
let job;

before(async () => {
  proxy = await startReadProxy(address);
  client = new DioptraClient(proxy.address);
  await client.auth.login(username, password);
  job = takeJob();
  // Straight to the server: seeding is not what is tested.
  const direct = new DioptraClient(address);
  await direct.auth.login(username, password);
  const queue = shuffledSteps(N);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (queue.length) {
        const step = queue.pop();
        await direct.jobs.appendMetricById(job, "loss", valueAt(step), { step });
      }
    }),
  );
});

after(() => proxy.close());

function assertComplete(points) {
  assert.equal(points.length, N);
  points.forEach((point, i) => {
    assert.equal(point.step, i, `position ${i} holds step ${point.step}`);
    assert.ok(Object.is(point.value, valueAt(i)), `step ${i}: ${point.value}`);
  });
}

/** Reads the whole history with `fault` in place; the requests per index. */
async function readThrough(fault, options = {}) {
  proxy.pages.clear();
  proxy.fault = fault;
  try {
    const points = await client.jobs.getMetricHistory(job, "loss", options);
    return { points, pages: pagesOf(proxy, "loss") };
  } finally {
    proxy.fault = () => null;
  }
}

describe("complete reads retry a failed page alone", () => {
  it("one 503 with Retry-After: 1 on page 3: all 5,000 points, and only page 3 asked twice", async () => {
    const { points, pages } = await readThrough((url, count) => (url.searchParams.get("index") === "2" && count === 1 ? "503" : null));
    assertComplete(points);
    assert.equal(pages["2"], 2, `page 3 was asked ${pages["2"]} times`);
    for (const [index, count] of Object.entries(pages)) {
      if (index !== "2") assert.equal(count, 1, `page index ${index} was asked ${count} times: ${JSON.stringify(pages)}`);
    }
    assert.ok(pages["4"] === 1, `the last page was never read: ${JSON.stringify(pages)}`);
  });

  it("a connection dropped once on page 3: all 5,000 points, and only page 3 asked twice", async () => {
    const { points, pages } = await readThrough((url, count) => (url.searchParams.get("index") === "2" && count === 1 ? "drop" : null), {
      concurrency: 3,
    });
    assertComplete(points);
    assert.equal(pages["2"], 2);
    for (const [index, count] of Object.entries(pages)) {
      if (index !== "2") assert.equal(count, 1, `page index ${index} was asked ${count} times: ${JSON.stringify(pages)}`);
    }
  });

  it("the iterator keeps the pages it handed out and goes on after the retry", async () => {
    proxy.pages.clear();
    proxy.fault = (url, count) => (url.searchParams.get("index") === "1" && count <= 2 ? "503" : null);
    proxy.retryAfter = "0";
    try {
      const steps = [];
      for await (const page of client.jobs.iterMetricsSnapshots(job, "loss", { concurrency: 1 }).pages()) {
        steps.push(...page.data.map((p) => p.step));
      }
      assert.equal(steps.length, N);
      assert.equal(new Set(steps).size, N, "a point came twice");
      assert.deepEqual(pagesOf(proxy, "loss"), { 0: 1, 1: 3, 2: 1, 3: 1, 4: 1 });
    } finally {
      proxy.fault = () => null;
      proxy.retryAfter = "1";
    }
  });

  it("a page that fails past giveUpAfterMs rejects with its last error, typed", async () => {
    proxy.retryAfter = "0";
    try {
      await assert.rejects(
        readThrough((url) => (url.searchParams.get("index") === "2" ? "503" : null), {
          retry: { minDelayMs: 10, maxDelayMs: 50, giveUpAfterMs: 400 },
        }),
        (err) => err instanceof DioptraApiError && err.status === 503 && /\/snapshots$/.test(err.path),
      );
      const asked = pagesOf(proxy, "loss")["2"];
      assert.ok(asked >= 2, `page 3 was asked ${asked} times: it was not retried`);
    } finally {
      proxy.retryAfter = "1";
    }
  });

  it("retries: 0 fails at the first failure", async () => {
    await assert.rejects(
      readThrough((url) => (url.searchParams.get("index") === "2" ? "drop" : null), { retry: { retries: 0 } }),
      (err) => err.name === "DioptraNetworkError",
    );
    assert.equal(pagesOf(proxy, "loss")["2"], 1);
  });

  it("an abort during the wait ends the read at once with DioptraAbortError", { timeout: 60_000 }, async () => {
    // The server asks for an hour and the caller allows it: only the abort can end the wait.
    proxy.retryAfter = "3600";
    const controller = new AbortController();
    proxy.onFault = () => setTimeout(() => controller.abort(), 50);
    try {
      await assert.rejects(
        readThrough((url, count) => (url.searchParams.get("index") === "2" && count === 1 ? "503" : null), {
          signal: controller.signal,
          retry: { maxDelayMs: 3_600_000 },
        }),
        (err) => err instanceof DioptraAbortError,
      );
      assert.equal(pagesOf(proxy, "loss")["2"], 1, "the failed page was asked again after the abort");
    } finally {
      proxy.retryAfter = "1";
      proxy.onFault = () => {};
    }
  });

  it("experiment reads retry too", async () => {
    const { id, jobIds } = seed.experiments.many;
    const expected = (await client.experiments.getAllMetrics(id)).map((j) => j.id);
    proxy.experimentPages = 0;
    proxy.retryAfter = "0";
    proxy.fault = (url, count) => (count === 1 ? "503" : null);
    try {
      const jobs = await client.experiments.getAllMetrics(id);
      assert.equal(proxy.experimentPages, 2, "the failed page was not asked again, once");
      assert.deepEqual(
        jobs.map((j) => j.id),
        expected,
      );
      assert.equal(jobs.length, jobIds.length);
    } finally {
      proxy.fault = () => null;
      proxy.retryAfter = "1";
    }
  });

  it("the retry option is checked before any request", async () => {
    proxy.pages.clear();
    for (const retry of [{ retries: -1 }, { minDelayMs: NaN }, { giveUpAfterMs: "60000" }, { backoff: 2 }, 5]) {
      await assert.rejects(client.jobs.getMetricHistory(job, "loss", { retry }), (err) => err.name === "DioptraValidationError");
    }
    assert.equal(proxy.pages.size, 0, "a request was sent");
  });
});

describe("the logger's read-back after a refused NaN overwrite", () => {
  /** Logs NaN at `step` through the proxy; the flush outcome and the history pages it read. */
  async function logNaN(step) {
    proxy.pages.clear();
    const logger = client.jobs.createLogger(job, { retry: { retries: 0 } });
    logger.log({ loss: NaN }, { step });
    const outcome = await logger.close().then(
      () => null,
      (err) => err,
    );
    return { outcome, requests: Object.values(pagesOf(proxy, "loss")).reduce((a, b) => a + b, 0) };
  }

  it("over a stored value: refused with the stored value, in a few page reads", async () => {
    const step = 3210;
    const { outcome, requests } = await logNaN(step);
    assert.ok(outcome instanceof DioptraFlushError, String(outcome));
    const [failed] = outcome.points;
    assert.equal(failed.step, step);
    assert.match(failed.error.message, /refused to overwrite/);
    assert.ok(failed.error.message.includes(String(valueAt(step)).slice(0, 8)), failed.error.message);
    // 5 pages: the first, the probe (page 1), the last, and at most 2 more.
    assert.ok(requests >= 2 && requests <= 5, `${requests} page reads`);
  });

  it("over a stored NaN: counted as stored", async () => {
    const step = 4507; // valueAt(4507) is NaN
    const { outcome, requests } = await logNaN(step);
    assert.equal(outcome, null);
    assert.ok(requests >= 1 && requests <= 5, `${requests} page reads`);
    const points = await client.jobs.getMetricHistory(job, "loss");
    assert.ok(Number.isNaN(points[step].value));
  });
});
