// Issue 9, offline for hours: with a journal, a logger keeps at most `maxQueue` points in
// memory and the rest in the journal only ("spilled"), reading them back in order as the queue
// drains. Against a real Dioptra that is down while 2,060 points (2,000 keys, 60 of them
// overwritten: 50 whose older value is on disk only, 10 whose older value is in memory) are
// logged by a logger with maxQueue 100; then it comes back: every key is stored exactly once
// with the value logged last (read back with Dioptra's Python client), and the journal is gone.
// And a journal left by a killed process with more points than the next logger's maxQueue:
// the rest is read back from the file as the queue drains.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { DioptraClient } from "dioptra-metrics";
import { address, username, password, takeJob } from "./support/env.mjs";
import { startNode } from "./support/node-child.mjs";
import { valueOf } from "./support/points.mjs";
import { startRestartableDioptra } from "./support/restartable-dioptra.mjs";
import { storedHistory } from "./support/stored.mjs";

const NAMES = ["loss", "acc"];
const STEPS = 1000;
const MAX_QUEUE = 100;
/** Overwrites logged after all the steps: older value spilled (loss) or in memory (acc). */
const OVERWRITES = [
  ...Array.from({ length: 50 }, (_, i) => ["loss", 900 + i, 5000 + i + 0.25]),
  ...Array.from({ length: 10 }, (_, i) => ["acc", i, 6000 + i + 0.5]),
];

describe("a journaled logger offline with more points than maxQueue", () => {
  let server;
  let client;
  let tmp;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dioptra-spill-test-"));
    server = await startRestartableDioptra();
    client = new DioptraClient(server.address);
    await client.auth.login(username, password);
  });
  after(() => {
    server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("keeps at most maxQueue points in memory, the rest in the journal; all stored once, the last value of each key winning", async (t) => {
    const job = takeJob();
    const journal = path.join(tmp, "spill.journal");
    await server.kill();
    const failed = [];
    let mostHeld = 0;
    const held = () => {
      const { queued, inFlight } = logger.stats;
      mostHeld = Math.max(mostHeld, queued + inFlight);
    };
    const logger = client.jobs.createLogger(job, {
      journal,
      maxQueue: MAX_QUEUE,
      retry: { giveUpAfterMs: Infinity, maxDelayMs: 500 },
      onError: (err, point) => failed.push(`${point?.name}@${point?.step}: ${err.message}`.slice(0, 200)),
      onProgress: held, // After every request: the bound holds while draining too.
    });
    const expected = new Map();
    const log = (name, step, value) => {
      logger.log({ [name]: value }, { step });
      expected.set(`${name}@${step}`, value);
      held();
    };
    for (let step = 0; step < STEPS; step++) for (const name of NAMES) log(name, step, valueOf(name, step));
    for (const [name, step, value] of OVERWRITES) log(name, step, value);

    const offline = logger.stats;
    t.diagnostic(`while down: ${JSON.stringify(offline)}; journal ${fs.statSync(journal).size} bytes`);
    assert.ok(mostHeld <= MAX_QUEUE, `the logger held ${mostHeld} points in memory (maxQueue ${MAX_QUEUE})`);
    assert.ok(offline.spilled >= NAMES.length * STEPS + OVERWRITES.length - MAX_QUEUE, `only ${offline.spilled} points on disk only`);
    assert.ok(offline.journaled >= NAMES.length * STEPS, `the journal holds ${offline.journaled} points`);
    assert.equal(offline.sent, 0);

    await server.start();
    await logger.close();
    const closed = logger.stats;
    t.diagnostic(`closed: ${JSON.stringify(closed)}`);
    assert.deepEqual(failed.slice(0, 3), [], `${failed.length} point(s) reported failed`);
    assert.equal(closed.spilled, 0);
    assert.equal(closed.journaled, 0);
    assert.ok(mostHeld <= MAX_QUEUE, `the logger held ${mostHeld} points in memory while draining`);
    assert.deepEqual(fs.readdirSync(tmp), [], "the journal (or its lock) is left behind");

    const problems = [];
    for (const name of NAMES) {
      const seen = new Set();
      for (const p of await storedHistory(job, name)) {
        if (seen.has(p.step)) problems.push(`${name}@${p.step} stored twice`);
        seen.add(p.step);
        const want = expected.get(`${name}@${p.step}`);
        if (!Object.is(p.value, want)) problems.push(`${name}@${p.step} is ${p.value}, logged last ${want}`);
      }
      if (seen.size !== STEPS) problems.push(`${name}: ${STEPS - seen.size} of ${STEPS} steps missing`);
    }
    assert.deepEqual(problems.slice(0, 8), [], `${problems.length} problem(s)`);
  });

  it("a journal left by a killed process with more points than maxQueue: the rest is read back as the queue drains", async (t) => {
    const job = takeJob();
    const journal = path.join(tmp, "killed.journal");
    const count = 400;
    const baseMs = Date.UTC(2026, 3, 1);
    // A child journals `count` points without sending any, then is SIGKILLed.
    const first = startNode("fixtures/journal-child.mjs", {
      DIOPTRA_ADDRESS: address,
      DIOPTRA_USERNAME: username,
      DIOPTRA_PASSWORD: password,
      MODE: "hold",
      JOB: String(job),
      JOURNAL: journal,
      COUNT: String(count),
      BASE_MS: String(baseMs),
    });
    await first.firstLine((l) => l.logged === count);
    first.child.kill("SIGKILL");
    await first.exited;

    const main = new DioptraClient(address);
    await main.auth.login(username, password);
    let mostHeld = 0;
    const logger = main.jobs.createLogger(job, {
      journal,
      maxQueue: 50,
      onProgress: () => {
        const { queued, inFlight } = logger.stats;
        mostHeld = Math.max(mostHeld, queued + inFlight);
      },
    });
    const opened = logger.stats;
    t.diagnostic(`opened: ${JSON.stringify(opened)}`);
    assert.deepEqual([opened.journaled, opened.spilled, opened.queued], [count, count - 50, 50]);
    await logger.close();
    assert.ok(mostHeld <= 50, `the logger held ${mostHeld} points in memory (maxQueue 50)`);
    assert.deepEqual([logger.stats.sent, logger.stats.journaled, logger.stats.failed], [count, 0, 0]);
    assert.deepEqual(fs.readdirSync(tmp), [], "the journal (or its lock) is left behind");
    const history = await storedHistory(job, "loss");
    const wrong = history.filter((p, i) => p.step !== i || !Object.is(p.value, valueOf("loss", i)) || p.time !== baseMs + i);
    assert.deepEqual([history.length, wrong.length], [count, 0]);
  });
});
