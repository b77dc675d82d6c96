// Complete histories and experiment-wide reads: every point once, in step order, on the real
// Dioptra 1.2.2 (where `index` is a page number) and on stubs where it is an offset.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";

import { DioptraClient, DioptraAbortError, DioptraApiError } from "dioptra-metrics";
import { address, username, password, seed, takeJob } from "./support/env.mjs";
import { startPagedStub, makePoints } from "./support/paged-stub.mjs";
import { shuffledSteps } from "./support/fixtures.mjs";
import { startStub, json } from "./support/stub-server.mjs";

const client = new DioptraClient(address);
const N = 2500;
/** The value logged at `step`: some NaN and ±Infinity among exact finite values. */
const valueAt = (step) => (step % 250 === 3 ? NaN : step % 250 === 4 ? Infinity : step % 250 === 5 ? -Infinity : step / 7);
let job;

/** Logs `steps` of metric `name` with `concurrency` requests in flight. */
async function logSteps(jobId, name, steps, concurrency = 8) {
  const queue = [...steps];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (queue.length) {
        const step = queue.pop();
        await client.jobs.appendMetricById(jobId, name, valueAt(step), { step });
      }
    }),
  );
}

function assertComplete(points, n) {
  assert.equal(points.length, n);
  points.forEach((point, i) => {
    assert.equal(point.step, i, `position ${i} holds step ${point.step}`);
    assert.ok(Object.is(point.value, valueAt(i)), `step ${i}: ${point.value}`);
    assert.ok(point.timestamp instanceof Date);
  });
}

before(async () => {
  await client.auth.login(username, password);
  job = takeJob();
  await logSteps(job, "loss", shuffledSteps(N));
});

describe("complete histories on the real Dioptra 1.2.2", () => {
  it("getMetricHistory returns all 2,500 points once, in step order, values exact", async () => {
    const progress = [];
    const points = await client.jobs.getMetricHistory(job, "loss", { onProgress: (p) => progress.push(p) });
    assertComplete(points, N);
    assert.ok(progress.length >= 3, `${progress.length} progress reports`);
    for (let i = 1; i < progress.length; i++) {
      assert.ok(progress[i].loaded > progress[i - 1].loaded, "progress went backwards");
    }
    assert.deepEqual(progress.at(-1), { loaded: N, total: N });
  });

  it("the iterator streams the same points", async () => {
    const points = [];
    for await (const point of client.jobs.iterMetricsSnapshots(job, "loss")) points.push(point);
    assertComplete(points, N);
  });

  it("the iterators report progress too", async () => {
    const progress = [];
    let points = 0;
    for await (const point of client.jobs.iterMetricsSnapshots(job, "loss", { onProgress: (p) => progress.push(p) })) {
      points += point ? 1 : 0;
    }
    assert.equal(points, N);
    assert.deepEqual(progress.at(-1), { loaded: N, total: N });
    const jobs = [];
    for await (const entry of client.experiments.iterMetrics(seed.experiments.main.id, { onProgress: (p) => jobs.push(p) })) void entry;
    assert.deepEqual(jobs, [{ loaded: 3, total: 3 }]);
  });

  it("pages() yields pages with growing loaded counts", async () => {
    const sizes = [];
    for await (const page of client.jobs.iterMetricsSnapshots(job, "loss", { concurrency: 1 }).pages()) {
      sizes.push([page.data.length, page.loaded, page.total]);
    }
    assert.deepEqual(sizes, [
      [1000, 1000, N],
      [1000, 2000, N],
      [500, 2500, N],
    ]);
  });

  it("small pages read the same history", async () => {
    const points = await client.jobs.getMetricHistory(job, "loss", { pageLength: 300, concurrency: 4 });
    assertComplete(points, N);
  });

  it("an abort mid-way ends the read with DioptraAbortError", async () => {
    const controller = new AbortController();
    let pages = 0;
    await assert.rejects(
      client.jobs.getMetricHistory(job, "loss", {
        pageLength: 100,
        signal: controller.signal,
        onProgress: () => {
          pages += 1;
          if (pages === 2) controller.abort();
        },
      }),
      (err) => err instanceof DioptraAbortError,
    );
    assert.equal(pages, 2, "the read went on after the abort");
  });

  it("a history that grows while it is read gives no duplicates and skips nothing", async () => {
    const growing = takeJob();
    const original = Array.from({ length: 60 }, (_, i) => i * 10);
    for (const step of original) await client.jobs.appendMetricById(growing, "grow", 1, { step });
    const seen = [];
    let added = 0;
    for await (const point of client.jobs.iterMetricsSnapshots(growing, "grow", { pageLength: 10, concurrency: 1 })) {
      seen.push(point.step);
      if (seen.length % 10 === 0) {
        // Between pages: one point below everything read so far, one above everything.
        added += 1;
        await client.jobs.appendMetricById(growing, "grow", 2, { step: -added });
        await client.jobs.appendMetricById(growing, "grow", 2, { step: 10_000 + added });
      }
    }
    assert.equal(new Set(seen).size, seen.length, "a point came twice");
    for (const step of original) assert.ok(seen.includes(step), `step ${step} was skipped`);
  });

  it("an unknown metric is an empty history", async () => {
    assert.deepEqual(await client.jobs.getMetricHistory(job, "never_logged"), []);
  });

  it("a job or experiment that does not exist rejects with 404, like a write (Dioptra answers an empty page)", async () => {
    const notFound = (e) => e instanceof DioptraApiError && e.status === 404;
    await assert.rejects(client.jobs.getMetricHistory(987654, "loss"), notFound);
    await assert.rejects(client.jobs.getMetricSeries(987654, "loss"), notFound);
    await assert.rejects(client.experiments.getAllMetrics(987654), notFound);
  });
});

