// Every method of the client against the real Dioptra 1.2.2 started by scripts/with-dioptra.mjs.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";

import { DioptraClient, DioptraApiError } from "dioptra-metrics";
import { address, username, password, seed, takeJob } from "./support/env.mjs";

const client = new DioptraClient(address);

before(async () => {
  const answer = await client.auth.login(username, password);
  assert.deepEqual(answer, { username, status: "Login successful" });
});

after(async () => {
  await client.auth.logout();
});

/** Every point of a short history (one page is enough here). */
async function history(jobId, name) {
  const page = await client.jobs.getMetricsSnapshotsById(jobId, name, { pageLength: 1000 });
  assert.equal(page.isComplete, true);
  return page.data;
}

describe("appendMetricById and getMetricsById", () => {
  it("answers with what it stored and reads back the latest, which is the highest step", async () => {
    const job = takeJob();
    assert.deepEqual(await client.jobs.appendMetricById(job, "accuracy", 0.5, { step: 5 }), {
      name: "accuracy",
      value: 0.5,
    });
    await client.jobs.appendMetricById(job, "accuracy", 0.9, { step: 7 });
    await client.jobs.appendMetricById(job, "accuracy", 0.1, { step: 6 }); // logged last, lower step
    await client.jobs.appendMetricById(job, "loss", 2.5);
    const latest = await client.jobs.getMetricsById(job);
    assert.ok(Array.isArray(latest));
    const byName = Object.fromEntries(latest.map((m) => [m.name, m.value]));
    assert.deepEqual(byName, { accuracy: 0.9, loss: 2.5 });
    for (const metric of latest) {
      assert.deepEqual(Object.keys(metric).sort(), ["name", "value"]);
      assert.equal(Object.getPrototypeOf(metric), Object.prototype, "a plain object, not a Map");
    }
  });

  it("overwrites the same (name, step) and defaults the step to 0", async () => {
    const job = takeJob();
    await client.jobs.appendMetricById(job, "loss", 1.0);
    await client.jobs.appendMetricById(job, "loss", 2.0);
    await client.jobs.appendMetricById(job, "loss", 3.0, { step: 0 });
    const points = await history(job, "loss");
    assert.equal(points.length, 1);
    assert.equal(points[0].step, 0);
    assert.equal(points[0].value, 3.0);
  });

  it("round-trips NaN, Infinity and -Infinity, given as numbers or as names", async () => {
    const job = takeJob();
    const sent = [NaN, Infinity, -Infinity, "nan", "Infinity", "-INF", "NaN", "inf", "-inf"];
    const expected = [NaN, Infinity, -Infinity, NaN, Infinity, -Infinity, NaN, Infinity, -Infinity];
    for (const [step, value] of sent.entries()) {
      const stored = await client.jobs.appendMetricById(job, "special", value, { step });
      assert.ok(Object.is(stored.value, expected[step]), `step ${step}: answer ${stored.value}`);
    }
    const points = await history(job, "special");
    assert.deepEqual(
      points.map((p) => p.step),
      sent.map((_, i) => i),
    );
    for (const point of points) {
      assert.ok(Object.is(point.value, expected[point.step]), `step ${point.step}: read ${point.value}`);
    }
    const [latest] = await client.jobs.getMetricsById(job);
    assert.equal(latest.value, -Infinity);
  });

  it("keeps finite values exact to the last bit", async () => {
    const job = takeJob();
    const values = [0.1 + 0.2, 5e-324, -5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 1e21, 123.456, -7];
    for (const [step, value] of values.entries()) {
      await client.jobs.appendMetricById(job, "exact", value, { step });
    }
    const points = await history(job, "exact");
    assert.deepEqual(
      points.map((p) => p.value),
      values,
    );
  });

  it("round-trips step and timestamp, and accepts ISO strings and string ids", async () => {
    const job = takeJob();
    const when = new Date("2025-03-04T05:06:07.891Z");
    await client.jobs.appendMetricById(job, "timed", 1, { step: 42, timestamp: when });
    await client.jobs.appendMetricById(String(job), "timed", 2, { step: -3, timestamp: "2024-01-02T03:04:05.5+02:00" });
    await client.jobs.appendMetricById(job, "timed", 3, { step: 9007199254740991, timestamp: "2024-06-01" });
    const points = await history(job, "timed");
    const byStep = Object.fromEntries(points.map((p) => [p.step, p]));
    assert.ok(byStep[42].timestamp instanceof Date);
    assert.equal(byStep[42].timestamp.toISOString(), when.toISOString());
    assert.equal(byStep[-3].timestamp.toISOString(), "2024-01-02T01:04:05.500Z");
    assert.equal(byStep[9007199254740991].timestamp.toISOString(), "2024-06-01T00:00:00.000Z");
    assert.equal(byStep[9007199254740991].value, 3);
  });

  it("defaults the timestamp to the server's clock", async () => {
    const job = takeJob();
    const before = Date.now();
    await client.jobs.appendMetricById(job, "clock", 1);
    const [point] = await history(job, "clock");
    // The server runs on this machine: its clock is ours, give or take a little.
    assert.ok(Math.abs(point.timestamp.getTime() - before) < 60_000, point.timestamp.toISOString());
  });
});

