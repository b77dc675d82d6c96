// The logger's promise in the small (issue 8): answers that are not the point are not "sent",
// flush() and close() keep to a deadline, `await using` closes, points carry the client's
// clock, and loggers nobody closed cost nothing once idle.
import { describe, it } from "node:test";
import assert from "node:assert/strict";

import {
  DioptraClient,
  DioptraAbortError,
  DioptraDecodeError,
  DioptraFlushError,
  DioptraLoggerClosedError,
  DioptraTimeoutError,
  DioptraValidationError,
} from "dioptra-metrics";
import { runModule } from "./support/node-child.mjs";
import { startStub, json, echoMetric } from "./support/stub-server.mjs";
import { deadAddress } from "./support/fixtures.mjs";

/** A stub whose every answer to a POST is `answer(res, point)` (the point as sent). */
async function answeringStub(answer) {
  return startStub((req, res, body) => answer(res, body ? JSON.parse(body) : null));
}

const quickGiveUp = { retry: { minDelayMs: 1, maxDelayMs: 10, giveUpAfterMs: 200 } };

describe("a 2xx that is not the point stored is a failed attempt, not a send", () => {
  const garbage = {
    "an empty object": (res) => json(res, 200, {}),
    "an empty 200": (res) => res.writeHead(200).end(),
    "a 204": (res) => res.writeHead(204).end(),
    "an error body": (res) => json(res, 200, { error: "Oops", message: "not stored" }),
    "another metric": (res, point) => json(res, 200, { name: "other", value: point.value }),
    "another value": (res, point) => json(res, 200, { name: point.name, value: point.value + 1 }),
  };
  for (const [what, answer] of Object.entries(garbage)) {
    it(`${what}: retried, then reported, never counted as sent`, async () => {
      const stub = await answeringStub(answer);
      try {
        const logger = new DioptraClient(stub.address).jobs.createLogger(1, quickGiveUp);
        logger.log({ loss: 0.5 }, { step: 1 });
        await assert.rejects(logger.close(), (err) => {
          assert.ok(err instanceof DioptraFlushError);
          assert.equal(err.points.length, 1);
          assert.ok(err.points[0].error instanceof DioptraDecodeError, err.points[0].error.name);
          return true;
        });
        assert.equal(logger.stats.sent, 0);
        assert.equal(logger.stats.failed, 1);
        assert.ok(stub.requests.length >= 2, `${stub.requests.length} request(s): not retried`);
      } finally {
        await stub.close();
      }
    });
  }

  it("the point's own answer counts, -0 read back as 0 included", async () => {
    const stub = await answeringStub((res, point) => json(res, 200, { name: point.name, value: point.value === 0 ? 0 : point.value }));
    try {
      const logger = new DioptraClient(stub.address).jobs.createLogger(1);
      logger.log({ loss: -0, lr: 0.25 });
      await logger.close();
      assert.equal(logger.stats.sent, 2);
      assert.equal(stub.requests.length, 2);
    } finally {
      await stub.close();
    }
  });
});

