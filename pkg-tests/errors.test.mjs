// Failures the real server does not show on demand, from a stub: each gives its typed error,
// never a wasm trap or a hang, and the same client keeps working afterwards.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  DioptraClient,
  DioptraError,
  DioptraApiError,
  DioptraNetworkError,
  DioptraTimeoutError,
  DioptraAbortError,
  DioptraDecodeError,
} from "dioptra-metrics";
import { startStub, json } from "./support/stub-server.mjs";
import { deadAddress } from "./support/fixtures.mjs";

const GOOD = [{ name: "acc", value: "inf" }];
const PAGE = { index: 0, isComplete: true, totalNumResults: 1, first: "f", data: [{ name: "a", value: 1, step: 0, timestamp: "2026-01-01T00:00:00" }] };

// The stub answers by path: /api/v1/jobs/<scenario>/metrics...
const scenarios = {
  1: (req, res) => json(res, 200, GOOD),
  2: (req, res) => res.writeHead(502, { "content-type": "text/html" }).end("<html><body>Bad Gateway</body></html>"),
  3: (req, res) => json(res, 200, '[{"name":"acc","val'),
  4: (req, res) => res.writeHead(200).end(),
  5: (req, res) => json(res, 200, [{ name: "acc", value: { x: 1 } }]),
  6: (req, res) => json(res, 200, [{ value: 1 }]),
  7: (req, res) => json(res, 200, { ...PAGE, data: [{ ...PAGE.data[0], step: "1" }] }),
  8: (req, res) => json(res, 200, { ...PAGE, data: [{ ...PAGE.data[0], timestamp: "soon" }] }),
  9: (req, res) => json(res, 200, { ...PAGE, data: {} }),
  10: (req, res) => json(res, 200, (({ totalNumResults, ...rest }) => rest)(PAGE)),
  11: () => {}, // never answers
  12: (req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
    res.write('[{"name":"acc",');
    setTimeout(() => res.socket.destroy(), 20);
  },
  13: (req, res) => res.writeHead(302, { location: "http://127.0.0.1:9/elsewhere" }).end(),
  14: (req, res) => json(res, 400, { errors: { pageLength: ["Must be <= 500"] }, message: "Input payload validation failed" }),
  15: (req, res) => json(res, 500, "not even an object"),
  16: (req, res) => json(res, 400, `{"error":"E","message":${"[".repeat(200_000)}"m"${"]".repeat(200_000)},"errors":{"a":${"[".repeat(200_000)}"m"${"]".repeat(200_000)}}}`),
  17: (req, res) => json(res, 200, `[{"name":"a","value":1,"extra":${"{\"x\":".repeat(100_000)}1${"}".repeat(100_000)}}]`),
};

let stub;
let client;
before(async () => {
  stub = await startStub((req, res) => {
    const scenario = Number(req.url.split("/")[4]);
    (scenarios[scenario] ?? ((q, r) => json(r, 404, { error: "NotFound" })))(req, res);
  });
  client = new DioptraClient(stub.address, { timeoutMs: 2000 });
});
after(() => stub.close());

