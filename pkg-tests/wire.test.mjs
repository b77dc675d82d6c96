// What goes on the wire, seen by a stub server: bodies, paths, queries, headers.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";

import { DioptraClient } from "dioptra-metrics";
import { startStub, json } from "./support/stub-server.mjs";

let stub;
let client;
before(async () => {
  stub = await startStub((req, res, body) => {
    if (req.method === "POST" && req.url.endsWith("/metrics")) {
      const { name } = JSON.parse(body);
      return json(res, 200, { name, value: 1 });
    }
    json(res, 200, { index: 0, isComplete: true, totalNumResults: 0, first: "", data: [] });
  });
  client = new DioptraClient(stub.address, { headers: { "X-Trace": "t1" } });
});
after(() => stub.close());

function lastRequest() {
  return stub.requests.at(-1);
}

describe("request bodies", () => {
  it("spells special values as strings and sends only the options given", async () => {
    await client.jobs.appendMetricById(7, "loss", NaN);
    assert.equal(lastRequest().body, '{"name":"loss","value":"nan"}');
    assert.equal(lastRequest().headers["content-type"], "application/json");
    await client.jobs.appendMetricById(7, "loss", "-Infinity", { step: 3 });
    assert.equal(lastRequest().body, '{"name":"loss","value":"-inf","step":3}');
    await client.jobs.appendMetricById(7, "loss", Infinity, { timestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) });
    assert.equal(lastRequest().body, '{"name":"loss","value":"inf","timestamp":"2026-01-02T03:04:05.006+00:00"}');
  });

  it("writes finite values with digits that read back exactly, -0 included", async () => {
    for (const value of [0.1 + 0.2, 5e-324, 1.7976931348623157e308, -0, 1e21, 1e-7, 123456789.125]) {
      await client.jobs.appendMetricById(7, "v", value);
      const sent = JSON.parse(lastRequest().body).value;
      assert.ok(Object.is(sent, value), `${value} went out as ${lastRequest().body}`);
    }
    await client.jobs.appendMetricById(7, "v", -0);
    assert.match(lastRequest().body, /"value":-0\.0/);
  });
});

describe("paths and queries", () => {
  it("builds the documented paths and the server's camelCase query names", async () => {
    // The stub's pages are empty: each read is followed by one GET of its job or experiment,
    // which tells "nothing yet" from "no such id" (a 404).
    const lastTwo = () => stub.requests.slice(-2).map((r) => r.url);
    await client.jobs.getMetricsSnapshotsById("0017", "acc", { index: 2, pageLength: 50 });
    assert.deepEqual(lastTwo(), ["/api/v1/jobs/17/metrics/acc/snapshots?index=2&pageLength=50", "/api/v1/jobs/17"]);
    await client.experiments.getMetricsById(4, { pageLength: 50, descending: true, search: "a b&c=d", sortBy: "name" });
    assert.deepEqual(lastTwo(), [
      "/api/v1/experiments/4/metrics?index=0&pageLength=50&sortBy=name&descending=true&search=a%20b%26c%3Dd",
      "/api/v1/experiments/4",
    ]);
    await client.experiments.getMetricsById(4);
    assert.deepEqual(lastTwo(), ["/api/v1/experiments/4/metrics?index=0&pageLength=10", "/api/v1/experiments/4"]);
  });

  it("sends the caller's extra headers and asks for JSON", async () => {
    await client.jobs.getMetricsSnapshotsById(1, "a");
    assert.equal(lastRequest().headers["x-trace"], "t1");
    assert.equal(lastRequest().headers.accept, "application/json");
  });
});
