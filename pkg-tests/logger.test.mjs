// The metric logger against the real Dioptra, through a fault-injecting proxy, and with the
// server gone: nothing logged is lost, nothing is stored twice, flush() never hangs.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  DioptraClient,
  DioptraApiError,
  DioptraFlushError,
  DioptraLoggerClosedError,
  DioptraQueueFullError,
  DioptraValidationError,
} from "dioptra-metrics";
import { address, username, password, takeJob, pyclient } from "./support/env.mjs";
import { startFaultProxy } from "./support/fault-proxy.mjs";
import { runModule } from "./support/node-child.mjs";
import { startStub, json, echoMetric } from "./support/stub-server.mjs";
import { deadAddress, shuffledSteps } from "./support/fixtures.mjs";

const client = new DioptraClient(address);

/** A stub that answers its first request 503 with `Retry-After: 1`, then stores everything. */
async function startBusyOnceStub(retryAfter = "1") {
  const stub = await startStub((req, res) => {
    if (stub.requests.length === 1) return json(res, 503, { message: "busy" }, { "retry-after": retryAfter });
    json(res, 200, { name: "loss", value: 1 });
  });
  return stub;
}
before(() => client.auth.login(username, password));

const NAMES = ["loss", "accuracy", "lr"];
/** The value logged for (name, step): exact finite values with NaN and ±Infinity among them. */
function valueOf(name, step) {
  if (step % 97 === 11) return NaN;
  if (step % 97 === 12) return name === "lr" ? -Infinity : Infinity;
  return (step + NAMES.indexOf(name) / 10) / 3;
}

/** Reads every (name, step) of `job` with Dioptra's Python client and checks the values. */
async function assertStoredByPython(job, stepsPerName) {
  for (const name of NAMES) {
    const points = await pyclient(["history", job, name]);
    assert.equal(points.length, stepsPerName, `${name}: ${points.length} points stored`);
    for (const point of points) {
      const special = { nan: NaN, inf: Infinity, "-inf": -Infinity };
      const stored = typeof point.value === "string" ? special[point.value] : Number(point.repr);
      assert.ok(Object.is(stored, valueOf(name, point.step)), `${name}@${point.step}: stored ${point.value}`);
    }
  }
}

function assertStatsAddUp(stats, logged) {
  assert.equal(stats.sent + stats.failed + stats.coalesced + stats.queued + stats.inFlight, logged, JSON.stringify(stats));
}

