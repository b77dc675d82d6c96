// Issue 8: a Node process that ends while its logger still holds points either flushes them
// or says on stderr what was lost: process.exit(), an uncaught exception, SIGTERM and SIGINT
// (with and without the script's own listener). Default logger options, the real Dioptra, the
// points read back with Dioptra's Python client.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";

import { address, username, password, takeJob } from "./support/env.mjs";
import { startNode } from "./support/node-child.mjs";
import { exitReport, valueOf } from "./support/points.mjs";
import { storedHistory } from "./support/stored.mjs";

const CHILD = "fixtures/exit-child.mjs";
/** Requests a client may have in flight when its process dies (its whole concurrency bound). */
const MAX_IN_FLIGHT = 16;

function runChild(mode, job) {
  return startNode(CHILD, {
    DIOPTRA_ADDRESS: address,
    DIOPTRA_USERNAME: username,
    DIOPTRA_PASSWORD: password,
    JOB: String(job),
    MODE: mode,
  });
}

/**
 * What the child left behind: the points stored (checked against what was logged) and the
 * stderr report. Asserts that no point was lost silently: stored + reported covers `logged`,
 * and the report names the job, lists the first points and stays short.
 */
async function assertNothingLostSilently(job, logged, stderr) {
  const history = await storedHistory(job, "loss");
  for (const p of history) assert.ok(Object.is(p.value, valueOf("loss", p.step)), `loss@${p.step} stored as ${p.value}`);
  const report = exitReport(stderr);
  const reported = report?.count ?? 0;
  assert.ok(
    history.length + reported >= logged,
    `${logged - history.length} of ${logged} points lost, ${report ? `${reported} reported` : "nothing printed"}; stderr: ${stderr.slice(0, 500)}`,
  );
  if (reported > 0) {
    assert.equal(report.job, job, report.line);
    assert.ok(reported <= logged - history.length + MAX_IN_FLIGHT, `${reported} reported, ${history.length} of ${logged} stored`);
    assert.match(report.line, /\bloss@\d+/, "the report lists the first points");
    assert.ok(report.line.length < 500, `a ${report.line.length}-character report`);
  }
  return { stored: history.length, reported };
}

describe("a Node process exiting with points unsent", () => {
  it("process.exit(0) right after log(): the line on stderr counts all 200 points", async () => {
    const job = takeJob();
    const { code, stderr } = await runChild("exit", job).exited;
    assert.equal(code, 0, stderr);
    const { stored, reported } = await assertNothingLostSilently(job, 200, stderr);
    assert.equal(stored + reported, 200);
    assert.match(exitReport(stderr).line, /loss@0, loss@1, loss@2/);
  });

  it("an uncaught exception after log(): the exception and the line, on stderr", async () => {
    const job = takeJob();
    const { code, stderr } = await runChild("throw", job).exited;
    assert.equal(code, 1, stderr);
    assert.match(stderr, /the script failed after log\(\)/);
    const { stored, reported } = await assertNothingLostSilently(job, 200, stderr);
    assert.equal(stored + reported, 200);
  });
});

describe("a Node process signalled 2 s after logging 2,000 points", () => {
  for (const signal of ["SIGTERM", "SIGINT"]) {
    it(`${signal}: flushes for a while, dies by the signal, and reports what it could not send`, async () => {
      const job = takeJob();
      const run = runChild("signal", job);
      await run.firstLine((l) => l.logged);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const sentAtSignal = run.lines.at(-1).sent;
      run.child.kill(signal);
      const { code, signal: endedBy, stderr } = await run.exited;
      await assertNothingLostSilently(job, 2000, stderr);
      assert.ok(
        endedBy === signal || code === 128 + os.constants.signals[signal],
        `ended with ${endedBy ?? `exit code ${code}`}, not by ${signal}`,
      );
      const sentAtEnd = run.lines.at(-1).sent;
      assert.ok(sentAtEnd > sentAtSignal + 4, `sent ${sentAtSignal} before the signal, ${sentAtEnd} at the end: no flush`);
    });
  }

  it("SIGINT with the script's own listener: the logger flushes, the script decides the exit", async () => {
    const job = takeJob();
    const run = runChild("listener", job);
    await run.firstLine((l) => l.logged);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    run.child.kill("SIGINT");
    const handled = await run.firstLine((l) => l.handler);
    const { code, signal, stderr } = await run.exited;
    assert.equal(code, 7, `ended with ${signal ?? `exit code ${code}`}, not by the script's process.exit(7)`);
    await assertNothingLostSilently(job, 2000, stderr);
    assert.ok(run.lines.at(-1).sent > handled.sent + 4, "nothing was sent after the signal");
  });
});
