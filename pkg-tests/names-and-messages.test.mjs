// Metric names the server could store but never read back are refused up front, and error
// messages stay short whatever the caller or the server hands over: a name at the limit is
// stored and read back on the real Dioptra 1.2.2; one character more, and every oversized
// input, is refused by a client pointed at a stub that counts requests (it must count none).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";

import { DioptraClient, DioptraValidationError } from "dioptra-metrics";
import { address, username, password, takeJob } from "./support/env.mjs";
import http from "node:http";

import { startStub, json, listenOnLoopback } from "./support/stub-server.mjs";

/** The longest metric name accepted (README: "Metric names"). */
const LIMIT = 3800;
const KB = 1024;

describe("the metric name limit", () => {
  let stub;
  let counted;
  before(async () => {
    stub = await startStub();
    counted = new DioptraClient(stub.address);
  });
  after(() => stub.close());

  it("a name at the limit is stored and read back on the real server", async () => {
    const client = new DioptraClient(address);
    await client.auth.login(username, password);
    const job = takeJob();
    const name = `n${"_".repeat(LIMIT - 2)}z`;
    assert.equal(name.length, LIMIT);
    await client.jobs.appendMetricById(job, name, 0.25, { step: 3 });
    const history = await client.jobs.getMetricHistory(job, name);
    assert.deepEqual(
      history.map((p) => [p.name, p.value, p.step]),
      [[name, 0.25, 3]],
    );
    const page = await client.jobs.getMetricsSnapshotsById(job, name);
    assert.equal(page.data.length, 1);
  });

  it("one character more is refused, saying the limit, with no request sent", async () => {
    const name = "n".repeat(LIMIT + 1);
    const calls = [
      () => counted.jobs.appendMetricById(1, name, 1),
      () => counted.jobs.getMetricHistory(1, name),
      () => counted.jobs.getMetricsSnapshotsById(1, name),
      async () => {
        const logger = counted.jobs.createLogger(1);
        try {
          logger.log({ [name]: 1 });
        } finally {
          await logger.close();
        }
      },
    ];
    for (const call of calls) {
      await assert.rejects(call(), (err) => {
        assert.ok(err instanceof DioptraValidationError, String(err));
        assert.equal(err.field, "metricName");
        assert.match(err.message, /3800/);
        assert.match(err.message, /3801/);
        return true;
      });
    }
    assert.equal(stub.requests.length, 0, "a request reached the server");
  });
});

describe("messages quote a bounded share of what they are about", () => {
  const huge = "x".repeat(100_000);
  let stub;
  let answer = () => {};
  before(async () => {
    // Node's own limit (16 KiB of request line and headers) would answer 431 first.
    const server = http.createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
      req.resume();
      req.on("end", () => answer(req, res));
    });
    stub = await listenOnLoopback(server);
  });
  after(() => stub.close());

  it("a 100,000-character name or value: a validation message under 1 KB", async () => {
    let requests = 0;
    answer = (req, res) => {
      requests += 1;
      json(res, 500, "");
    };
    const client = new DioptraClient(stub.address);
    for (const call of [
      () => client.jobs.appendMetricById(1, huge, 1),
      () => client.jobs.appendMetricById(1, "loss", huge),
      () => client.jobs.getMetricHistory(1, `a${"!".repeat(100_000)}`),
    ]) {
      await assert.rejects(call(), (err) => {
        assert.ok(err instanceof DioptraValidationError, String(err));
        assert.ok(err.message.length < KB, `${err.message.length} characters`);
        return true;
      });
    }
    assert.equal(requests, 0, "a request reached the server");
  });

  it("a 100,000-character path: every kind of request error has a message under 1 KB, and the whole path", async () => {
    const client = new DioptraClient(`${stub.address}/${"p".repeat(100_000)}`, { timeoutMs: 300 });
    const cases = [
      ["DioptraApiError", (req, res) => json(res, 414, "")],
      ["DioptraApiError", (req, res) => json(res, 400, { message: huge, errors: { name: [huge, huge] } })],
      ["DioptraNetworkError", (req) => req.socket.destroy()],
      ["DioptraTimeoutError", () => {}],
      ["DioptraDecodeError", (req, res) => json(res, 200, [{ name: "loss", value: huge, step: 0, timestamp: "2026-01-01T00:00:00" }])],
    ];
    for (const [kind, handler] of cases) {
      answer = handler;
      await assert.rejects(client.jobs.getMetricsById(1), (err) => {
        assert.equal(err.name, kind);
        assert.ok(err.message.length < KB, `${kind}: ${err.message.length} characters`);
        assert.ok(err.path.length > 100_000, `${kind}: the path field was cut to ${err.path.length}`);
        assert.ok(err.path.endsWith("/api/v1/jobs/1/metrics"), err.path.slice(-40));
        return true;
      });
    }
  });
});