describe("the logger against the real Dioptra", () => {
  it("stores 3,000 points over 3 names, shuffled steps, specials included, exactly", async () => {
    const job = takeJob();
    const logger = client.jobs.createLogger(job, { concurrency: 4 });
    for (const step of shuffledSteps(1000)) {
      logger.log(Object.fromEntries(NAMES.map((name) => [name, valueOf(name, step)])), { step });
    }
    await logger.close();
    const stats = logger.stats;
    assert.equal(stats.sent, 3000);
    assert.deepEqual([stats.failed, stats.queued, stats.inFlight], [0, 0, 0]);
    assertStatsAddUp(stats, 3000);
    await assertStoredByPython(job, 1000);
  });

  it("coalesces repeats: the last value wins with fewer requests than calls", async () => {
    const job = takeJob();
    const logger = client.jobs.createLogger(job, { flushIntervalMs: 60_000 });
    for (let i = 0; i <= 50; i++) logger.log({ loss: i / 100 }, { step: 7 });
    logger.log({ loss: 0.5 }, { step: 8 });
    await logger.flush();
    const stats = logger.stats;
    assert.equal(stats.sent, 2, JSON.stringify(stats));
    assert.equal(stats.coalesced, 50);
    assertStatsAddUp(stats, 52);
    const history = await client.jobs.getMetricHistory(job, "loss");
    assert.deepEqual(
      history.map((p) => [p.step, p.value]),
      [
        [7, 0.5],
        [8, 0.5],
      ],
    );
    await logger.close();
  });

  it("fails fast on a 404 job and reports each point with its name, step and the server's message", async () => {
    const reported = [];
    const logger = client.jobs.createLogger(999999, { onError: (err, point) => reported.push({ err, point }) });
    logger.log({ loss: 1, accuracy: 2 }, { step: 4 });
    const started = Date.now();
    await assert.rejects(logger.flush(), (err) => {
      assert.ok(err instanceof DioptraFlushError);
      assert.equal(err.points.length, 2);
      assert.deepEqual(err.points.map((p) => [p.name, p.step]).sort(), [
        ["accuracy", 4],
        ["loss", 4],
      ]);
      for (const error of err.errors) {
        assert.ok(error instanceof DioptraApiError);
        assert.equal(error.status, 404);
      }
      assert.match(err.message, /Failed to locate Job/);
      return true;
    });
    assert.ok(Date.now() - started < 2000, "a 404 was retried");
    assert.equal(logger.stats.retried, 0);
    assert.equal(reported.length, 2);
    assert.ok(reported[0].err instanceof DioptraApiError);
    await logger.close(); // the failures were reported once, by flush()
  });

  it("validates at log() time, synchronously, and queues nothing bad", () => {
    const logger = client.jobs.createLogger(takeJob());
    assert.throws(() => logger.log({ "1bad": 1 }), (err) => err instanceof DioptraValidationError && err.field === "metricName");
    assert.throws(() => logger.log({ ok: "1.5" }), (err) => err instanceof DioptraValidationError && err.field === "metricValue");
    assert.throws(() => logger.log({ ok: 1 }, { step: 1.5 }), (err) => err instanceof DioptraValidationError && err.field === "step");
    assert.throws(() => logger.log({}), (err) => err instanceof DioptraValidationError && err.field === "metrics");
    assert.throws(() => logger.log([1]), (err) => err instanceof DioptraValidationError && err.field === "metrics");
    assert.throws(() => client.jobs.createLogger(1, { concurrency: 0 }), (err) => err.field === "concurrency");
    assert.throws(() => client.jobs.createLogger(1, { retry: { retries: -1 } }), (err) => err.field === "retry.retries");
    assert.throws(() => client.jobs.createLogger(1, { step: "manual" }), (err) => err.field === "step");
    assert.throws(() => client.jobs.createLogger(1, { flushInterval: 5 }), (err) => err.field === "flushInterval");
    assert.deepEqual(logger.stats, {
      queued: 0,
      inFlight: 0,
      sent: 0,
      retried: 0,
      coalesced: 0,
      failed: 0,
      requests: 0,
      state: "sending",
    });
    return logger.close();
  });

  it("log() of plain numbers (one crossing) and of any other object (the general path) check and store alike", async () => {
    // A plain object of numbers with { step } takes logNumbers; the same metrics in an object
    // without a prototype take the general log(): same errors, same points stored.
    const general = (metrics) => Object.assign(Object.create(null), metrics);
    const bad = [
      [{ "1bad": 1 }, undefined],
      [{ ok: 1, "bad name": 2 }, { step: 3 }],
      [{ ok: 1 }, { step: 1.5 }],
      [{ "1bad": 1 }, { step: 0.5 }],
      [{ ok: 1 }, { step: 2 ** 60 }],
      [{ ["x".repeat(4000)]: 1 }, undefined],
    ];
    const logger = client.jobs.createLogger(takeJob(), { flushIntervalMs: 60_000 });
    for (const [metrics, options] of bad) {
      const errors = [metrics, general(metrics)].map((m) => {
        try {
          logger.log(m, options);
        } catch (err) {
          return { type: err.constructor.name, field: err.field, message: err.message };
        }
        return "logged";
      });
      assert.notEqual(errors[0], "logged", JSON.stringify(Object.keys(metrics)));
      assert.deepEqual(errors[0], errors[1]);
    }
    assert.equal(logger.stats.queued, 0);
    await logger.close();
    const jobs = [takeJob(), takeJob()];
    for (const [i, job] of jobs.entries()) {
      const each = client.jobs.createLogger(job, { flushIntervalMs: 0 });
      for (let step = 0; step < 20; step++) {
        const metrics = { loss: step === 3 ? NaN : 1 / (step + 1), acc: step === 4 ? -Infinity : step / 20 };
        each.log(i === 0 ? metrics : general(metrics), step % 5 === 0 ? undefined : { step });
      }
      await each.close();
    }
    const [plain, other] = await Promise.all(jobs.map((job) => client.jobs.getMetricHistory(job, "loss")));
    assert.equal(plain.length, 17); // step 0 logged 5 times (no step: the server's 0)
    assert.deepEqual(
      plain.map((p) => [p.step, p.value]),
      other.map((p) => [p.step, p.value]),
    );
  });

  it('numbers steps per name with step: "auto"', async () => {
    const job = takeJob();
    const logger = client.jobs.createLogger(job, { step: "auto", flushIntervalMs: 0 });
    for (let i = 0; i < 5; i++) logger.log({ loss: i, accuracy: -i });
    await logger.close();
    const loss = await client.jobs.getMetricHistory(job, "loss");
    assert.deepEqual(
      loss.map((p) => [p.step, p.value]),
      [0, 1, 2, 3, 4].map((i) => [i, i]),
    );
  });

  it("bounds its memory: log() throws when full, logAsync() waits for room", async () => {
    const job = takeJob();
    const logger = client.jobs.createLogger(job, { maxQueue: 5, flushIntervalMs: 60_000 });
    for (let step = 0; step < 5; step++) logger.log({ loss: step }, { step });
    assert.throws(() => logger.log({ loss: 5 }, { step: 5 }), (err) => err instanceof DioptraQueueFullError && err.maxQueue === 5);
    for (let step = 5; step < 20; step++) await logger.logAsync({ loss: step }, { step });
    await logger.close();
    assert.equal((await client.jobs.getMetricHistory(job, "loss")).length, 20);
    assert.throws(() => logger.log({ loss: 1 }), DioptraLoggerClosedError);
  });

  it("logMetrics stores several metrics at once", async () => {
    const job = takeJob();
    await client.jobs.logMetrics(job, { accuracy: 0.91, loss: NaN }, { step: 3 });
    const latest = await client.jobs.getMetricsById(job);
    assert.deepEqual(Object.fromEntries(latest.map((m) => [m.name, m.value])), { accuracy: 0.91, loss: NaN });
    await assert.rejects(client.jobs.logMetrics(job, { "bad-name": 1 }), DioptraValidationError);
  });
});

