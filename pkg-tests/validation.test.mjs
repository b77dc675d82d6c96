// Bad input is refused with DioptraValidationError naming the field, before any request:
// the client points at a stub that counts requests, and it must count none.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";

import { DioptraClient, DioptraValidationError } from "dioptra-metrics";
import { startStub } from "./support/stub-server.mjs";

let stub;
let client;
before(async () => {
  stub = await startStub();
  client = new DioptraClient(stub.address);
});
after(() => stub.close());

const aborted = AbortSignal.abort();

/** [description, call, field] */
const cases = [
  ["jobId 0", (c) => c.jobs.getMetricsById(0), "jobId"],
  ["jobId negative", (c) => c.jobs.getMetricsById(-4), "jobId"],
  ["jobId fractional", (c) => c.jobs.getMetricsById(1.5), "jobId"],
  ["jobId NaN", (c) => c.jobs.getMetricsById(NaN), "jobId"],
  ["jobId beyond safe integers", (c) => c.jobs.getMetricsById(2 ** 53), "jobId"],
  ["jobId path injection", (c) => c.jobs.getMetricsById("1/../users"), "jobId"],
  ["jobId with a query", (c) => c.jobs.getMetricsById("1?x=1"), "jobId"],
  ["jobId empty string", (c) => c.jobs.getMetricsById(""), "jobId"],
  ["jobId null", (c) => c.jobs.getMetricsById(null), "jobId"],
  ["jobId missing", (c) => c.jobs.getMetricsById(), "jobId"],
  ["jobId bigint", (c) => c.jobs.getMetricsById(3n), "jobId"],
  ["jobId object", (c) => c.jobs.getMetricsById({ id: 3 }), "jobId"],
  ["metricName starting with a digit", (c) => c.jobs.appendMetricById(1, "1bad", 1), "metricName"],
  ["metricName _ alone", (c) => c.jobs.appendMetricById(1, "_", 1), "metricName"],
  ["metricName empty", (c) => c.jobs.appendMetricById(1, "", 1), "metricName"],
  ["metricName with a slash", (c) => c.jobs.appendMetricById(1, "a/../b", 1), "metricName"],
  ["metricName with a space", (c) => c.jobs.appendMetricById(1, "a b", 1), "metricName"],
  ["metricName non-ASCII", (c) => c.jobs.appendMetricById(1, "précision", 1), "metricName"],
  ["metricName number", (c) => c.jobs.appendMetricById(1, 5, 1), "metricName"],
  ["metricName missing", (c) => c.jobs.getMetricsSnapshotsById(1), "metricName"],
  ["metricValue null", (c) => c.jobs.appendMetricById(1, "a", null), "metricValue"],
  ["metricValue undefined", (c) => c.jobs.appendMetricById(1, "a", undefined), "metricValue"],
  ["metricValue boolean", (c) => c.jobs.appendMetricById(1, "a", true), "metricValue"],
  ["metricValue bigint", (c) => c.jobs.appendMetricById(1, "a", 1n), "metricValue"],
  ["metricValue object", (c) => c.jobs.appendMetricById(1, "a", { value: 1 }), "metricValue"],
  ["metricValue empty string", (c) => c.jobs.appendMetricById(1, "a", ""), "metricValue"],
  ["metricValue numeric string", (c) => c.jobs.appendMetricById(1, "a", "1.5"), "metricValue"],
  ["metricValue other string", (c) => c.jobs.appendMetricById(1, "a", "abc"), "metricValue"],
  ["step fractional", (c) => c.jobs.appendMetricById(1, "a", 1, { step: 1.5 }), "step"],
  ["step unsafe", (c) => c.jobs.appendMetricById(1, "a", 1, { step: 2 ** 60 }), "step"],
  ["step string", (c) => c.jobs.appendMetricById(1, "a", 1, { step: "3" }), "step"],
  ["step null", (c) => c.jobs.appendMetricById(1, "a", 1, { step: null }), "step"],
  ["timestamp invalid Date", (c) => c.jobs.appendMetricById(1, "a", 1, { timestamp: new Date("x") }), "timestamp"],
  ["timestamp garbage", (c) => c.jobs.appendMetricById(1, "a", 1, { timestamp: "yesterday" }), "timestamp"],
  ["timestamp number", (c) => c.jobs.appendMetricById(1, "a", 1, { timestamp: 1700000000000 }), "timestamp"],
  ["index negative", (c) => c.jobs.getMetricsSnapshotsById(1, "a", { index: -1 }), "index"],
  ["index fractional", (c) => c.experiments.getMetricsById(1, { index: 0.5 }), "index"],
  ["pageLength 0", (c) => c.jobs.getMetricsSnapshotsById(1, "a", { pageLength: 0 }), "pageLength"],
  ["pageLength above 1000", (c) => c.experiments.getMetricsById(1, { pageLength: 1001 }), "pageLength"],
  ["pageLength string", (c) => c.experiments.getMetricsById(1, { pageLength: "10" }), "pageLength"],
  ["sortBy number", (c) => c.experiments.getMetricsById(1, { sortBy: 1 }), "sortBy"],
  ["search object", (c) => c.experiments.getMetricsById(1, { search: {} }), "search"],
  ["descending string", (c) => c.experiments.getMetricsById(1, { descending: "true" }), "descending"],
  ["experimentId invalid", (c) => c.experiments.getMetricsById("abc"), "experimentId"],
  ["unknown option", (c) => c.jobs.getMetricsSnapshotsById(1, "a", { page_length: 5 }), "page_length"],
  ["options not an object", (c) => c.jobs.getMetricsById(1, "fast"), "options"],
  ["options null", (c) => c.jobs.getMetricsById(1, null), "options"],
  // Options are read through the prototype too (a class's getters, Object.create's defaults).
  ["step from the options' prototype", (c) => c.jobs.appendMetricById(1, "a", 1, Object.create({ step: 1.5 })), "step"],
  ["timeoutMs from a class getter", (c) => c.jobs.getMetricsById(1, new (class { get timeoutMs() { return 0; } })()), "timeoutMs"],
  ["timeoutMs zero", (c) => c.jobs.getMetricsById(1, { timeoutMs: 0 }), "timeoutMs"],
  ["timeoutMs string", (c) => c.jobs.getMetricsById(1, { timeoutMs: "5" }), "timeoutMs"],
  ["signal not a signal", (c) => c.jobs.getMetricsById(1, { signal: {} }), "signal"],
  ["username missing", (c) => c.auth.login(), "username"],
  ["password not a string", (c) => c.auth.login("alice", 1234), "password"],
  ["logout everywhere string", (c) => c.auth.logout({ everywhere: "yes" }), "everywhere"],
];

