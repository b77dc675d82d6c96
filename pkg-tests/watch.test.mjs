// jobs.watchMetrics on the real Dioptra: each stored point once, new names found, overwrites
// of the tail flagged, points stored below the highest step found, a quiet poll's cost,
// transient errors ridden out, and nothing in flight after `break` or an abort.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";

import { DioptraClient, DioptraValidationError } from "dioptra-metrics";
import { address, username, password, takeJob } from "./support/env.mjs";
import { seedMetrics, seededValue } from "./support/seeded.mjs";
import { startCountingProxy } from "./support/counting-proxy.mjs";

const SEEDED = 2_345; // beyond two pages of 1000: the tail is read with index 2
let failNext = 0;
let proxy;
let client;

before(async () => {
  proxy = await startCountingProxy(address, {
    fail: (req) => (req.method === "GET" && req.url.includes("/jobs/") && failNext > 0 ? (failNext--, 503) : undefined),
  });
  client = new DioptraClient(proxy.address);
  await client.auth.login(username, password);
});
after(() => proxy.close());

/** Takes points from `iterator` until `count` have come (or throws after `ms`). */
async function take(iterator, count, ms = 15_000) {
  const got = [];
  const deadline = Date.now() + ms;
  while (got.length < count) {
    let timer;
    const late = new Promise((r) => (timer = setTimeout(() => r("late"), Math.max(0, deadline - Date.now()))));
    const next = await Promise.race([iterator.next(), late]);
    clearTimeout(timer);
    if (next === "late") assert.fail(`only ${got.length} of ${count} points came: ${JSON.stringify(got.slice(-3))}`);
    if (next.done) break;
    got.push(next.value);
  }
  return got;
}