describe("flush() and close() keep to a deadline", () => {
  it("flush({ timeoutMs }) against a dead server: rejects listing the unsent points, which stay queued", async () => {
    const logger = new DioptraClient(await deadAddress()).jobs.createLogger(1);
    logger.log({ loss: 1, accuracy: 2 }, { step: 3 });
    await assert.rejects(logger.flush({ timeoutMs: 300 }), (err) => {
      assert.ok(err instanceof DioptraFlushError);
      assert.deepEqual(err.points.map((p) => `${p.name}@${p.step}`).sort(), ["accuracy@3", "loss@3"]);
      assert.ok(err.errors.every((e) => e instanceof DioptraTimeoutError));
      assert.match(err.message, /not stored within 300 ms: 2 point\(s\) not yet stored/);
      return true;
    });
    const { queued, inFlight, failed, state } = logger.stats;
    assert.equal(queued + inFlight, 2, "the points were dropped by a flush deadline");
    assert.equal(failed, 0);
    assert.equal(state, "outage");
    // close() past its deadline gives them up, and says so.
    await assert.rejects(logger.close({ timeoutMs: 100 }), (err) => err instanceof DioptraFlushError && err.points.length === 2);
    assert.equal(logger.stats.failed + logger.stats.inFlight, 2);
    assert.throws(() => logger.log({ loss: 1 }), DioptraLoggerClosedError);
  });

  it("flush({ signal }): an abort settles it at once, the points stay queued", async () => {
    const logger = new DioptraClient(await deadAddress()).jobs.createLogger(1);
    logger.log({ loss: 1 });
    const controller = new AbortController();
    const flushed = logger.flush({ signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(flushed, (err) => err instanceof DioptraFlushError && err.errors[0] instanceof DioptraAbortError);
    assert.equal(logger.stats.queued + logger.stats.inFlight, 1);
    await logger.close({ timeoutMs: 0 }).catch(() => {});
  });

  it("flush({ signal, timeoutMs }) with a signal already aborted: settles at once and leaves no timer behind", async () => {
    const logger = new DioptraClient(await deadAddress()).jobs.createLogger(1);
    logger.log({ loss: 1 });
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    const aborted = (err) => err instanceof DioptraFlushError && err.errors[0] instanceof DioptraAbortError;
    // The same flush without a time limit first: the timers the logger itself keeps.
    await assert.rejects(logger.flush({ signal: AbortSignal.abort() }), aborted);
    const before = timers();
    await assert.rejects(logger.flush({ signal: AbortSignal.abort(), timeoutMs: 600_000 }), aborted);
    assert.ok(timers() <= before, `${timers() - before} more timer(s) after the flush with a time limit (its 600 s deadline left running)`);
    await logger.close({ timeoutMs: 0 }).catch(() => {});
  });

  it("checks its options before waiting", async () => {
    const logger = new DioptraClient(await deadAddress()).jobs.createLogger(1);
    for (const [options, field] of [
      [{ timeout: 5 }, "timeout"],
      [{ timeoutMs: -1 }, "timeoutMs"],
      [{ timeoutMs: "5" }, "timeoutMs"],
      [{ signal: {} }, "signal"],
      [5, "options"],
    ]) {
      await assert.rejects(logger.flush(options), (err) => err instanceof DioptraValidationError && err.field === field);
      await assert.rejects(logger.close(options), (err) => err instanceof DioptraValidationError && err.field === field);
    }
    await logger.close();
  });
});

describe("the logger's clock and scope", () => {
  it("stamps a point at log() time with the client's clock, unless told to leave it to the server", async () => {
    const stub = await startStub((req, res, body) => echoMetric(res, body));
    try {
      const client = new DioptraClient(stub.address);
      const before = Date.now();
      const logger = client.jobs.createLogger(1);
      logger.log({ loss: 1 }, { step: 0 });
      const after = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 30)); // the request goes later than the log()
      logger.log({ loss: 2 }, { step: 1, timestamp: "2026-01-02T03:04:05.678Z" });
      await logger.close();
      const [first, second] = stub.requests.map((r) => JSON.parse(r.body));
      const stamped = Date.parse(first.timestamp);
      assert.ok(stamped >= before && stamped <= after, `${first.timestamp} is not the log() time`);
      assert.equal(Date.parse(second.timestamp), Date.parse("2026-01-02T03:04:05.678Z"));

      const serverClock = client.jobs.createLogger(1, { timestamp: "server" });
      serverClock.log({ loss: 3 }, { step: 2 });
      await serverClock.close();
      assert.equal(JSON.parse(stub.requests[2].body).timestamp, undefined);
      assert.throws(() => client.jobs.createLogger(1, { timestamp: "local" }), (err) => err.field === "timestamp");
    } finally {
      await stub.close();
    }
  });

  it("Symbol.asyncDispose closes it (`await using`)", async () => {
    const stub = await startStub((req, res, body) => echoMetric(res, body));
    try {
      const logger = new DioptraClient(stub.address).jobs.createLogger(1, { flushIntervalMs: 60_000 });
      const dispose = logger[Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose")];
      assert.equal(typeof dispose, "function");
      logger.log({ loss: 1 });
      await dispose.call(logger);
      assert.equal(logger.stats.sent, 1);
      assert.throws(() => logger.log({ loss: 2 }), DioptraLoggerClosedError);
    } finally {
      await stub.close();
    }
  });
});

/** Runs `source` in a Node child with `--expose-gc`; its stdout's last line, as JSON. */
async function runWithGc(source, env) {
  const { stdout } = await runModule(source, env, { nodeFlags: ["--expose-gc"] });
  return JSON.parse(stdout.trim().split("\n").pop());
}

describe("loggers nobody closed", () => {
  it("cost no timer once idle, and are freed when collected (wasm memory is reused, not grown)", async () => {
    const stub = await startStub((req, res, body) => echoMetric(res, body));
    try {
      const result = await runWithGc(
        `
        import { DioptraClient, wasmMemoryBytes } from "dioptra-metrics";
        const client = new DioptraClient(process.env.STUB);
        const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
        let collected = 0;
        const watch = new FinalizationRegistry(() => collected++);
        // Collect until every logger made so far is gone (or 200 tries: then some are held).
        const settle = async (made) => {
          for (let i = 0; i < 200 && collected < made; i++) {
            globalThis.gc();
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        };
        let made = 0;
        // In functions of their own, so that no frame of this module keeps a logger by chance.
        function make(count) {
          const loggers = [];
          for (let i = 0; i < count; i++) {
            const logger = client.jobs.createLogger(1);
            watch.register(logger, i);
            loggers.push(logger);
          }
          made += count;
          return loggers.slice(0, 20);
        }
        async function use(loggers) {
          // A few that logged and were flushed, then left open.
          for (const logger of loggers) {
            logger.log({ loss: 1 });
            await logger.flush();
          }
          return timers();
        }
        async function round() {
          const idleTimers = await use(make(10000));
          await settle(made);
          return { idleTimers, collected, memory: wasmMemoryBytes() };
        }
        // The first round also grows the allocator's working set once (one 64 KiB page, or
        // none, depending on how the build lays out memory); from then on, freed loggers'
        // state must be reused: the third round may not grow memory past the second.
        const first = await round();
        const second = await round();
        const third = await round();
        console.log(JSON.stringify({ first, second, third, timersAtEnd: timers() }));
      `,
        { STUB: stub.address },
      );
      assert.ok(result.first.idleTimers <= 2, `${result.first.idleTimers} timers for 10,000 idle loggers`);
      assert.equal(result.first.collected, 10_000, "loggers nobody holds were never collected");
      assert.equal(result.second.collected, 20_000);
      assert.equal(result.third.collected, 30_000);
      assert.ok(
        result.third.memory <= result.second.memory,
        `wasm memory grew from ${result.second.memory} to ${result.third.memory}: collected loggers' wasm state was not freed`,
      );
      assert.ok(result.timersAtEnd <= 1, `${result.timersAtEnd} timers left`);
    } finally {
      await stub.close();
    }
  });
});

describe("the logger's edges (found in review)", () => {
  it("an onError that throws is shown as a warning and cannot keep flush() from settling", async () => {
    const stub = await startStub((req, res) => json(res, 400, { errors: { name: ["bad"] } }));
    try {
      const source = `
        import { DioptraClient } from "dioptra-metrics";
        const logger = new DioptraClient(process.env.STUB).jobs.createLogger(1, {
          flushIntervalMs: 0,
          onError: () => { throw new Error("bug in my onError"); },
        });
        logger.log({ loss: 1, accuracy: 2 }, { step: 1 });
        const outcome = await logger.flush().then(() => "resolved", (err) => err.name);
        console.log(outcome);
      `;
      const { stdout, stderr } = await runModule(source, { STUB: stub.address }, { timeoutMs: 20_000 });
      assert.equal(stdout.trim(), "DioptraFlushError");
      assert.match(stderr, /a logger callback threw: Error: bug in my onError/);
    } finally {
      await stub.close();
    }
  });

  it("a script that ends during an outage exits after exitFlushMs and names what it lost", async () => {
    const source = `
      import { DioptraClient } from "dioptra-metrics";
      const logger = new DioptraClient(process.env.DEAD).jobs.createLogger(1, { exitFlushMs: 500 });
      logger.log({ loss: 1 }, { step: 1 });
    `;
    const { stderr } = await runModule(source, { DEAD: await deadAddress() }, { timeoutMs: 20_000 });
    assert.match(stderr, /dioptra-metrics: 1 point\(s\) logged for job 1 were not stored \(the process is exiting\): loss@1/);
  });

  it("a close() with a deadline after a close() without one still keeps to it", async () => {
    const logger = new DioptraClient(await deadAddress()).jobs.createLogger(1);
    logger.log({ loss: 1 });
    const first = logger.close();
    await assert.rejects(logger.close({ timeoutMs: 200 }), (err) => err instanceof DioptraFlushError && err.points.length === 1);
    await first.catch(() => {}); // settles too (the failure was reported once, above)
    assert.equal(logger.stats.queued, 0);
  });

  it("a proxy that redirects every request fails the queue once, not point by point", async () => {
    const stub = await startStub((req, res) => res.writeHead(301, { location: "https://elsewhere.example/" }).end());
    try {
      const logger = new DioptraClient(stub.address).jobs.createLogger(1, { flushIntervalMs: 0 });
      for (let step = 0; step < 500; step++) logger.log({ loss: step }, { step });
      await assert.rejects(logger.close(), (err) => err instanceof DioptraFlushError && err.points.length === 500);
      assert.ok(stub.requests.length <= 4, `${stub.requests.length} requests for 500 points`);
    } finally {
      await stub.close();
    }
  });

  it("messages and the exit line stay short whatever the names' length", async () => {
    const names = Array.from({ length: 5 }, (_, i) => `n${i}${"x".repeat(3790)}`);
    const source = `
      import { DioptraClient } from "dioptra-metrics";
      const logger = new DioptraClient(process.env.DEAD).jobs.createLogger(1, { exitFlushMs: 100 });
      logger.log(Object.fromEntries(JSON.parse(process.env.NAMES).map((n) => [n, 1])));
      process.exit(0);
    `;
    const { stderr } = await runModule(source, { DEAD: await deadAddress(), NAMES: JSON.stringify(names) });
    const line = stderr.split("\n").find((l) => l.startsWith("dioptra-metrics: 5 point(s)"));
    assert.ok(line, stderr.slice(0, 500));
    assert.ok(line.length < 1000, `the exit line is ${line.length} characters`);
  });
});

describe("failures and the flushes that report them (found in review)", () => {
  it("every flush waiting when a point fails reports it; a flush begun later does not", async () => {
    const stub = await startStub((req, res, body) =>
      JSON.parse(body).name === "bad" ? json(res, 400, { errors: { name: ["refused"] } }) : echoMetric(res, body),
    );
    try {
      const logger = new DioptraClient(stub.address).jobs.createLogger(1, { flushIntervalMs: 60_000 });
      logger.log({ bad: 1, good: 2 }, { step: 1 });
      const periodic = logger.flush();
      const closing = logger.close();
      for (const settled of [periodic, closing]) {
        await assert.rejects(settled, (err) => err instanceof DioptraFlushError && err.points.map((p) => p.name).join() === "bad");
      }
      const second = new DioptraClient(stub.address).jobs.createLogger(1, { flushIntervalMs: 0 });
      second.log({ bad: 1 });
      await assert.rejects(second.flush(), DioptraFlushError);
      await second.close(); // reported once already, by the flush that waited for it
    } finally {
      await stub.close();
    }
  });
});
