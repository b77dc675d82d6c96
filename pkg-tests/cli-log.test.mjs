// `dioptra-metrics log` (issue 13) run as a child process against the real Dioptra: a Python
// training loop's output piped through it byte for byte, every point stored (read back with
// Dioptra's own Python client), the server killed mid-stream, Ctrl-C, the journal and
// `replay`. Every output of the CLI is scanned for the password (support/cli.mjs).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";

import { runCli, startCli } from "./support/cli.mjs";
import { address, takeJob } from "./support/env.mjs";
import { valueOf } from "./support/points.mjs";
import { startRestartableDioptra } from "./support/restartable-dioptra.mjs";
import { assertStoredExactly, storedHistory } from "./support/stored.mjs";
import { listenOnLoopback } from "./support/stub-server.mjs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-log-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * A Python training loop's output: JSON lines (json.dumps writes NaN and Infinity as bare
 * tokens), key=value lines, lines that are no metrics (blank, tabs, a progress bar, bytes that
 * are not UTF-8, CRLF), and a last line without a line end. Steps 0..steps-1 of loss and acc
 * (JSON) and val_loss (key=value), each valueOf(name, step).
 */
const TRAINING = (steps) => `
import json, math, sys
def value_of(name, step):
    if step % 97 == 11: return math.nan
    if step % 97 == 12: return -math.inf if len(name) % 2 else math.inf
    return (step + len(name) / 10) / 3
out = sys.stdout.buffer
out.write(b"Starting training\\n\\n\\t(tab) 100%|\\xe2\\x96\\x88\\xe2\\x96\\x88| ok\\r\\nnot utf-8: \\xff\\xfe\\n")
for step in range(${steps}):
    out.write((json.dumps({"loss": value_of("loss", step), "acc": value_of("acc", step), "step": step}) + "\\n").encode())
    out.write(f"epoch {step} step={step} val_loss={value_of('val_loss', step)!r} lr_note: fine\\n".encode())
out.write(b"done, no line end")
`;