describe("getMetricsSnapshotsById", () => {
  it("returns one page with the server's envelope and default page length 10", async () => {
    const job = takeJob();
    for (let step = 0; step < 12; step++) {
      await client.jobs.appendMetricById(job, "curve", step / 10, { step });
    }
    const page = await client.jobs.getMetricsSnapshotsById(job, "curve");
    assert.equal(page.index, 0);
    assert.equal(page.totalNumResults, 12);
    assert.equal(page.isComplete, false);
    assert.equal(typeof page.first, "string");
    assert.equal(typeof page.next, "string");
    assert.equal(page.data.length, 10);
    assert.deepEqual(
      page.data.map((p) => p.step),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    for (const point of page.data) {
      assert.deepEqual(Object.keys(point).sort(), ["name", "step", "timestamp", "value"]);
      assert.equal(point.name, "curve");
    }
    // Dioptra 1.2.2 reads the history's `index` as a page number (see ../shared/dioptra-api.md):
    // this method passes it through as given, as the Python client does.
    const second = await client.jobs.getMetricsSnapshotsById(job, "curve", { index: 1, pageLength: 10 });
    assert.deepEqual(
      second.data.map((p) => p.step),
      [10, 11],
    );
  });

  it("gives an empty page for a metric the job does not have", async () => {
    const page = await client.jobs.getMetricsSnapshotsById(takeJob(), "never_logged");
    assert.equal(page.totalNumResults, 0);
    assert.deepEqual(page.data, []);
  });
});

describe("experiments.getMetricsById", () => {
  it("pages through the experiment's jobs with their latest metrics", async () => {
    const { id, jobIds } = seed.experiments.main;
    await client.jobs.appendMetricById(jobIds[0], "f1", 0.25, { step: 1 });
    await client.jobs.appendMetricById(jobIds[0], "f1", NaN, { step: 2 });
    await client.jobs.appendMetricById(jobIds[1], "f1", 0.75);
    const first = await client.experiments.getMetricsById(id, { pageLength: 2 });
    assert.equal(first.totalNumResults, 3);
    assert.equal(first.data.length, 2);
    assert.equal(first.isComplete, false);
    const rest = await client.experiments.getMetricsById(String(id), { index: 2, pageLength: 2 });
    assert.equal(rest.data.length, 1);
    const jobs = [...first.data, ...rest.data];
    assert.deepEqual(jobs.map((j) => j.id).sort((a, b) => a - b), [...jobIds].sort((a, b) => a - b));
    const byId = Object.fromEntries(jobs.map((j) => [j.id, j.metrics]));
    assert.ok(Number.isNaN(byId[jobIds[0]].find((m) => m.name === "f1").value));
    assert.equal(byId[jobIds[1]].find((m) => m.name === "f1").value, 0.75);
  });

  it("passes sortBy and descending through", async () => {
    const { id } = seed.experiments.main;
    const ascending = await client.experiments.getMetricsById(id, { sortBy: "id", descending: false });
    const descending = await client.experiments.getMetricsById(id, { sortBy: "id", descending: true });
    const ids = ascending.data.map((j) => j.id);
    assert.equal(ids.length, 3);
    assert.deepEqual(descending.data.map((j) => j.id), [...ids].reverse());
  });
});

describe("errors from the server", () => {
  it("maps 401 before login to DioptraApiError", async () => {
    const anonymous = new DioptraClient(address);
    await assert.rejects(anonymous.jobs.getMetricsById(seed.experiments.main.jobIds[0]), (err) => {
      assert.ok(err instanceof DioptraApiError);
      assert.ok(err instanceof Error);
      assert.equal(err.name, "DioptraApiError");
      assert.equal(err.status, 401);
      assert.equal(err.method, "GET");
      assert.equal(err.path, `/api/v1/jobs/${seed.experiments.main.jobIds[0]}/metrics`);
      assert.match(err.message, /authorized/);
      return true;
    });
  });

  it("maps a wrong password to DioptraApiError without echoing it", async () => {
    const other = new DioptraClient(address);
    await assert.rejects(other.auth.login(username, "wrong-Pa55word"), (err) => {
      assert.ok(err instanceof DioptraApiError);
      assert.ok(err.status >= 400 && err.status < 500, String(err.status));
      assert.ok(!String(err.message).includes("wrong-Pa55word"));
      assert.ok(!JSON.stringify(err).includes("wrong-Pa55word"));
      return true;
    });
  });

  it("maps 404 for an unknown job to DioptraApiError with the server's error type", async () => {
    await assert.rejects(client.jobs.appendMetricById(999999, "x", 1), (err) => {
      assert.ok(err instanceof DioptraApiError);
      assert.equal(err.status, 404);
      assert.equal(err.errorType, "EntityDoesNotExistError");
      assert.match(err.message, /Job/);
      assert.equal(err.path, "/api/v1/jobs/999999/metrics");
      return true;
    });
  });

  it("getMetricsById: [] for a job without metrics, a 404 for a job that does not exist (with and without a signal)", async () => {
    // Plain arguments take the direct path (src/wasm/direct.rs), a `signal` the general one:
    // both must ask for the job itself when its metrics read empty.
    const job = takeJob();
    const signal = new AbortController().signal;
    for (const options of [undefined, { timeoutMs: 20_000 }, { signal }]) {
      assert.deepEqual(await client.jobs.getMetricsById(job, options), []);
      await assert.rejects(client.jobs.getMetricsById(999999, options), (err) => {
        assert.ok(err instanceof DioptraApiError, String(err));
        assert.equal(err.status, 404);
        assert.equal(err.path, "/api/v1/jobs/999999");
        return true;
      });
    }
  });

  it("logout ends the session", async () => {
    const session = new DioptraClient(address);
    await session.auth.login(username, password);
    const job = seed.experiments.main.jobIds[2];
    await session.jobs.getMetricsById(job);
    const answer = await session.auth.logout();
    assert.equal(answer.status, "Logout successful");
    await assert.rejects(session.jobs.getMetricsById(job), (err) => err instanceof DioptraApiError && err.status === 401);
  });
});