describe("experiment-wide metrics", () => {
  it("iterMetrics reads every job of an experiment larger than a page", async () => {
    const { id, jobIds } = seed.experiments.many;
    await client.jobs.appendMetricById(jobIds[3], "score", Infinity);
    const jobs = [];
    for await (const entry of client.experiments.iterMetrics(id, { pageLength: 4 })) jobs.push(entry);
    assert.equal(jobs.length, jobIds.length);
    assert.deepEqual(jobs.map((j) => j.id).sort((a, b) => a - b), [...jobIds].sort((a, b) => a - b));
    assert.equal(jobs.find((j) => j.id === jobIds[3]).metrics[0].value, Infinity);
  });

  it("getAllMetrics honours sortBy and descending", async () => {
    const { id, jobIds } = seed.experiments.many;
    const rows = await client.experiments.getAllMetrics(id, { sortBy: "id", descending: true, pageLength: 7 });
    assert.deepEqual(
      rows.map((r) => r.id),
      [...jobIds].sort((a, b) => b - a),
    );
  });
});

describe("paging on servers that read index otherwise (stubs)", () => {
  const stubs = [];
  after(() => Promise.all(stubs.map((s) => s.close())));

  async function read(options) {
    const stub = await startPagedStub(options);
    stubs.push(stub);
    const points = await new DioptraClient(stub.address).jobs.getMetricHistory(1, "loss");
    return { points, requests: stub.requests.length };
  }

  function assertStubHistory(points, n) {
    assert.equal(points.length, n);
    points.forEach((p, i) => assert.equal(p.step, i));
    assert.ok(Number.isNaN(points[7].value));
    assert.equal(points[8].value, Infinity);
  }

  it("an offset server: complete, with at most one request for detection", async () => {
    const { points, requests } = await read({ points: makePoints(N), indexIs: "offset" });
    assertStubHistory(points, N);
    assert.ok(requests <= Math.ceil(N / 1000) + 1, `${requests} requests`);
  });

  it("a page-number server like 1.2.2: complete, with no request beyond ceil(N / pageLength)", async () => {
    const { points, requests } = await read({ points: makePoints(N), indexIs: "page" });
    assertStubHistory(points, N);
    assert.equal(requests, Math.ceil(N / 1000));
  });

  it("a lower server maximum is read from its 400 and used", async () => {
    for (const indexIs of ["offset", "page"]) {
      const { points, requests } = await read({ points: makePoints(N), indexIs, maxPageLength: 500 });
      assertStubHistory(points, N);
      assert.ok(requests <= 1 + Math.ceil(N / 500) + 1, `${indexIs}: ${requests} requests`);
    }
  });

  it("a history that fits one page costs one request", async () => {
    const { points, requests } = await read({ points: makePoints(40), indexIs: "offset" });
    assertStubHistory(points, 40);
    assert.equal(requests, 1);
  });

  it("experiments page by offset", async () => {
    const jobs = Array.from({ length: 25 }, (_, i) => ({ id: i + 1, metrics: [{ name: "a", value: i }] }));
    const stub = await startPagedStub({ points: [], jobs, indexIs: "offset" });
    stubs.push(stub);
    const rows = await new DioptraClient(stub.address).experiments.getAllMetrics(1, { pageLength: 10 });
    assert.deepEqual(
      rows.map((r) => r.id),
      jobs.map((j) => j.id),
    );
    assert.equal(stub.requests.length, 3);
  });

  it("points inserted at lower steps during the read cannot make it lose points", async () => {
    for (const concurrency of [1, 2]) {
      const points = makePoints(60);
      let lower = 0;
      const stub = await startPagedStub({
        points,
        indexIs: "page",
        afterPage: (served) => {
          if (served === 1) for (let i = 0; i < 5; i++) points.unshift({ ...points[0], step: --lower });
        },
      });
      stubs.push(stub);
      const read = await new DioptraClient(stub.address).jobs.getMetricHistory(1, "loss", { pageLength: 10, concurrency });
      const steps = new Set(read.map((p) => p.step));
      assert.equal(steps.size, read.length, "duplicates");
      for (let step = 0; step < 60; step++) assert.ok(steps.has(step), `concurrency ${concurrency}: lost step ${step}`);
    }
  });

  it("a server that serves fewer items per page than asked is read completely", async () => {
    const jobs = Array.from({ length: 1200 }, (_, i) => ({ id: i + 1, metrics: [] }));
    const stub = await startPagedStub({ points: makePoints(1200), jobs, indexIs: "offset", servesAtMost: 500 });
    stubs.push(stub);
    const client = new DioptraClient(stub.address);
    assert.equal((await client.experiments.getAllMetrics(1)).length, 1200);
    assert.equal((await client.jobs.getMetricHistory(1, "loss")).length, 1200);
  });

  it("a stated maximum that is no lower than asked is an error, not a loop", async () => {
    let requests = 0;
    const stub = await startStub((req, res) => {
      requests += 1;
      json(res, 400, { errors: { pageLength: ["Must be <= 1000"] } });
    });
    stubs.push(stub);
    await assert.rejects(new DioptraClient(stub.address).jobs.getMetricHistory(1, "loss", { pageLength: 500 }), (err) => err.status === 400);
    assert.equal(requests, 1);
  });

  it("experiments on a server with a lower maximum: read from the first job", async () => {
    const jobs = Array.from({ length: 25 }, (_, i) => ({ id: i + 1, metrics: [] }));
    const stub = await startPagedStub({ points: [], jobs, indexIs: "offset", maxPageLength: 7 });
    stubs.push(stub);
    const rows = await new DioptraClient(stub.address).experiments.getAllMetrics(1);
    assert.deepEqual(
      rows.map((r) => r.id),
      jobs.map((j) => j.id),
    );
    assert.equal(stub.requests.length, 1 + Math.ceil(25 / 7));
  });
});