describe("the logger under faults", () => {
  let proxy;
  before(async () => {
    proxy = await startFaultProxy(address, { drop: 0.1, unavailable: 0.05, maxDelayMs: 200 });
  });
  after(() => proxy.close());

  it("lands all 3,000 points exactly once with the right values through drops, 503s and delays", async () => {
    const job = takeJob();
    const flaky = new DioptraClient(proxy.address);
    await flaky.auth.login(username, password);
    const logger = flaky.jobs.createLogger(job, { concurrency: 8, retry: { retries: 10, minDelayMs: 10, maxDelayMs: 200 } });
    let logged = 0;
    for (const step of shuffledSteps(1000)) {
      logger.log(Object.fromEntries(NAMES.map((name) => [name, valueOf(name, step)])), { step });
      logged += 3;
      if (step % 100 === 0) logger.log({ loss: valueOf("loss", step) }, { step }), (logged += 1); // a repeat
    }
    await logger.close();
    const stats = logger.stats;
    assert.equal(stats.failed, 0, JSON.stringify(stats));
    assert.ok(stats.retried > 0, "no fault was injected");
    assertStatsAddUp(stats, logged);
    assert.ok(proxy.counts.dropped > 0 && proxy.counts.unavailable > 0, JSON.stringify(proxy.counts));
    assert.equal(proxy.overlaps, 0, "two requests for one (name, step) were in flight together");
    await assertStoredByPython(job, 1000);
  });
});

describe("Dioptra 1.2.2 refusing NaN over a stored value (HTTP 500)", () => {
  it("a NaN whose first answer was lost is checked, found stored, and counted as sent", async () => {
    const proxy = await startFaultProxy(address, { drop: 0, unavailable: 0, maxDelayMs: 0, loseFirstAnswer: true });
    try {
      const job = takeJob();
      const viaProxy = new DioptraClient(proxy.address);
      await viaProxy.auth.login(username, password);
      const logger = viaProxy.jobs.createLogger(job, { retry: { minDelayMs: 1, maxDelayMs: 5 } });
      logger.log({ loss: NaN }, { step: 1 });
      await logger.close();
      assert.equal(proxy.counts.dropped, 1, "the first answer was not lost");
      assert.deepEqual([logger.stats.sent, logger.stats.failed, logger.stats.retried], [1, 0, 1]);
      const [point] = await client.jobs.getMetricHistory(job, "loss");
      assert.ok(Number.isNaN(point.value));
    } finally {
      await proxy.close();
    }
  });

  it("a NaN over another stored value fails at once, saying why", async () => {
    const job = takeJob();
    await client.jobs.appendMetricById(job, "loss", 0.25, { step: 2 });
    await assert.rejects(client.jobs.appendMetricById(job, "loss", NaN, { step: 2 }), (err) => {
      assert.ok(err instanceof DioptraApiError);
      assert.equal(err.status, 500);
      assert.match(err.message, /NaN overwrites a stored value/);
      return true;
    });
    const logger = client.jobs.createLogger(job);
    logger.log({ loss: NaN }, { step: 2 });
    await assert.rejects(logger.close(), (err) => {
      assert.ok(err instanceof DioptraFlushError);
      assert.match(err.message, /refused to overwrite loss@2 \(stored value 0\.25\) with NaN/);
      return true;
    });
    assert.equal(logger.stats.retried, 0);
  });
});

