// experiments.list and experiments.getJobs against the real Dioptra: the seeded experiments
// and their jobs, found without the Dioptra UI.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";

import { DioptraApiError, DioptraClient, DioptraValidationError } from "dioptra-metrics";
import { address, username, password, seed } from "./support/env.mjs";

const client = new DioptraClient(address);

before(() => client.auth.login(username, password));

describe("experiments.list", () => {
  it("lists every seeded experiment with its id, name and description", async () => {
    const experiments = await client.experiments.list({ pageLength: 2 });
    for (const [name, { id }] of Object.entries(seed.experiments)) {
      const found = experiments.filter((e) => e.name === name);
      assert.equal(found.length, 1, `${name} listed ${found.length} times`);
      assert.deepEqual(found[0], { id, name, description: null });
    }
  });

  it("search narrows the list", async () => {
    const experiments = await client.experiments.list({ search: "name:pool" });
    assert.deepEqual(experiments.map((e) => e.id), [seed.experiments.pool.id]);
  });

  it("refuses unknown options before any request", async () => {
    await assert.rejects(client.experiments.list({ serach: "x" }), DioptraValidationError);
  });
});

describe("experiments.getJobs", () => {
  it("returns every job of an experiment with its status and creation date", async () => {
    const progress = [];
    const jobs = await client.experiments.getJobs(seed.experiments.many.id, { pageLength: 10, onProgress: (p) => progress.push(p) });
    assert.deepEqual(jobs.map((j) => j.id).sort((a, b) => a - b), seed.experiments.many.jobIds);
    for (const job of jobs) {
      assert.equal(job.status, "queued");
      assert.ok(job.createdOn instanceof Date && !Number.isNaN(job.createdOn.getTime()));
    }
    assert.deepEqual(progress.at(-1), { loaded: 25, total: 25 });
  });

  it("an unknown experiment rejects with 404, like a write; a bad id is refused before any request", async () => {
    await assert.rejects(client.experiments.getJobs(999999), (e) => e instanceof DioptraApiError && e.status === 404);
    await assert.rejects(client.experiments.getJobs("x"), DioptraValidationError);
    await assert.rejects(client.experiments.getJobs(1, {}, 3), DioptraValidationError);
  });
});