/** Runs the training script with python3 and resolves to its whole output (a Buffer). */
function pythonOutput(source) {
  return new Promise((resolve, reject) => {
    const py = spawn("python3", ["-c", source], { stdio: ["ignore", "pipe", "inherit"] });
    const chunks = [];
    py.stdout.on("data", (c) => chunks.push(c));
    py.on("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`python3 exited ${code}`))));
  });
}

/** One line of metrics a and b at `step`. */
const abLine = (step) => `${JSON.stringify({ a: valueOf("a", step), b: valueOf("b", step), step })}\n`;

/** Waits until `job` holds `count` points of `name` (read with Dioptra's Python client), while the CLI runs. */
async function waitStored(run, job, name, count) {
  while ((await storedHistory(job, name)).length < count) {
    assert.equal(run.child.exitCode, null, run.stderrSoFar());
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A proxy to the real server that, while `down`, answers 503 to metric writes (logging in and
 * reads pass): an outage the logger waits out, with the points in its journal.
 */
async function outageProxy({ down = true } = {}) {
  const state = { down };
  const server = http.createServer((req, res) => {
    if (state.down && req.method === "POST" && req.url.endsWith("/metrics")) {
      req.resume();
      res.writeHead(503, { "content-type": "application/json" }).end('{"message":"down"}');
      return;
    }
    const target = new URL(req.url, address);
    const up = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  const { address: proxyAddress, close } = await listenOnLoopback(server);
  return { state, address: proxyAddress, close };
}

test("python output piped into `log`: passed through byte for byte, every point stored with NaN and infinities, exit 0", async () => {
  const job = takeJob();
  const steps = 40;
  const py = spawn("python3", ["-c", TRAINING(steps)], { stdio: ["ignore", "pipe", "inherit"] });
  const run = startCli(["log", "--job", String(job)]);
  py.stdout.pipe(run.child.stdin);
  const { code, stdout, stderr } = await run.result;
  const expected = await pythonOutput(TRAINING(steps));
  assert.equal(code, 0, stderr);
  assert.ok(stdout.equals(expected), `stdout differs from the program's output:\n${stdout.toString("utf8").slice(0, 400)}`);
  assert.match(stderr, new RegExp(`${steps * 3} point\\(s\\) read, ${steps * 3} stored in job ${job}`));
  await assertStoredExactly(job, ["loss", "acc", "val_loss"], steps);
  assert.deepEqual(await storedHistory(job, "epoch"), [], "'epoch 3' is no key=value pair");
});

test("`log`: names Dioptra refuses and a step that is not an integer are reported and make the exit 1; --prefix and --step-key", async () => {
  const job = takeJob();
  const input = ['{"it": 0, "loss": 0.5, "val/loss": 1}', '{"it": 1, "loss": 0.25}', '{"it": 1.5, "loss": 0.125}', "it=2 loss=nan"].join("\n");
  const { code, stdout, stderr } = await runCli(["log", "--job", String(job), "--step-key", "it", "--prefix", "train_"], { input });
  assert.equal(code, 1, stderr);
  assert.equal(stdout.toString(), input);
  assert.match(stderr, /"train_val\/loss" is not a metric name/);
  assert.match(stderr, /lost train_loss = 0\.125: its it 1\.5 is not an integer/);
  assert.match(stderr, /5 point\(s\) read, 3 stored in job \d+, 2 NOT stored \(1 lost, 1 with a name Dioptra refuses\)/);
  const stored = await storedHistory(job, "train_loss");
  assert.deepEqual(
    stored.map((p) => [p.step, p.value]),
    [
      [0, 0.5],
      [1, 0.25],
      [2, NaN],
    ],
  );
});

test("`log` to a job that does not exist: the points are listed as lost with the server's 404, exit 1", async () => {
  const { code, stdout, stderr } = await runCli(["log", "--job", "999999"], { input: "loss=1 step=0\nloss=2 step=1\n" });
  assert.equal(code, 1, stderr);
  assert.equal(stdout.toString(), "loss=1 step=0\nloss=2 step=1\n");
  assert.match(stderr, /2 point\(s\) read, 0 stored in job 999999, 2 NOT stored/);
  assert.equal([...stderr.matchAll(/lost loss@[01] = [12]: HTTP 404: Not Found/g)].length, 2, stderr);
});

test("`log` with the server gone mid-stream: points sent after are listed as lost (exit 1)", async (t) => {
  // The server as the CLI sees it once killed: a proxy in front of it, closed (connections refused).
  const proxy = await outageProxy({ down: false });
  t.after(() => proxy.close());
  const job = takeJob();
  const run = startCli(["log", "--job", String(job), "--give-up-after", "1s"], { env: { DIOPTRA_ADDRESS: proxy.address } });
  for (let step = 0; step < 5; step++) run.child.stdin.write(abLine(step));
  await run.waitUntil((out) => out.includes(abLine(4)));
  // Let those five lines be stored first (the logger sends every second).
  await waitStored(run, job, "b", 5);
  await proxy.close();
  for (let step = 5; step < 10; step++) run.child.stdin.write(abLine(step));
  run.child.stdin.end();
  const { code, stderr } = await run.result;
  assert.equal(code, 1, stderr);
  assert.match(stderr, /20 point\(s\) read, 10 stored in job \d+, 10 NOT stored \(10 lost, 0 with a name Dioptra refuses\)/);
  const listed = [...stderr.matchAll(/lost ([ab])@(\d+) = /g)].map((m) => `${m[1]}@${m[2]}`).sort();
  assert.deepEqual(listed, [5, 6, 7, 8, 9].flatMap((s) => [`a@${s}`, `b@${s}`]).sort());
  for (const name of ["a", "b"]) {
    assert.deepEqual((await storedHistory(job, name)).map((p) => p.step), [0, 1, 2, 3, 4], `${name}: what the server holds`);
  }
});

test("`log` with the real server killed mid-stream and back within the logger's patience: nothing lost (exit 0)", async (t) => {
  const server = await startRestartableDioptra();
  t.after(() => server.stop());
  const job = takeJob();
  const run = startCli(["log", "--job", String(job)], { env: { DIOPTRA_ADDRESS: server.address } });
  for (let step = 0; step < 5; step++) run.child.stdin.write(abLine(step));
  await run.waitUntil((out) => out.includes(abLine(4)));
  await waitStored(run, job, "b", 5);
  await server.kill();
  for (let step = 5; step < 10; step++) run.child.stdin.write(abLine(step));
  await run.waitUntil((out) => out.includes(abLine(9)));
  await server.start();
  run.child.stdin.end();
  const { code, stderr } = await run.result;
  assert.equal(code, 0, stderr);
  await assertStoredExactly(job, ["a", "b"], 10, { timestampsInStepOrder: false });
});

test("`log` interrupted (SIGINT): sends what it read, says so, exits 130", async () => {
  const job = takeJob();
  const run = startCli(["log", "--job", String(job)]);
  run.child.stdin.write("x=1 step=0\nx=2 step=1\n");
  await run.waitUntil((out) => out.includes("x=2 step=1\n"));
  run.child.kill("SIGINT");
  const { code, stderr } = await run.result;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted: 2 point\(s\) read, 2 stored/);
  assert.deepEqual((await storedHistory(job, "x")).map((p) => [p.step, p.value]), [
    [0, 1],
    [1, 2],
  ]);
});

test("`log --journal` killed during an outage leaves its points in the journal; `replay --journal` stores them (exit 0)", async (t) => {
  const proxy = await outageProxy();
  t.after(() => proxy.close());
  const job = takeJob();
  const journal = path.join(tmp, "run.journal");
  const run = startCli(["log", "--job", String(job), "--journal", journal], { env: { DIOPTRA_ADDRESS: proxy.address } });
  const input = Array.from({ length: 6 }, (_, step) => `loss=${valueOf("loss", step)} step=${step}\n`).join("");
  run.child.stdin.write(input);
  await run.waitUntil((out) => out.endsWith(input));
  // A line is passed through once it is logged, and logged means journaled: kill it outright.
  run.child.kill("SIGKILL");
  await run.result;
  assert.deepEqual(await storedHistory(job, "loss"), [], "nothing reached the server");

  proxy.state.down = false;
  const replay = await runCli(["replay", "--journal", journal], { env: { DIOPTRA_ADDRESS: proxy.address } });
  assert.equal(replay.code, 0, replay.stderr);
  assert.match(replay.stderr, new RegExp(`job ${job}: 6 point\\(s\\) in the journal, 6 stored, 0 given up, 0 left`));
  await assertStoredExactly(job, ["loss"], 6, { timestampsInStepOrder: false });
  assert.equal(fs.existsSync(journal), false, "the journal is removed once sent");
});
