// The logger's read-back after a NaN overwrite is refused (Dioptra 1.2.2 answers 500 to a NaN
// that replaces a stored value) costs a bounded number of page reads, on a stub holding a
// 50,000-point history: what the real server cannot hold in a test's time. The stub counts
// the page requests; its `index` is a page number (as in 1.2.2) or an offset (a fixed
// release), and it may serve the history out of step order.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";

import { DioptraClient, DioptraFlushError } from "dioptra-metrics";
import { makePoints } from "./support/paged-stub.mjs";
import { startStub, json } from "./support/stub-server.mjs";

const N = 50_000;
const history = makePoints(N); // "loss", steps 0..49,999; NaN at every step ending in 07.

/**
 * A stub that refuses every NaN with 500 (as 1.2.2 does over a stored value) and serves
 * `points` as pages, `index` read as `indexIs` says.
 */
async function startHistoryStub(points, indexIs) {
  const stub = await startStub((req, res, body) => {
    const url = new URL(req.url, "http://stub");
    if (req.method === "POST") {
      const point = JSON.parse(body);
      if (point.value === "nan") return json(res, 500, { message: "Internal Server Error" });
      return json(res, 200, { ...point, timestamp: new Date(0).toISOString() });
    }
    const index = Number(url.searchParams.get("index"));
    const pageLength = Number(url.searchParams.get("pageLength"));
    const start = indexIs === "page" ? index * pageLength : index;
    json(res, 200, {
      index,
      isComplete: false,
      totalNumResults: points.length,
      first: `${url.pathname}?index=0&pageLength=${pageLength}`,
      data: points.slice(start, start + pageLength),
    });
  });
  stub.pageReads = () => stub.requests.filter((r) => r.method === "GET" && r.url.includes("/snapshots")).length;
  return stub;
}

const stubs = [];
after(() => Promise.all(stubs.map((s) => s.close())));

/** Logs NaN at `step` on a stub serving `points`; the flush outcome and the page reads. */
async function logNaN(points, indexIs, step) {
  const stub = await startHistoryStub(points, indexIs);
  stubs.push(stub);
  const client = new DioptraClient(stub.address);
  const logger = client.jobs.createLogger(1, { retry: { retries: 0 } });
  logger.log({ loss: NaN }, { step });
  const outcome = await logger.close().then(
    () => null,
    (err) => err,
  );
  return { outcome, reads: stub.pageReads() };
}

function assertRefused(outcome, step, stored) {
  assert.ok(outcome instanceof DioptraFlushError, String(outcome));
  const [failed] = outcome.points;
  assert.equal(failed.step, step);
  assert.match(failed.error.message, /refused to overwrite/);
  assert.ok(failed.error.message.includes(`stored value ${stored}`), failed.error.message);
}

describe("the NaN read-back on a 50,000-point history", () => {
  for (const indexIs of ["page", "offset"]) {
    it(`a stored value in the middle: at most 9 page reads (index is a ${indexIs})`, async () => {
      const step = 31_234;
      const { outcome, reads } = await logNaN(history, indexIs, step);
      assertRefused(outcome, step, step / 3);
      // The first page, the probe, the last page and ⌈log₂ 50⌉ = 6 more, where a read of
      // every page up to the step took 32 (and 50 for the last step).
      assert.ok(reads <= 9, `${reads} page reads`);
    });

    it(`the latest step: 3 page reads (index is a ${indexIs})`, async () => {
      const step = N - 1;
      const { outcome, reads } = await logNaN(history, indexIs, step);
      assertRefused(outcome, step, step / 3);
      assert.equal(reads, 3);
    });
  }

  it("a NaN already stored counts as stored", async () => {
    const step = 27_107;
    assert.equal(history[step].value, "nan");
    const { outcome, reads } = await logNaN(history, "page", step);
    assert.equal(outcome, null);
    assert.ok(reads <= 9, `${reads} page reads`);
  });

  it("a step not stored is a genuine 500, found in a bounded number of reads", async () => {
    const gappy = history.filter((p) => p.step !== 40_000);
    const { outcome, reads } = await logNaN(gappy, "page", 40_000);
    assert.ok(outcome instanceof DioptraFlushError, String(outcome));
    assert.equal(outcome.points[0].error.status, 500);
    assert.doesNotMatch(outcome.points[0].error.message, /refused to overwrite/);
    assert.ok(reads <= 9, `${reads} page reads`);
  });

  it("a history served out of step order is read in full, and the answer is still right", async () => {
    const reversed = [...history].reverse();
    const step = 31_234;
    const { outcome, reads } = await logNaN(reversed, "page", step);
    assertRefused(outcome, step, step / 3);
    assert.ok(reads > 9, `${reads} page reads: the disorder went unnoticed`);
  });
});
