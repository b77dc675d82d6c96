// Issue 8: 20,000 points queued against a dead server for 60 s cost a bounded number of
// requests and little CPU, and nothing is given up; once a server is back on that port they
// all drain. A child process (fixtures/outage-child.mjs) measures its own requests and CPU
// time; the server that comes back is a fast stand-in for Dioptra's metric write
// (support/metrics-echo.mjs): the real one would need three minutes for 20,000 points (the
// drain into the real Dioptra is in logger-restart.test.mjs).
import { describe, it } from "node:test";
import assert from "node:assert/strict";

import { freePortOutsideEphemeralRange } from "../scripts/dioptra-server.mjs";
import { startMetricsEcho } from "./support/metrics-echo.mjs";
import { startNode } from "./support/node-child.mjs";
import { valueOf } from "./support/points.mjs";

const STEPS = 10_000; // x 2 names: 20,000 points
const OUTAGE_MS = 60_000;
/** See MAX_REQUESTS_IN_60_S_OUTAGE in logger-restart.test.mjs (full jitter, 30 s cap). */
const MAX_REQUESTS = 60;
/** CPU seconds the waiting logger may burn in 60 s (a tenth of a core); today: tens of seconds. */
const MAX_CPU_SECONDS = 6;
const SPECIAL = { nan: NaN, NaN: NaN, inf: Infinity, Infinity: Infinity, "-inf": -Infinity, "-Infinity": -Infinity };

describe("20,000 points queued against a dead server", () => {
  it("for 60 s: bounded requests and CPU, nothing given up; then everything drains once", { timeout: 360_000 }, async (t) => {
    const port = await freePortOutsideEphemeralRange();
    const job = 7;
    const run = startNode(
      "fixtures/outage-child.mjs",
      { ADDRESS: `http://127.0.0.1:${port}`, JOB: String(job), STEPS: String(STEPS), OUTAGE_MS: String(OUTAGE_MS) },
      { timeoutMs: 300_000 },
    );
    let echo;
    try {
      const outage = await run.firstLine((l) => l.phase === "outage");
      echo = await startMetricsEcho(port);
      const done = await run.firstLine((l) => l.phase === "done");
      const { code, stderr } = await run.exited;
      const figures = (l) => ({ ...l, firstError: l.firstError?.slice(0, 120) });
      t.diagnostic(`outage: ${JSON.stringify(figures(outage))}`);
      t.diagnostic(`after: ${JSON.stringify(figures(done))}`);
      assert.equal(code, 0, stderr.slice(0, 2000));

      assert.ok(outage.requests <= MAX_REQUESTS, `${outage.requests} requests in ${OUTAGE_MS / 1000} s of outage (at most ${MAX_REQUESTS})`);
      assert.ok(outage.cpuSeconds <= MAX_CPU_SECONDS, `${outage.cpuSeconds.toFixed(1)} CPU seconds in ${OUTAGE_MS / 1000} s of outage`);
      assert.equal(outage.errors, 0, `${outage.errors} points given up during the outage, e.g. ${outage.firstError}`);
      assert.equal(outage.stats.failed, 0);

      assert.equal(done.closeError, null, JSON.stringify(done.closeError));
      assert.equal(done.stats.failed, 0);
      assert.equal(done.errors, 0);
      const problems = [];
      for (const name of ["loss", "accuracy"]) {
        for (let step = 0; step < STEPS; step++) {
          const values = echo.received.get(`${job} ${name} ${step}`) ?? [];
          if (values.length !== 1) problems.push(`${name}@${step} received ${values.length} times`);
          else {
            const v = typeof values[0] === "string" ? SPECIAL[values[0]] : values[0];
            if (!Object.is(v, valueOf(name, step))) problems.push(`${name}@${step} sent as ${JSON.stringify(values[0])}`);
          }
        }
      }
      assert.deepEqual(problems.slice(0, 5), [], `${problems.length} of 20,000 points not received exactly once with their value`);
      assert.ok(done.requests <= 2 * STEPS + MAX_REQUESTS, `${done.requests} requests in all for 20,000 points`);
    } finally {
      run.child.kill("SIGKILL");
      await echo?.close();
    }
  });
});

describe("a logger closed while the server is down", () => {
  // Node ends a process whose event loop is empty: close() must keep a timer (or a request)
  // alive for as long as it waits. A pump that read the clock twice once set no timer when a
  // millisecond ticked over between the readings (CI saw exit code 13, "unsettled top-level
  // await", and every point reported unstored); the child's clock makes such ticks common.
  it("keeps the process waiting through the outage's probes, then sends everything once", { timeout: 120_000 }, async () => {
    const port = await freePortOutsideEphemeralRange();
    const job = 8;
    const steps = 50;
    const run = startNode(
      "fixtures/close-in-outage-child.mjs",
      { ADDRESS: `http://127.0.0.1:${port}`, JOB: String(job), STEPS: String(steps) },
      { timeoutMs: 90_000 },
    );
    let echo;
    try {
      await run.firstLine((l) => l.phase === "closing");
      // Long enough for several probes, each one a timer that must be set (full jitter from 50 ms).
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      assert.equal(run.child.exitCode, null, `the child ended during the outage:\n${run.lines.map(JSON.stringify).join("\n")}`);
      echo = await startMetricsEcho(port);
      const done = await run.firstLine((l) => l.phase === "done");
      const { code, stderr } = await run.exited;
      assert.equal(code, 0, stderr.slice(0, 2000));
      assert.equal(done.closeError, null, JSON.stringify(done.closeError));
      assert.equal(done.stats.sent, steps);
      for (let step = 0; step < steps; step++) {
        assert.deepEqual(echo.received.get(`${job} loss ${step}`), [step / 8], `loss@${step}`);
      }
    } finally {
      run.child.kill("SIGKILL");
      await echo?.close();
    }
  });
});