describe("jobs.watchMetrics", () => {
  it("fromStart yields the history, then each new point once, in order, with new names found", async () => {
    const job = takeJob();
    await seedMetrics(job, ["loss"], 0, SEEDED);
    const it = client.jobs.watchMetrics(job, { fromStart: true, intervalMs: 50 })[Symbol.asyncIterator]();
    const history = await take(it, SEEDED);
    assert.deepEqual(history.map((p) => p.step), Array.from({ length: SEEDED }, (_, i) => i));
    assert.ok(history.every((p) => Object.is(p.value, seededValue(p.step)) && p.name === "loss" && p.timestamp instanceof Date));
    for (let step = SEEDED; step < SEEDED + 5; step++) await client.jobs.appendMetricById(job, "loss", step / 4, { step });
    await client.jobs.appendMetricById(job, "acc", 0.5, { step: 0 });
    await client.jobs.appendMetricById(job, "acc", "nan", { step: 1 });
    const live = await take(it, 7);
    const loss = live.filter((p) => p.name === "loss");
    assert.deepEqual(loss.map((p) => [p.step, p.value]), [0, 1, 2, 3, 4].map((k) => [SEEDED + k, (SEEDED + k) / 4]));
    assert.deepEqual(live.filter((p) => p.name === "acc").map((p) => [p.step, p.value]), [[0, 0.5], [1, NaN]]);
    assert.ok(live.every((p) => p.overwrite === undefined));
    await it.return();
  });

  it("without fromStart only new points come; an overwrite of the tail and a point below the highest step are found", async () => {
    const job = takeJob();
    await seedMetrics(job, ["loss"], 0, 1500);
    const it = client.jobs.watchMetrics(job, { intervalMs: 50 })[Symbol.asyncIterator]();
    const pending = it.next(); // the first poll reads the history without yielding it
    await new Promise((r) => setTimeout(r, 1500));
    await client.jobs.appendMetricById(job, "loss", 7, { step: 1499 }); // overwrites the last point
    const first = await pending;
    assert.deepEqual([first.value.step, first.value.value, first.value.overwrite], [1499, 7, true]);
    await client.jobs.appendMetricById(job, "loss", 1, { step: 1600 });
    await client.jobs.appendMetricById(job, "loss", 2, { step: 1550 }); // below the highest step: the server's order shifts
    const got = await take(it, 2);
    assert.deepEqual(got.map((p) => p.step).sort((a, b) => a - b), [1550, 1600]);
    assert.ok(got.every((p) => !p.overwrite));
    await it.return();
  });

  it("a quiet poll costs one request per metric plus one for the names; break leaves nothing in flight", async () => {
    const job = takeJob();
    await seedMetrics(job, ["a", "b", "c"], 0, 1200);
    const it = client.jobs.watchMetrics(job, { intervalMs: 300 })[Symbol.asyncIterator]();
    const pending = it.next();
    await new Promise((r) => setTimeout(r, 2000)); // the first poll, then quiet ones
    const before = proxy.counts.requests;
    await new Promise((r) => setTimeout(r, 1200));
    const polls = (proxy.counts.requests - before) / 4;
    assert.ok(Number.isInteger(polls) && polls >= 1, `${proxy.counts.requests - before} requests in quiet polls is not 4 per poll`);
    await client.jobs.appendMetricById(job, "b", 1, { step: 5000 });
    assert.equal((await pending).value.step, 5000);
    await it.return();
    assert.equal(proxy.counts.inFlight, 0);
    const after = proxy.counts.requests;
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(proxy.counts.requests, after, "requests after break");
  });

  it("rides out transient errors (503) and reports them to onError; an abort ends it with nothing in flight", async () => {
    const job = takeJob();
    const errors = [];
    const controller = new AbortController();
    const it = client.jobs.watchMetrics(job, { intervalMs: 50, signal: controller.signal, retry: { minDelayMs: 20, maxDelayMs: 100 }, onError: (e) => errors.push(e) })[Symbol.asyncIterator]();
    const pending = it.next();
    await new Promise((r) => setTimeout(r, 300));
    failNext = 3;
    await client.jobs.appendMetricById(job, "x", 1, { step: 0 });
    await client.jobs.appendMetricById(job, "x", 2, { step: 1 });
    const got = [(await pending).value, ...(await take(it, 1))];
    assert.deepEqual(got.map((p) => [p.step, p.value]), [[0, 1], [1, 2]]);
    assert.ok(errors.length >= 1 && errors.every((e) => e.status === 503), `${errors.length} errors reported`);
    const last = it.next();
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    assert.deepEqual(await last, { done: true, value: undefined });
    assert.equal(proxy.counts.inFlight, 0);
  });

  it('detect: "latest" costs one request per quiet poll, and misses a new point equal to the latest value', async () => {
    const job = takeJob();
    await seedMetrics(job, ["a", "b"], 0, 1100);
    const it = client.jobs.watchMetrics(job, { intervalMs: 200, detect: "latest" })[Symbol.asyncIterator]();
    const pending = it.next();
    await new Promise((r) => setTimeout(r, 1500));
    const before = proxy.counts.requests;
    await new Promise((r) => setTimeout(r, 1000));
    const quiet = proxy.counts.requests - before;
    assert.ok(quiet >= 3 && quiet <= 6, `${quiet} requests in 1 s of quiet polls every 200 ms`);
    // The same value as the latest one at a higher step: "latest" cannot tell it changed.
    await client.jobs.appendMetricById(job, "a", seededValue(1099), { step: 1100 });
    await client.jobs.appendMetricById(job, "b", 123, { step: 1100 });
    assert.deepEqual([(await pending).value.name, (await pending).value.step], ["b", 1100]);
    await client.jobs.appendMetricById(job, "a", 5, { step: 1101 });
    // Once a's latest value changes, its tail is read: the missed point comes too, in order.
    assert.deepEqual((await take(it, 2)).map((p) => [p.name, p.step]), [["a", 1100], ["a", 1101]]);
    await it.return();
  });

  it("bad options are refused at once", () => {
    assert.throws(() => client.jobs.watchMetrics(1, { intervalMs: -1 }), DioptraValidationError);
    assert.throws(() => client.jobs.watchMetrics(1, { name: ["x"] }), DioptraValidationError);
    assert.throws(() => client.jobs.watchMetrics("x"), DioptraValidationError);
    assert.throws(() => client.jobs.watchMetrics(1, { detect: "all" }), DioptraValidationError);
  });
});
