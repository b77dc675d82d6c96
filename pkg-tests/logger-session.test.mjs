// Issue 8: the logger when the server refuses the session or the job. A session ended
// server-side mid-stream (logout everywhere by another client of the same user) pauses the
// queue and `onUnauthorized` logs in again, nothing lost; without the hook the queue fails
// once with the 401. A job the server does not know fails the queue with one 404.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";

// First: it wraps the global fetch before the package is loaded.
import { metricWrites, requestLog } from "./support/request-log.mjs";
import { DioptraClient, DioptraFlushError } from "dioptra-metrics";
import { address, seed, takeJob } from "./support/env.mjs";
import { pointsAt } from "./support/points.mjs";
import { startRestartableDioptra, createUser } from "./support/restartable-dioptra.mjs";
import { assertStoredExactly, storedHistory } from "./support/stored.mjs";

const NAMES = ["loss", "accuracy"];
const STEPS = 1000;
/** 401 answers a logger may get once the session is gone: those of the requests in flight then, and one more. */
const MAX_401 = 8;

async function until(condition, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A user of its own (ending its sessions everywhere must not log out the other test files,
 * which share the run's user), a client logged in as it, and a function that ends every
 * session of that user from another client.
 */
async function ownUser() {
  const user = await createUser(address, "session");
  const client = new DioptraClient(address);
  await client.auth.login(user.username, user.password);
  const endEverySession = async () => {
    const other = new DioptraClient(address);
    await other.auth.login(user.username, user.password);
    await other.auth.logout({ everywhere: true });
  };
  return { user, client, endEverySession };
}

describe("the session ended server-side mid-stream (logout everywhere)", () => {
  it("with onUnauthorized logging in again, all 2,000 points are stored exactly once", async () => {
    const job = takeJob();
    const { user, client, endEverySession } = await ownUser();
    let logins = 0;
    const errors = [];
    const logger = client.jobs.createLogger(job, {
      onUnauthorized: async () => {
        logins += 1;
        await client.auth.login(user.username, user.password);
      },
      onError: (err, point) => errors.push(`${point?.name}@${point?.step}: ${err.message}`),
    });
    const from = requestLog.length;
    for (let step = 0; step < STEPS; step++) logger.log(pointsAt(NAMES, step), { step });
    await until(() => logger.stats.sent >= 300, "300 points sent");
    await endEverySession();
    await logger.close();
    const refused = metricWrites(job, from).filter((r) => r.status === 401).length;
    assert.ok(refused >= 1, "the session did not end: no 401");
    assert.ok(refused <= MAX_401, `${refused} requests answered 401`);
    assert.ok(logins >= 1, "onUnauthorized was not called");
    assert.deepEqual(errors.slice(0, 5), [], `${errors.length} points reported failed`);
    await assertStoredExactly(job, NAMES, STEPS);
  });

  it("without the hook, the queue fails once with the 401: a few 401 requests, one bounded error, nothing silently lost", async () => {
    const job = takeJob();
    const { client, endEverySession } = await ownUser();
    let reported = 0;
    const logger = client.jobs.createLogger(job, { onError: () => (reported += 1) });
    const from = requestLog.length;
    for (let step = 0; step < STEPS; step++) logger.log(pointsAt(NAMES, step), { step });
    await until(() => logger.stats.sent >= 300, "300 points sent");
    await endEverySession();
    const err = await logger.close().then(
      () => assert.fail("close() resolved: the points after the logout were stored?"),
      (e) => e,
    );
    const refused = metricWrites(job, from).filter((r) => r.status === 401).length;
    assert.ok(refused >= 1, "the session did not end: no 401");
    assert.ok(refused <= MAX_401, `${refused} requests answered 401 (one per point?)`);
    assert.ok(err instanceof DioptraFlushError, String(err));
    assert.match(err.message, /401/);
    assert.ok(err.message.length < 2048, `a ${err.message.length}-character error message`);
    let stored = 0;
    for (const name of NAMES) stored += (await storedHistory(job, name)).length;
    assert.equal(stored + err.points.length, NAMES.length * STEPS, `${stored} stored, ${err.points.length} reported failed`);
    assert.ok(reported <= err.points.length);
  });
});

describe("a job the server does not know (a fresh database)", () => {
  let fresh;
  after(() => fresh?.stop());

  it("1,500 queued points fail with one 404, in a few requests, with one bounded message", async () => {
    fresh = await startRestartableDioptra({ fresh: true });
    const user = await createUser(fresh.address);
    const client = new DioptraClient(fresh.address);
    await client.auth.login(user.username, user.password);
    const job = seed.experiments.main.jobIds[0]; // a job of the run's database, not of this one
    const logger = client.jobs.createLogger(job);
    const from = requestLog.length;
    for (let step = 0; step < 750; step++) logger.log(pointsAt(NAMES, step), { step });
    const err = await logger.flush().then(
      () => assert.fail("flush() resolved"),
      (e) => e,
    );
    const writes = metricWrites(job, from);
    assert.ok(writes.length >= 1 && writes.length <= 5, `${writes.length} requests for a job that does not exist`);
    assert.ok(err instanceof DioptraFlushError, String(err));
    assert.equal(err.points.length, 1500);
    assert.match(err.message, /404|Failed to locate Job/);
    assert.ok(err.message.length < 2048, `a ${err.message.length}-character error message`);
    assert.ok(writes.every((r) => r.status === 404), JSON.stringify(writes.slice(0, 3)));
    await logger.close().catch(() => {}); // already reported by flush()
  });
});
