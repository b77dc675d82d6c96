// The fault harness itself (pkg-tests/support/restartable-dioptra.mjs): a second real Dioptra
// that a test kills and restarts on the same port, on the run's database or a fresh one.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";

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
    await assert.rejects(fetch(`${server.address}/health`), (err) => /ECONNREFUSED/.test(String(err.cause?.code ?? err.cause)));
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