describe("the logger with the server gone", () => {
  it("flush() settles once the retry budget is spent", async () => {
    const gone = new DioptraClient(await deadAddress());
    const logger = gone.jobs.createLogger(1, { retry: { retries: 3, minDelayMs: 20, maxDelayMs: 100 } });
    logger.log({ loss: 1, accuracy: 2 }, { step: 1 });
    const started = Date.now();
    await assert.rejects(logger.flush(), (err) => err instanceof DioptraFlushError && err.points.length === 2);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    // An outage's probes spend the count for every point waiting: at most 3 retries each.
    assert.ok(logger.stats.retried >= 3 && logger.stats.retried <= 6, `${logger.stats.retried} retries`);
    assert.ok(logger.stats.requests <= 2 * (3 + 1), `${logger.stats.requests} requests for 2 points`);
    assert.equal(logger.stats.failed, 2);
    await logger.close();
  });

  it("honours Retry-After", async () => {
    const stub = await startBusyOnceStub();
    const logger = new DioptraClient(stub.address).jobs.createLogger(1, { retry: { minDelayMs: 1 } });
    logger.log({ loss: 1 });
    const started = Date.now();
    await logger.close();
    const elapsed = Date.now() - started;
    await stub.close();
    assert.equal(stub.requests.length, 2);
    assert.ok(elapsed >= 950, `retried after ${elapsed} ms, before the server's Retry-After: 1`);
  });

  it("caps Retry-After at maxDelayMs (a server asking for an hour cannot hold flush() for one)", { timeout: 20_000 }, async () => {
    const stub = await startBusyOnceStub("3600");
    const logger = new DioptraClient(stub.address).jobs.createLogger(1, { retry: { minDelayMs: 10, maxDelayMs: 50 } });
    logger.log({ loss: 1 });
    await logger.close();
    await stub.close();
    assert.equal(stub.requests.length, 2);
    assert.equal(logger.stats.sent, 1);
  });
});

describe("the logger's limits (found in review)", () => {
  it("logging the same key again and again cannot keep flush() waiting on a dead server", async () => {
    const stub = await startStub(() => {}); // accepts, never answers
    try {
      const logger = new DioptraClient(stub.address).jobs.createLogger(1, {
        timeoutMs: 100,
        flushIntervalMs: 0,
        retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
      });
      const again = setInterval(() => logger.log({ lr: Math.random() }), 20);
      logger.log({ lr: 0 });
      const started = Date.now();
      await assert.rejects(logger.flush(), DioptraFlushError);
      clearInterval(again);
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
      await logger.close().catch(() => {});
    } finally {
      await stub.close();
    }
  });

  it("a call with more names than maxQueue is a validation error, also for logAsync", async () => {
    const logger = client.jobs.createLogger(takeJob(), { maxQueue: 1 });
    assert.throws(() => logger.log({ a: 1, b: 2 }), (err) => err instanceof DioptraValidationError && err.field === "metrics");
    await assert.rejects(logger.logAsync({ a: 1, b: 2 }), (err) => err instanceof DioptraValidationError && err.field === "metrics");
    await logger.close();
  });

  it("a page going away sends at most 48 KiB of bodies with keepalive, and keeps the rest", async () => {
    const stub = await startStub((req, res, body) => echoMetric(res, body));
    try {
      const logger = new DioptraClient(stub.address).jobs.createLogger(1, { flushIntervalMs: 60_000 });
      for (let step = 0; step < 2000; step++) logger.log({ a_rather_long_metric_name: step / 3 }, { step });
      logger._sendWithKeepalive();
      const burst = logger.stats.inFlight;
      assert.ok(burst > 100 && burst < 2000, `${burst} requests in the burst`);
      assert.equal(logger.stats.queued, 2000 - burst, "the rest stays queued");
      const body = JSON.stringify({ name: "a_rather_long_metric_name", value: 1999 / 3, step: 1999 });
      assert.ok(burst * Buffer.byteLength(body) <= 48 * 1024 + burst * 8, `${burst} bodies of about ${body.length} bytes`);
      await logger.close();
      assert.equal(stub.requests.length, 2000);
    } finally {
      await stub.close();
    }
  });

  it("logMetrics takes only its own options", async () => {
    await assert.rejects(client.jobs.logMetrics(1, { a: 1 }, { signal: AbortSignal.timeout(1000) }), (err) => err.field === "signal");
    await assert.rejects(client.jobs.logMetrics(1, { a: 1 }, { flushIntervalMs: 5 }), (err) => err.field === "flushIntervalMs");
  });
});

