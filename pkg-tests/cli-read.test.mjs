// `dioptra-metrics` reading commands (issue 13) as child processes against the real Dioptra:
// export (complete, exact, parsed back with Python's csv module, streaming with flat memory,
// atomic -o), latest, history, jobs, plot (a snapshot of a fixed series with NaN), tail, and
// bad usage. Every output of the CLI is scanned for the password (support/cli.mjs).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";

import { BIN, assertNoPassword, cliEnv, parseValue, pythonCsv, runCli, startCli } from "./support/cli.mjs";
import { address, pyclient, seed, takeJob } from "./support/env.mjs";
import { startCountingProxy } from "./support/counting-proxy.mjs";
import { deadAddress } from "./support/fixtures.mjs";
import { seedMetrics, seededTime, seededValue } from "./support/seeded.mjs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-read-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The package's long format (toCSV's header), which the CLI writes. */
const HEADER = ["jobId", "name", "step", "value", "timestamp"];

/** Asserts that `rows` (CSV rows after the header) are steps 0..count-1 of job/name with the seeded values and timestamps. */
function assertSeededRows(rows, job, name, count) {
  assert.equal(rows.length, count, `${name}: ${rows.length} of ${count} points`);
  const bySteps = [...rows].sort((a, b) => Number(a[2]) - Number(b[2]));
  bySteps.forEach((r, step) => {
    assert.deepEqual([Number(r[0]), r[1], Number(r[2])], [job, name, step]);
    assert.ok(Object.is(parseValue(r[3]), seededValue(step)), `${name}@${step}: ${r[3]}, seeded ${seededValue(step)}`);
    assert.equal(r[4], new Date(seededTime(step)).toISOString(), `${name}@${step}: timestamp`);
  });
}

test("`export --job` of a 5,000-point history: every point, exact values (nan/inf/-inf), parsed back by Python's csv module", async () => {
  const job = takeJob();
  await seedMetrics(job, ["loss"], 0, 5000);
  await seedMetrics(job, ["acc"], 0, 300);
  const { code, stdout, stderr } = await runCli(["export", "--job", String(job)]);
  assert.equal(code, 0, stderr);
  assert.equal(stderr.includes("["), false, "no progress bar when stderr is not a terminal");
  const [header, ...rows] = await pythonCsv(stdout.toString("utf8"));
  assert.deepEqual(header, HEADER);
  assertSeededRows(rows.filter((r) => r[1] === "loss"), job, "loss", 5000);
  assertSeededRows(rows.filter((r) => r[1] === "acc"), job, "acc", 300);
  assert.ok(rows.some((r) => r[3] === "nan") && rows.some((r) => r[3] === "inf") && rows.some((r) => r[3] === "-inf"));
  // The same set as Dioptra's own Python client reads.
  const py = await pyclient(["history", job, "acc"]);
  assert.deepEqual(
    rows.filter((r) => r[1] === "acc").map((r) => `${r[2]}=${r[3]}`).sort(),
    py.map((p) => `${p.step}=${typeof p.value === "string" ? p.value : p.repr === "-0.0" ? "-0.0" : String(Number(p.repr))}`).sort(),
  );
});

test("`export --experiment --metrics --format jsonl -o FILE`: every job's points of the chosen metrics, written atomically", async () => {
  const { id, jobIds } = seed.experiments.cli;
  await Promise.all(jobIds.flatMap((job, i) => [seedMetrics(job, ["loss"], 0, 50 + i), seedMetrics(job, ["other"], 0, 7)]));
  const target = path.join(tmp, "exp.jsonl");
  fs.writeFileSync(target, "old content\n");
  const { code, stdout, stderr } = await runCli(["export", "--experiment", String(id), "--metrics", "loss,missing", "--format", "jsonl", "-o", target]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout.length, 0);
  assert.match(stderr, /no metric "missing" found/);
  const lines = fs.readFileSync(target, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 50 + 51 + 52);
  for (const [i, job] of jobIds.entries()) {
    const mine = lines.filter((l) => l.jobId === job);
    assert.equal(mine.length, 50 + i);
    for (const l of mine) {
      assert.equal(l.name, "loss");
      assert.equal(l.timestamp, new Date(seededTime(l.step)).toISOString());
      const v = seededValue(l.step);
      assert.ok(Object.is(typeof l.value === "string" ? parseValue(l.value) : l.value, v), `${job} loss@${l.step}`);
    }
  }
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes(".tmp")), [], "no temporary file left");

  // A failed export (the server is gone) leaves FILE as it was, and no temporary file.
  const dead = await deadAddress();
  const failed = await runCli(["export", "--experiment", String(id), "-o", target], { env: { DIOPTRA_ADDRESS: dead } });
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /dioptra-metrics export: /);
  assert.equal(fs.readFileSync(target, "utf8").split("\n").length, lines.length + 1, "FILE untouched");
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes(".tmp")), []);
});