/** Asserts `promise` rejects with `cls`, then that the same client still works. */
async function rejectsThenRecovers(promise, cls, check = () => {}) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err?.name}: ${err?.message}`);
    assert.ok(err instanceof DioptraError);
    assert.ok(!(err instanceof WebAssembly.RuntimeError));
    check(err);
    return true;
  });
  const latest = await client.jobs.getMetricsById(1);
  assert.equal(latest[0].value, Infinity);
}

describe("bad answers", () => {
  it("an HTML 502 page is a DioptraApiError with the status", () =>
    rejectsThenRecovers(client.jobs.getMetricsById(2), DioptraApiError, (err) => {
      assert.equal(err.status, 502);
      assert.match(err.message, /502/);
      assert.equal(err.errorType, null);
    }));

  it("a 200 with truncated JSON is a DioptraDecodeError", () =>
    rejectsThenRecovers(client.jobs.getMetricsById(3), DioptraDecodeError, (err) => {
      assert.match(err.message, /not JSON/);
      assert.equal(err.path, "/api/v1/jobs/3/metrics");
    }));

  it("a 200 with an empty body is a DioptraDecodeError", () =>
    rejectsThenRecovers(client.jobs.getMetricsById(4), DioptraDecodeError));

  it("a value that is an object is a DioptraDecodeError", () =>
    rejectsThenRecovers(client.jobs.getMetricsById(5), DioptraDecodeError));

  it("a metric without a name is a DioptraDecodeError", () =>
    rejectsThenRecovers(client.jobs.getMetricsById(6), DioptraDecodeError, (err) => assert.match(err.message, /name/)));

  for (const [scenario, what] of [
    [7, "a step given as a string"],
    [8, "a garbage timestamp"],
    [9, "data that is not a list"],
    [10, "a page without totalNumResults"],
  ]) {
    it(`${what} is a DioptraDecodeError`, () =>
      rejectsThenRecovers(client.jobs.getMetricsSnapshotsById(scenario, "a"), DioptraDecodeError));
  }

  it("field errors reach the caller", () =>
    rejectsThenRecovers(client.jobs.getMetricsById(14), DioptraApiError, (err) => {
      assert.equal(err.status, 400);
      assert.deepEqual(err.fieldErrors, { pageLength: ["Must be <= 500"] });
      assert.equal(err.message, "Input payload validation failed");
    }));

  it("an error body nested 200,000 deep gives a DioptraApiError, not a wasm trap", () =>
    rejectsThenRecovers(client.jobs.getMetricsById(16), DioptraApiError, (err) => {
      assert.equal(err.status, 400);
      assert.equal(err.errorType, "E");
    }));

  it("a 2xx answer with a field nested 100,000 deep is read (the field is ignored)", async () => {
    assert.deepEqual(await client.jobs.getMetricsById(17), [{ name: "a", value: 1 }]);
  });

  it("an error body that is not an object still gives a DioptraApiError", () =>
    rejectsThenRecovers(client.jobs.getMetricsById(15), DioptraApiError, (err) => assert.equal(err.status, 500)));

  it("a redirect is not followed (no cookie may reach another origin)", () =>
    rejectsThenRecovers(client.jobs.getMetricsById(13), DioptraApiError, (err) => assert.equal(err.status, 302)));
});

describe("time limits, aborts and dead connections", () => {
  it("a server that never answers times out at timeoutMs", async () => {
    const started = Date.now();
    await rejectsThenRecovers(client.jobs.getMetricsById(11, { timeoutMs: 300 }), DioptraTimeoutError, (err) => {
      assert.equal(err.timeoutMs, 300);
      assert.match(err.message, /300 ms/);
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 1900, `took ${elapsed} ms`);
  });

  it("the client's timeoutMs applies when the call sets none", async () => {
    const quick = new DioptraClient(stub.address, { timeoutMs: 200 });
    await assert.rejects(quick.jobs.getMetricsById(11), (err) => err instanceof DioptraTimeoutError && err.timeoutMs === 200);
  });

  it("aborting mid-request rejects with DioptraAbortError", async () => {
    const controller = new AbortController();
    const pending = client.jobs.getMetricsById(11, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await rejectsThenRecovers(pending, DioptraAbortError, (err) => assert.equal(err.method, "GET"));
  });

  it("a connection reset in the middle of the body is a DioptraNetworkError", () =>
    rejectsThenRecovers(client.jobs.getMetricsById(12), DioptraNetworkError));

  it("a fetch failure whose cause is cyclic is a DioptraNetworkError, not a stack overflow", async () => {
    const realFetch = globalThis.fetch;
    globalThis.fetch = () => {
      const err = new TypeError("fetch failed");
      err.cause = err;
      return Promise.reject(err);
    };
    try {
      await assert.rejects(client.jobs.getMetricsById(1), (err) => {
        assert.ok(err instanceof DioptraNetworkError);
        assert.match(err.message, /fetch failed/);
        return true;
      });
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it("a refused connection is a DioptraNetworkError", async () => {
    const nowhere = new DioptraClient(await deadAddress());
    await assert.rejects(nowhere.jobs.getMetricsById(1), (err) => {
      assert.ok(err instanceof DioptraNetworkError);
      assert.match(err.message, /ECONNREFUSED|fetch failed/);
      return true;
    });
  });
});