describe("invalid arguments", () => {
  for (const [description, call, field] of cases) {
    it(`refuses ${description} (field ${field}) without a request`, async () => {
      const before = stub.requests.length;
      await assert.rejects(call(client), (err) => {
        assert.ok(err instanceof DioptraValidationError, `${err?.name}: ${err?.message}`);
        assert.equal(err.name, "DioptraValidationError");
        assert.equal(err.field, field);
        assert.ok(err.message.length > 10);
        return true;
      });
      assert.equal(stub.requests.length, before, "a request reached the server");
    });
  }

  it("names the bad metric name and the rule in the message", async () => {
    await assert.rejects(client.jobs.appendMetricById(1, "1bad", 1), /"1bad".*\^\(\[A-Za-z\]\|\[A-Za-z_\]\[A-Za-z0-9_\]\+\)\$/);
  });

  it("an already aborted signal sends nothing", async () => {
    await assert.rejects(client.jobs.getMetricsById(1, { signal: aborted }), { name: "DioptraAbortError" });
    assert.equal(stub.requests.length, 0);
  });
});

describe("invalid client construction", () => {
  const bad = [
    ["no address outside a browser", () => new DioptraClient(), "address"],
    ["a javascript: address", () => new DioptraClient("javascript:alert(1)"), "address"],
    ["a file: address", () => new DioptraClient("file:///etc/passwd"), "address"],
    ["a data: address", () => new DioptraClient("data:text/plain,x"), "address"],
    ["an address without scheme", () => new DioptraClient("localhost:5000"), "address"],
    ["an address with credentials", () => new DioptraClient("http://u:p@localhost"), "address"],
    ["a number as address", () => new DioptraClient(5000), "address"],
    ["options not an object", () => new DioptraClient("http://h", 5), "options"],
    ["an unknown option", () => new DioptraClient("http://h", { timeout: 5 }), "timeout"],
    ["bad credentials", () => new DioptraClient("http://h", { credentials: "always" }), "credentials"],
    ["bad timeoutMs", () => new DioptraClient("http://h", { timeoutMs: -1 }), "timeoutMs"],
    ["a Cookie header", () => new DioptraClient("http://h", { headers: { Cookie: "a=b" } }), "headers"],
    ["a header with a line break", () => new DioptraClient("http://h", { headers: { "X-A": "a\r\nb" } }), "headers"],
    ["a non-string header", () => new DioptraClient("http://h", { headers: { "X-A": 1 } }), "headers"],
  ];
  for (const [description, make, field] of bad) {
    it(`throws for ${description}`, () => {
      assert.throws(make, (err) => err instanceof DioptraValidationError && err.field === field);
    });
  }

  it("accepts a trailing slash or an explicit /api/v1", () => {
    for (const address of ["http://h:1", "http://h:1/", "http://h:1/api/v1", "http://h:1/api/v1/"]) {
      assert.equal(new DioptraClient(address).baseUrl, "http://h:1/api/v1");
    }
  });
});