/**
 * Runs `dioptra-metrics ...args` on a pseudo-terminal (util-linux `script`: its stdout and
 * stderr are a TTY there) with `env` over cliEnv; resolves to what the terminal showed.
 */
function onTerminal(args, env = {}) {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" ");
  return new Promise((resolve, reject) => {
    execFile("script", ["-qfec", command, "/dev/null"], { env: { ...process.env, ...cliEnv, ...env } }, (err, out, errText) => {
      if (err) return reject(new Error(`script failed: ${err.message}\n${out}${errText}`));
      assertNoPassword(out);
      resolve(out);
    });
  });
}

test("on a terminal: `export` draws a progress bar on stderr (points / total, rate, ETA), the file gets only the data; tables are coloured unless NO_COLOR", async () => {
  const job = takeJob();
  await seedMetrics(job, ["p"], 0, 3000);
  const target = path.join(tmp, "tty.csv");
  const stdout = await onTerminal(["export", "--job", String(job), "-o", target]);
  assert.match(stdout, /\r\[#{24}\] 3,000 \/ 3,000 points {2}[\d,]+\/s {2}ETA 0s/, JSON.stringify(stdout.slice(-300)));
  assert.match(stdout, /3000 point\(s\) of 1 metric\(s\) written to /);
  const [header, ...rows] = await pythonCsv(fs.readFileSync(target, "utf8"));
  assert.deepEqual(header, HEADER);
  assertSeededRows(rows, job, "p", 3000);

  // Colours on a terminal only, and never with NO_COLOR: the table's header is bold (ANSI).
  const bold = "\u001b[1m";
  assert.ok((await onTerminal(["latest", "--job", String(job)])).includes(bold));
  assert.ok(!(await onTerminal(["latest", "--job", String(job)], { NO_COLOR: "1" })).includes(bold));
  assert.ok(!(await runCli(["latest", "--job", String(job)])).stdout.toString().includes(bold));
});

/** Runs an export to a file and samples the child's resident memory (VmRSS) as it goes: resolves to the peak in bytes. */
async function exportPeakRss(job, file) {
  const run = startCli(["export", "--job", String(job), "-o", file], { timeoutMs: 300_000 });
  run.child.stdin.end();
  let peak = 0;
  const sample = () => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${run.child.pid}/status`, "utf8"));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      // It has ended.
    }
  };
  const timer = setInterval(sample, 20);
  const { code, stderr } = await run.result;
  clearInterval(timer);
  assert.equal(code, 0, stderr);
  return peak;
}

test("`export` streams: the first point is written after a few requests, memory for 50,000 points stays near that for 5,000; Ctrl-C removes the temporary file", async () => {
  const small = takeJob();
  const big = takeJob();
  await seedMetrics(small, ["m0"], 0, 5000);
  // 50,000 points as 10 metrics of 5,000: the server reads a metric's whole history for every page.
  await seedMetrics(big, Array.from({ length: 10 }, (_, i) => `m${i}`), 0, 5000);
  const smallPeak = await exportPeakRss(small, path.join(tmp, "small.csv"));
  const bigPeak = await exportPeakRss(big, path.join(tmp, "big.csv"));
  const bigLines = fs.readFileSync(path.join(tmp, "big.csv"), "utf8").trimEnd().split("\n");
  assert.equal(bigLines.length, 50_001);
  // Node's own peak (~90-100 MB here, most of it before the first point) moves by several MB
  // from run to run with the collector's timing: the bound is loose; the order of writes and
  // reads below is the exact check that it streams.
  const grew = bigPeak - smallPeak;
  assert.ok(grew < 20 * 1024 * 1024, `peak RSS ${Math.round(smallPeak / 1e6)} MB for 5,000 points, ${Math.round(bigPeak / 1e6)} MB for 50,000`);

  // It writes as it reads: the first point is out after a few of the ~60 requests, not all.
  const proxy = await startCountingProxy(address);
  try {
    // The server takes ~1 s a page here, more on a loaded machine: a generous limit.
    const streamed = startCli(["export", "--job", String(big)], { env: { DIOPTRA_ADDRESS: proxy.address }, timeoutMs: 300_000 });
    streamed.child.stdin.end();
    await streamed.waitUntil((out) => out.split("\n").length > 2);
    const requestsAtFirstPoint = proxy.counts.requests;
    const { code, stdout, stderr } = await streamed.result;
    assert.equal(code, 0, stderr);
    assert.equal(stdout.toString().trimEnd().split("\n").length, 50_001);
    const requests = proxy.counts.requests;
    assert.ok(requestsAtFirstPoint * 4 < requests, `the first point came out after ${requestsAtFirstPoint} of ${requests} requests`);
  } finally {
    await proxy.close();
  }

  // Ctrl-C in the middle: exit 130, the temporary file removed, FILE never created.
  const target = path.join(tmp, "interrupted.csv");
  const run = startCli(["export", "--job", String(big), "-o", target]);
  run.child.stdin.end();
  const temp = path.join(tmp, `.interrupted.csv.${run.child.pid}.tmp`);
  await run.waitUntil(() => fs.existsSync(temp) && fs.statSync(temp).size > 0);
  run.child.kill("SIGINT");
  const { code, stderr } = await run.result;
  assert.equal(code, 130, stderr);
  assert.equal(fs.existsSync(temp), false, "the temporary file is removed");
  assert.equal(fs.existsSync(target), false);
});

test("`latest` and `history` in each format; `history --max-points` downsamples", async () => {
  const job = takeJob();
  await seedMetrics(job, ["loss"], 0, 200);
  await seedMetrics(job, ["acc"], 0, 504);
  const json = await runCli(["latest", "--job", String(job), "--format", "json"]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), [
    { jobId: job, name: "acc", value: seededValue(503) },
    { jobId: job, name: "loss", value: seededValue(199) },
  ]);
  const csv = await runCli(["latest", "--job", String(job), "--format", "csv"]);
  assert.deepEqual(await pythonCsv(csv.stdout.toString()), [
    ["jobId", "name", "value"],
    [String(job), "acc", String(seededValue(503))],
    [String(job), "loss", String(seededValue(199))],
  ]);
  const tableOut = await runCli(["latest", "--job", String(job)]);
  const rows = tableOut.stdout.toString().trimEnd().split("\n");
  assert.deepEqual(rows.map((r) => r.trim().split(/\s+/)), [
    ["job", "metric", "value"],
    [String(job), "acc", String(seededValue(503))],
    [String(job), "loss", String(seededValue(199))],
  ]);
  assert.equal(new Set(rows.map((r) => r.length)).size, 1, "aligned columns");

  const hist = await runCli(["history", "--job", String(job), "--metric", "loss", "--format", "jsonl"]);
  const points = hist.stdout.toString().trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(points.map((p) => p.step), Array.from({ length: 200 }, (_, i) => i));
  for (const p of points) assert.ok(Object.is(typeof p.value === "string" ? parseValue(p.value) : p.value, seededValue(p.step)));
  const thin = await runCli(["history", "--job", String(job), "--metric", "loss", "--format", "csv", "--max-points", "10"]);
  const [header, ...thinRows] = await pythonCsv(thin.stdout.toString());
  assert.deepEqual(header, HEADER);
  assert.ok(thinRows.length <= 10 && thinRows.length >= 3, `${thinRows.length} rows`);
  const steps = thinRows.map((r) => Number(r[2]));
  assert.deepEqual(steps, [...steps].sort((a, b) => a - b));
  assert.ok(steps[0] === 0 && steps.at(-1) === 199, "the first and last points are kept");
  for (const r of thinRows) assert.ok(Object.is(parseValue(r[3]), seededValue(Number(r[2]))), `step ${r[2]}`);
  const table = await runCli(["history", "--job", String(job), "--metric", "acc"]);
  assert.deepEqual(table.stdout.toString().trimEnd().split("\n").slice(501, 504).map((r) => r.trim().split(/\s+/).slice(0, 2)), [
    ["500", "nan"],
    ["501", "inf"],
    ["502", "-inf"],
  ]);
});

test("`jobs --experiment` lists its jobs and their metrics; `experiments` lists and searches experiments", async () => {
  const { id, jobIds } = seed.experiments.cli;
  await seedMetrics(jobIds[0], ["zeta"], 0, 3);
  const { code, stdout, stderr } = await runCli(["jobs", "--experiment", String(id), "--format", "json"]);
  assert.equal(code, 0, stderr);
  const jobs = JSON.parse(stdout);
  assert.deepEqual(jobs.map((j) => j.id), [...jobIds].sort((a, b) => a - b));
  assert.ok(jobs.find((j) => j.id === jobIds[0]).metrics.split(" ").includes("zeta"));
  const csv = await runCli(["jobs", "--experiment", String(id), "--format", "csv"]);
  assert.deepEqual((await pythonCsv(csv.stdout.toString()))[0], ["id", "status", "createdOn", "metrics"]);
  assert.ok(jobs.every((j) => j.status === "queued" && !Number.isNaN(Date.parse(j.createdOn))));

  const all = await runCli(["experiments", "--format", "json"]);
  assert.equal(all.code, 0, all.stderr);
  const names = JSON.parse(all.stdout).map((e) => `${e.id}:${e.name}`);
  for (const name of ["main", "pool", "many", "cli"]) assert.ok(names.includes(`${seed.experiments[name].id}:${name}`), names.join(" "));
  const found = await runCli(["experiments", "--search", "cli", "--format", "csv"]);
  assert.equal(found.code, 0, found.stderr);
  const [head, ...rows] = await pythonCsv(found.stdout.toString());
  assert.deepEqual(head, ["id", "name", "description"]);
  assert.deepEqual(rows.map((r) => r[1]), ["cli"]);
  const table = await runCli(["experiments"]);
  assert.match(table.stdout.toString(), /^\s*id  name  description\n(\s*\d+  \w+\n)+$/);
});

/** The fixed series of the plot snapshot: a decay with a NaN run and an infinity. */
const PLOT_SERIES = Array.from({ length: 60 }, (_, step) => (step >= 20 && step < 24 ? NaN : step === 40 ? Infinity : 1 + Math.cos(step / 6) * Math.exp(-step / 30)));

test("`plot` of a history with NaN: braille and --ascii output match the snapshots", async () => {
  const job = takeJob();
  const input = PLOT_SERIES.map((v, step) => `y=${Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v} step=${step}\n`).join("");
  const logged = await runCli(["log", "--job", String(job)], { input });
  assert.equal(logged.code, 0, logged.stderr);
  for (const [flags, file] of [
    [[], "cli-plot.txt"],
    [["--ascii"], "cli-plot-ascii.txt"],
  ]) {
    const { code, stdout, stderr } = await runCli(["plot", "--job", String(job), "--metric", "y", "--width", "30", "--height", "6", ...flags]);
    assert.equal(code, 0, stderr);
    const snapshot = fs.readFileSync(new URL(`./fixtures/${file}`, import.meta.url), "utf8").replace("JOB", String(job));
    assert.equal(stdout.toString(), snapshot, `plot ${flags.join(" ")}:\n${stdout}`);
  }
});

test("`tail` prints the points another process logs, then exits 130 on Ctrl-C", async () => {
  const job = takeJob();
  await seedMetrics(job, ["old"], 0, 5);
  const run = startCli(["tail", "--job", String(job), "--interval", "200ms", "--format", "jsonl"]);
  await run.waitUntil((_, err) => err.includes("watching"));
  await new Promise((r) => setTimeout(r, 500));
  const logged = await runCli(["log", "--job", String(job)], { input: "fresh=1.5 step=0\nfresh=nan step=1\nold=-inf step=7\n" });
  assert.equal(logged.code, 0, logged.stderr);
  const wanted = 3;
  await run.waitUntil((out) => out.trim().split("\n").filter(Boolean).length >= wanted);
  run.child.kill("SIGINT");
  const { code, stdout } = await run.result;
  assert.equal(code, 130);
  const seen = stdout.toString().trim().split("\n").map((l) => JSON.parse(l)).map((p) => `${p.name}@${p.step}=${p.value}`).sort();
  assert.deepEqual(seen, ["fresh@0=1.5", "fresh@1=nan", "old@7=-inf"], "only the new points, each once");
});

test("bad usage exits 2 and says what is allowed; a password flag is refused; a bad login exits 1", async () => {
  const cases = [
    [["log"], /--job ID is required/],
    [["latest"], /exactly one of --job ID and --experiment ID/],
    [["history", "--job", "3"], /--metric NAME is required/],
    [["export"], /exactly one of --job ID and --experiment ID/],
    [["tail"], /--job ID is required/],
    [["plot", "--job", "3"], /--metric NAME is required/],
    [["jobs"], /--experiment ID is required/],
    [["replay"], /--journal FILE is required/],
    [["latest", "--job", "abc"], /--job must be a positive integer id, not "abc"/],
    [["latest", "--job", "0"], /--job must be a positive integer id/],
    [["latest", "--job", "3", "--frobnicate"], /unknown option --frobnicate \(allowed: .*--format/],
    [["latest", "--job", "3", "--format", "xml"], /--format must be one of table, csv, json/],
    [["history", "--job", "--metric", "x"], /--job needs a value/],
    [["tail", "--job", "3", "--interval", "soon"], /--interval must be a duration/],
    [["frobnicate"], /unknown command "frobnicate" \(commands: log, latest/],
    [["latest", "--job", "3", "--password", "hunter2-not-it"], /a password is never taken from the command line/],
    [["latest", "--job", "3", "--password=hunter2-not-it"], /a password is never taken from the command line/],
    [["latest", "--job", "3"], /no password: set DIOPTRA_PASSWORD/, { DIOPTRA_PASSWORD: undefined }],
    [["latest", "--job", "3"], /no server address/, { DIOPTRA_ADDRESS: undefined }],
  ];
  for (const [args, message, env] of cases) {
    const { code, stdout, stderr } = await runCli(args, { env });
    assert.equal(code, 2, `${args.join(" ")}: exit ${code}\n${stderr}`);
    assert.match(stderr, message, args.join(" "));
    assert.equal(stdout.length, 0, args.join(" "));
    assert.ok(!stderr.includes("hunter2-not-it"), "a value given as a password is not repeated");
  }
  for (const command of ["log", "latest", "history", "export", "tail", "plot", "experiments", "jobs", "replay"]) {
    const { code, stdout } = await runCli([command, "--help"]);
    assert.equal(code, 0);
    assert.match(stdout.toString(), new RegExp(`^Usage: dioptra-metrics ${command}[\\s\\S]*Example`));
  }
  const wrong = await runCli(["latest", "--job", "3"], { env: { DIOPTRA_PASSWORD: "wrong-password-123" } });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /login refused for user "tester" at http:\/\/127\.0\.0\.1:\d+\/api\/v1 \(HTTP 401\)/);
  assert.ok(!wrong.stderr.includes("wrong-password-123"));
  // --password-stdin: the first line of stdin.
  // A job of the seeded server (a job that does not exist is a 404, like a write).
  const piped = await runCli(["latest", "--job", String(seed.experiments.cli.jobIds[0]), "--password-stdin", "--format", "json"], {
    env: { DIOPTRA_PASSWORD: undefined },
    input: `${process.env.DIOPTRA_PASSWORD}\n`,
  });
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(Array.isArray(JSON.parse(piped.stdout)));
  void address;
});
