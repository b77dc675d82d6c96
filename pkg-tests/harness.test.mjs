// The fault harness itself (pkg-tests/support/restartable-dioptra.mjs): a second real Dioptra
// that a test kills and restarts on the same port, on the run's database or a fresh one.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";

// First: it wraps the global fetch before the package is loaded.
import { metricWrites, requestLog } from "./support/request-log.mjs";
import { DioptraClient, DioptraApiError } from "dioptra-metrics";
import { address, username, password, takeJob, pyclient } from "./support/env.mjs";
import { startRestartableDioptra, createUser } from "./support/restartable-dioptra.mjs";

describe("a restartable Dioptra on the run's database", () => {
  let server;
  after(() => server?.stop());

  it("serves the run's data, refuses connections once killed, and comes back on its port with sessions intact", async () => {
    server = await startRestartableDioptra();
    assert.notEqual(server.address, address);
    const job = takeJob();
    const client = new DioptraClient(server.address);
    await client.auth.login(username, password);
    await client.jobs.appendMetricById(job, "loss", 0.5, { step: 1 });
    // stored in the run's database: the run's server reads it
    assert.deepEqual((await pyclient(["history", job, "loss"])).map((p) => [p.step, p.value]), [[1, 0.5]]);

    await server.kill();
    assert.equal(server.running, false);
    // nothing listens on its port any more
    const refused = await new Promise((resolve) => {
      const socket = net.connect(server.port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve("connected")));
      socket.once("error", (err) => resolve(err.code));
    });
    assert.equal(refused, "ECONNREFUSED");
    // the run's server is untouched
    assert.equal((await fetch(`${address}/health`)).status, 200);

    await server.start();
    assert.equal(server.running, true);
    // Dioptra's dev config signs sessions with a fixed SECRET_KEY ("deploy123" unless
    // DIOPTRA_DEPLOY_SECRET_KEY is set) and the session names the user by an id kept in the
    // database: the session from before the restart is still good.
    await client.jobs.appendMetricById(job, "loss", 0.25, { step: 2 });
    assert.equal((await pyclient(["history", job, "loss"])).length, 2);
  });

  it("shares the SQLite database with the run's server under concurrent writes to both", async () => {
    const viaRun = new DioptraClient(address);
    const viaSecond = new DioptraClient(server.address);
    await Promise.all([viaRun.auth.login(username, password), viaSecond.auth.login(username, password)]);
    const jobs = [takeJob(), takeJob()];
    const from = requestLog.length;
    const loggers = [viaRun, viaSecond].map((c, i) => c.jobs.createLogger(jobs[i], { concurrency: 8, flushIntervalMs: 0 }));
    for (let step = 0; step < 400; step++) for (const logger of loggers) logger.log({ loss: step, accuracy: -step }, { step });
    await Promise.all(loggers.map((logger) => logger.close()));
    for (const job of jobs) {
      // every write answered 200 the first time: no "database is locked" (500) from either server
      const statuses = metricWrites(job, from).map((r) => r.status);
      assert.deepEqual([...new Set(statuses)], [200], `answers: ${statuses.filter((s) => s !== 200).slice(0, 5)}`);
      assert.equal(statuses.length, 800);
      for (const name of ["loss", "accuracy"]) assert.equal((await pyclient(["history", job, name])).length, 400);
    }
  });
});

describe("a restartable Dioptra on a fresh database", () => {
  it("knows none of the run's users or jobs", async () => {
    const fresh = await startRestartableDioptra({ fresh: true });
    try {
      const client = new DioptraClient(fresh.address);
      await assert.rejects(client.auth.login(username, password), (err) => err instanceof DioptraApiError && err.status === 401);
      const user = await createUser(fresh.address);
      await client.auth.login(user.username, user.password);
      await assert.rejects(client.jobs.appendMetricById(1, "loss", 1), (err) => err instanceof DioptraApiError && err.status === 404);
    } finally {
      await fresh.stop();
    }
  });
});
