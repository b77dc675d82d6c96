// experiments.compareMetric on the real Dioptra: jobs aligned on the union of their steps, a
// missing point told apart from a stored NaN, and downsampling that keeps the same steps for all.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";

import { DioptraClient, DioptraValidationError } from "dioptra-metrics";
import { address, username, password, seed, takeJob } from "./support/env.mjs";
import { seedMetrics, seededValue } from "./support/seeded.mjs";

const client = new DioptraClient(address);
const NAME = `cmp_loss_${process.pid}`; // unique per run: other jobs of "pool" never have it
let a, b, c;

before(async () => {
  await client.auth.login(username, password);
  [a, b, c] = [takeJob(), takeJob(), takeJob()];
  await seedMetrics(a, [NAME], 0, 1500);
  await seedMetrics(b, [NAME], 1000, 2200);
  await client.jobs.appendMetricById(c, NAME, "nan", { step: 3 });
  await client.jobs.appendMetricById(c, NAME, 0.5, { step: 2500 });
});

describe("experiments.compareMetric", () => {
  it("aligns every job that has the metric on the union of their steps", async () => {
    const cmp = await client.experiments.compareMetric(seed.experiments.pool.id, NAME);
    assert.deepEqual(cmp.jobs.map((j) => j.jobId), [a, b, c].sort((x, y) => x - y));
    const steps = Array.from(cmp.steps);
    const expected = [...new Set([...Array.from({ length: 2200 }, (_, i) => i), 2500])];
    assert.deepEqual(steps, expected);
    const byId = Object.fromEntries(cmp.jobs.map((j) => [j.jobId, j]));
    steps.forEach((step, i) => {
      const inA = step < 1500;
      const inB = step >= 1000 && step < 2200;
      assert.equal(byId[a].present[i], inA ? 1 : 0);
      assert.equal(byId[b].present[i], inB ? 1 : 0);
      if (inA) assert.ok(Object.is(byId[a].values[i], seededValue(step)));
      else assert.ok(Number.isNaN(byId[a].values[i]));
    });
    const i3 = steps.indexOf(3);
    assert.deepEqual([byId[c].present[i3], Number.isNaN(byId[c].values[i3])], [1, true], "a stored NaN is present");
    assert.equal(byId[c].present[steps.indexOf(4)], 0, "no point is not present");
    assert.equal(byId[c].values[steps.indexOf(2500)], 0.5);
    assert.ok(cmp.jobs.every((j) => j.values instanceof Float64Array && j.present instanceof Uint8Array && j.values.length === steps.length));
  });

  it("maxPoints keeps the same steps for every job, first and last included", async () => {
    const cmp = await client.experiments.compareMetric(seed.experiments.pool.id, NAME, { jobIds: [a, b], maxPoints: 300 });
    assert.ok(cmp.steps.length <= 300 && cmp.steps.length > 100, `${cmp.steps.length} steps`);
    assert.equal(cmp.steps[0], 0);
    assert.equal(cmp.steps.at(-1), 2199);
    for (const job of cmp.jobs) assert.equal(job.values.length, cmp.steps.length);
    const jobA = cmp.jobs.find((j) => j.jobId === a);
    cmp.steps.forEach((step, i) => {
      if (step < 1500) assert.ok(Object.is(jobA.values[i], seededValue(step)), `step ${step}`);
    });
    // Steps 500-502 (NaN, +Infinity, -Infinity) share a bucket: one of them is kept.
    assert.ok(cmp.steps.some((step, i) => step >= 500 && step <= 502 && !Number.isFinite(jobA.values[i]) && jobA.present[i]), "the special values of job a are hidden");
  });

  it("bad input is refused before any request", async () => {
    await assert.rejects(client.experiments.compareMetric("x", NAME), DioptraValidationError);
    await assert.rejects(client.experiments.compareMetric(1, "1bad"), DioptraValidationError);
    await assert.rejects(client.experiments.compareMetric(1, NAME, { jobIds: [0] }), DioptraValidationError);
    await assert.rejects(client.experiments.compareMetric(1, NAME, { maxPoints: 1 }), DioptraValidationError);
  });
});