describe("the logger in a Node process", () => {
  const script = (body) => `
    import { DioptraClient } from "dioptra-metrics";
    const client = new DioptraClient(process.env.DIOPTRA_ADDRESS);
    await client.auth.login(process.env.DIOPTRA_USERNAME, process.env.DIOPTRA_PASSWORD);
    const logger = client.jobs.createLogger(Number(process.env.JOB), { flushIntervalMs: 60000 });
    for (let step = 0; step < 200; step++) logger.log({ loss: step / 2 }, { step });
    ${body}
  `;

  /**
   * Runs `source` as an ES module in a Node child process (beside these tests, so that
   * "dioptra-metrics" resolves) with `env` added; resolves to its stdout, stderr and run time
   * once it exits 0, rejects otherwise, or after 55 s: under the loggers' 60 s flush interval, so
   * a process that the interval keeps alive fails, while a slow server does not.
   */
  const runNode = (source, env) => runModule(source, env, { timeoutMs: 55_000 });

  it("exits promptly after await logger.close(), with everything stored", async () => {
    const job = takeJob();
    // Timed from close()'s resolution, so that a slow server (a loaded machine) does not count:
    // what must not happen is a timer or socket holding the process open after close().
    const { stdout } = await runNode(script('await logger.close(); console.log("closed", Date.now());'), { JOB: String(job) });
    const closedAt = Number(/^closed (\d+)/m.exec(stdout)?.[1]);
    const exitAfterClose = Date.now() - closedAt;
    assert.ok(exitAfterClose < 5_000, `exited ${exitAfterClose} ms after close() resolved`);
    assert.equal((await client.jobs.getMetricHistory(job, "loss")).length, 200);
  });

  it("a flush() awaited at the top level waits out a retry delay that began before it", async () => {
    const stub = await startBusyOnceStub();
    try {
      const source = `
        import { DioptraClient } from "dioptra-metrics";
        const logger = new DioptraClient(process.env.STUB).jobs.createLogger(1, { flushIntervalMs: 0 });
        logger.log({ loss: 1 });
        await new Promise((resolve) => setTimeout(resolve, 300)); // the 503 is in: a retry waits
        await logger.flush();
        console.log("flushed", JSON.stringify(logger.stats));
      `;
      const { stdout: output } = await runNode(source, { STUB: stub.address });
      assert.match(output, /^flushed .*"sent":1/);
      assert.equal(stub.requests.length, 2);
    } finally {
      await stub.close();
    }
  });

  it("says at exit what was given up on and never reported", async () => {
    const stub = await startStub((req, res) => json(res, 404, { error: "EntityDoesNotExistError", message: "no such job" }));
    try {
      const source = `
        import { DioptraClient } from "dioptra-metrics";
        const logger = new DioptraClient(process.env.STUB).jobs.createLogger(1, { flushIntervalMs: 0 });
        logger.log({ loss: 1 }, { step: 4 });
        await new Promise((resolve) => setTimeout(resolve, 300)); // given up on; no flush, no close
      `;
      const { stderr } = await runNode(source, { STUB: stub.address });
      assert.match(stderr, /dioptra-metrics: at exit, 1 point\(s\) could not be stored: HTTP 404: no such job \(loss@4\)/);
    } finally {
      await stub.close();
    }
  });

  it("sends what is still queued when the script just ends (beforeExit)", async () => {
    const job = takeJob();
    await runNode(script("// no close(): the 60 s interval must not keep the process alive, nor lose the points"), {
      JOB: String(job),
    });
    const history = await client.jobs.getMetricHistory(job, "loss");
    assert.equal(history.length, 200);
    assert.equal(history[199].value, 99.5);
  });
});
