// jobs.getMetricSeries on the real Dioptra: complete columns in step order, downsampled in Rust.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";

import { DioptraClient, DioptraValidationError, downsample } from "dioptra-metrics";
import { address, username, password, takeJob } from "./support/env.mjs";
import { seedMetrics, seededValue, seededTime } from "./support/seeded.mjs";

const client = new DioptraClient(address);
const N = 2_600;
let job;

before(async () => {
  await client.auth.login(username, password);
  job = takeJob();
  await seedMetrics(job, ["loss"], 0, N);
});

describe("jobs.getMetricSeries", () => {
  it("returns every point as columns, sorted by step, values and timestamps exact", async () => {
    const progress = [];
    const s = await client.jobs.getMetricSeries(job, "loss", { onProgress: (p) => progress.push(p) });
    assert.equal(s.jobId, job);
    assert.equal(s.name, "loss");
    assert.equal(s.total, N);
    for (const col of [s.steps, s.values, s.timestamps]) {
      assert.ok(col instanceof Float64Array);
      assert.equal(col.length, N);
    }
    for (let i = 0; i < N; i++) {
      if (s.steps[i] !== i || !Object.is(s.values[i], seededValue(i)) || s.timestamps[i] !== seededTime(i)) {
        assert.fail(`row ${i}: step ${s.steps[i]} value ${s.values[i]} time ${s.timestamps[i]}`);
      }
    }
    assert.deepEqual(progress.at(-1), { loaded: N, total: N });
  });

  it("maxPoints downsamples in Rust: the same rows downsample() picks, special values kept", async () => {
    const full = await client.jobs.getMetricSeries(job, "loss");
    const s = await client.jobs.getMetricSeries(job, "loss", { maxPoints: 500, downsample: "lttb" });
    assert.equal(s.total, N);
    assert.ok(s.steps.length <= 500 && s.steps.length > 300, `${s.steps.length} points`);
    const kept = downsample(full.steps, full.values, 500, { method: "lttb" });
    assert.deepEqual(Array.from(s.steps), Array.from(kept, (i) => full.steps[i]));
    assert.deepEqual(Array.from(s.timestamps), Array.from(kept, (i) => full.timestamps[i]));
    assert.equal(s.steps[0], 0);
    assert.equal(s.steps.at(-1), N - 1);
    const nan = Array.from(s.values).filter(Number.isNaN).length;
    assert.ok(nan >= 1, "the NaNs are hidden");
    assert.ok(Array.from(s.values).includes(Infinity), "the +Infinity is hidden");
  });

  it("a series no longer than maxPoints comes back whole; an unknown metric is empty", async () => {
    const s = await client.jobs.getMetricSeries(job, "loss", { maxPoints: N });
    assert.equal(s.steps.length, N);
    const none = await client.jobs.getMetricSeries(job, "nothing_here", { maxPoints: 10 });
    assert.deepEqual([none.steps.length, none.total], [0, 0]);
  });

  it("bad options are refused before any request", async () => {
    await assert.rejects(client.jobs.getMetricSeries(job, "loss", { maxPoints: 2 }), (e) => e instanceof DioptraValidationError && e.field === "maxPoints");
    await assert.rejects(client.jobs.getMetricSeries(job, "loss", { maxPoints: 10, downsample: "fast" }), (e) => e instanceof DioptraValidationError && e.field === "method");
    await assert.rejects(client.jobs.getMetricSeries(job, "loss", { maxPionts: 10 }), DioptraValidationError);
    await assert.rejects(client.jobs.getMetricSeries(job, "1bad"), DioptraValidationError);
  });
});
