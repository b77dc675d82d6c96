// Issue 8: the logger keeps its promise while the real Dioptra is killed (SIGKILL) and restarted
// on the same port: every point stored exactly once with the right value (NaN and ±Infinity
// among them), timestamps in step order, nothing given up, default options. The server is a
// second gunicorn on the run's database (support/restartable-dioptra.mjs); the points are read
// back from the run's server with Dioptra's Python client.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";

// First: it wraps the global fetch before the package is loaded.
import { metricWrites, requestLog } from "./support/request-log.mjs";
import { DioptraClient } from "dioptra-metrics";
import { username, password, takeJob } from "./support/env.mjs";
import { pointsAt } from "./support/points.mjs";
import { startRestartableDioptra } from "./support/restartable-dioptra.mjs";
import { assertStoredExactly } from "./support/stored.mjs";

const NAMES = ["loss", "accuracy"];
const STEPS = 1000; // 2,000 points
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The most requests a logger may send while the server is down for 60 s. While the queue is
 * paused one probe is in flight at a time, each after a full-jitter wait: a uniform share of
 * min(30 s, 100 ms x 2^k). The bounds of the first nine waits add up to 51 s, then 30 s each;
 * more than 9 + 30 probes in 60 s needs 30 uniform draws on [0, 30 s] summing to under 60 s:
 * probability 2^30/30! < 1e-23. Add the requests in flight when the outage began (the
 * client's concurrency bound, 16). Today's logger: one retry schedule per point.
 */
const MAX_REQUESTS_IN_60_S_OUTAGE = 60;

describe("the logger through a kill-and-restart of the real Dioptra", () => {
  let server;
  let client;
  before(async () => {
    server = await startRestartableDioptra();
    client = new DioptraClient(server.address);
    await client.auth.login(username, password);
  });
  after(() => server?.stop());

  /**
   * `afterMs` from now, SIGKILLs the server for `downMs`, then restarts it (on the same port)
   * and waits for its /health. Resolves to the requests this process sent it while it was
   * unreachable.
   */
  async function outage(afterMs, downMs) {
    await sleep(afterMs);
    await server.kill();
    const from = requestLog.length;
    await sleep(downMs);
    await server.start();
    return requestLog.slice(from).filter((r) => r.url.startsWith(server.address));
  }

  /** A default logger for `job` that records the points it reports failed. */
  function loggerFor(job) {
    const failed = [];
    const logger = client.jobs.createLogger(job, { onError: (err, point) => failed.push(`${point?.name}@${point?.step}: ${err?.message}`.slice(0, 200)) });
    return { logger, failed };
  }

  /** Logs steps 0..STEPS-1 at 100 points a second (both names every 20 ms). */
  async function stream(logger) {
    const started = Date.now();
    for (let step = 0; step < STEPS; step++) {
      const due = started + step * 20 - Date.now();
      if (due > 0) await sleep(due);
      logger.log(pointsAt(NAMES, step), { step });
    }
  }

  /** Closes the logger, says how its requests were answered, and checks what the server holds. */
  async function assertAllStored(t, job, logger, failed) {
    const closed = await logger.close().then(
      () => null,
      (err) => err,
    );
    const answers = {};
    for (const { status } of metricWrites(job)) answers[status] = (answers[status] ?? 0) + 1;
    t.diagnostic(`job ${job}: metric writes by answer status (0: none): ${JSON.stringify(answers)}`);
    assert.ok(metricWrites(job).length >= NAMES.length * STEPS, "the requests were not counted (is fetch the global one?)");
    await assertStoredExactly(job, NAMES, STEPS);
    assert.deepEqual(failed.slice(0, 3), [], `${failed.length} points reported failed`);
    assert.equal(closed, null, `close() rejected: ${String(closed?.message).slice(0, 300)}`);
    assert.equal(logger.stats.failed, 0);
  }

  it("2,000 points streamed at 100/s through a 5 s kill (unreachable ~8 s)", async (t) => {
    const job = takeJob();
    const { logger, failed } = loggerFor(job);
    const restart = outage(5000, 5000);
    await stream(logger);
    await restart;
    await assertAllStored(t, job, logger, failed);
  });

  it("2,000 points logged at once through a 5 s kill", async (t) => {
    const job = takeJob();
    const { logger, failed } = loggerFor(job);
    for (let step = 0; step < STEPS; step++) logger.log(pointsAt(NAMES, step), { step });
    await outage(3000, 5000);
    await assertAllStored(t, job, logger, failed);
  });

  it("2,000 points streamed through a 60 s outage: all stored, nothing given up, a bounded number of requests", async (t) => {
    const job = takeJob();
    const { logger, failed } = loggerFor(job);
    const restart = outage(5000, 60_000);
    await stream(logger);
    const whileDown = await restart;
    t.diagnostic(`${whileDown.length} requests while the server was down for 60 s`);
    await assertAllStored(t, job, logger, failed);
    assert.ok(
      whileDown.length <= MAX_REQUESTS_IN_60_S_OUTAGE,
      `${whileDown.length} requests while the server was down for 60 s (at most ${MAX_REQUESTS_IN_60_S_OUTAGE})`,
    );
  });
});
