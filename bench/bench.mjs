#!/usr/bin/env node
// Benchmarks of dioptra-metrics against a REAL local Dioptra 1.2.2, side by side with Dioptra's
// own Python client and with plain fetch, in one run against one server.
//
//   npm run bench                       (builds, starts a server, runs this)
//   node scripts/with-dioptra.mjs -- node bench/bench.mjs    (with an existing dist/)
//
// It measures and prints; it asserts nothing about speed: each target gets a PASS/MISS line and
// the exit status is 0 unless something broke (a wrong answer, a server error).
//
// Environment (besides what scripts/with-dioptra.mjs sets):
//   BENCH_RUNS            runs of each measurement (default 3; median and best are reported)
//   BENCH_PY10_RUNS       runs of the slow Python pageLength=10 read (default 1, see below)
//   BENCH_PY100_RUNS      runs of the Python pageLength=100 read (default 1; no target uses it)
//   BENCH_HISTORY_POINTS  points of the history read (default 5000)
//   BENCH_LOG_STEPS       steps of the logging benchmark, 2 metrics each (default 1000)
//   BENCH_JSON            where the figures are written as JSON (default /tmp/dioptra-metrics-bench.json)
//   BENCH_SECTIONS        which sections run, comma-separated (default all:
//                         history,logging,sizes,restart,outage,journal,weight,series,cli), e.g. BENCH_SECTIONS=journal
//   BENCH_WEIGHT_*        the knobs of section "weight" (bench/weight.mjs, which needs no server)
//   BENCH_DOWNSAMPLE_POINTS  points downsampled to 2,000 in section "series" (default 1000000)
//   BENCH_SERIES_POINTS   points of the getMetricSeries / getMetricHistory read (default 50000: about
//                         2 s a page on Dioptra 1.2.2, so ~100 s a read)
//   BENCH_WATCH_METRICS, BENCH_WATCH_POINTS  the watched job (default 20 metrics, 50000 points in all)
//   BENCH_RESTART_STEPS   steps logged through the kill-and-restart, 2 metrics each (default 1000)
//   BENCH_RESTART_DOWN_MS how long the server is killed for before its restart (default 5000)
//   BENCH_OUTAGE_POINTS   points queued against the dead server (default 20000)
//   BENCH_OUTAGE_MS       how long the server stays dead (default 60000)
//   BENCH_JOURNAL_POINTS  points per journal run on the stub (default 4000: the logger does ~2,000/s there, and
//                         4 modes x 3 runs x 4000 take ~30 s; BENCH_JOURNAL_RUNS runs, default 3)
//   BENCH_JOURNAL_REAL_POINTS  points per journal run on the real server (default 1000;
//                         BENCH_JOURNAL_REAL_RUNS runs, default 1)
//   BENCH_JOURNAL_SIZE_POINTS  points logged and acknowledged for the journal's size (default 100000)
//   BENCH_CLI_METRICS, BENCH_CLI_POINTS  the cli section's export: metrics x points each (default 10 x 5000)
//   BENCH_CLI_RUNS        runs of each cli measurement (default 1)
//   BENCH_CLI_LOG_STEPS   JSON lines (2 metrics each) piped into `dioptra-metrics log` (default 1000)

import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

// The package as a user gets it (the package's self-reference: its "exports", node condition).
import { DioptraClient } from "dioptra-metrics";
import { fmtInt, fmtS, table } from "./format.mjs";
import { historySection } from "./history.mjs";
import { loggingSection } from "./logging.mjs";
import { faultSections } from "./faults.mjs";
import { journalSection } from "./journal.mjs";
import { weightSection } from "./weight.mjs";
import { seriesSection } from "./series.mjs";
import { cliSection } from "./cli.mjs";
import { freePortOutsideEphemeralRange } from "../scripts/dioptra-server.mjs";

const startedAt = performance.now();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// The sizes of the build under test, read now (before anything can rebuild dist/).
const sizes = (() => {
  const dist = path.join(root, "dist");
  const files = ["index.js", "index.cjs", "api.js", "api.cjs"];
  for (const f of fs.readdirSync(path.join(dist, "wasm")).sort()) files.push(`wasm/${f}`);
  return files.map((f) => {
    const buf = fs.readFileSync(path.join(dist, f));
    return { file: f, raw: buf.length, gzip: zlib.gzipSync(buf, { level: 9 }).length };
  });
})();

for (const k of ["DIOPTRA_ADDRESS", "DIOPTRA_USERNAME", "DIOPTRA_PASSWORD", "DIOPTRA_SEED", "DIOPTRA_VENV_PYTHON"]) {
  if (!process.env[k]) {
    console.error(`bench: ${k} is not set: run \`npm run bench\` (or node scripts/with-dioptra.mjs -- node bench/bench.mjs)`);
    process.exit(2);
  }
}
const address = process.env.DIOPTRA_ADDRESS.replace(/\/+$/, "");
const username = process.env.DIOPTRA_USERNAME;
const password = process.env.DIOPTRA_PASSWORD;
const seed = JSON.parse(process.env.DIOPTRA_SEED);
const venvPython = process.env.DIOPTRA_VENV_PYTHON;

function intEnv(name, dflt, min) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return dflt;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`bench: ${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}
const RUNS = intEnv("BENCH_RUNS", 3, 1);
// One Python read at pageLength 10 costs one to three minutes (501 requests, each of which makes
// the server read the whole history), one at pageLength 100 about 20 s: one run of each by default.
// The rest is bound by the server's ~50-100 POSTs a second: 5,000 points to seed the history and
// 3 x 3 x 2,000 logged points (that part alone takes 3 to 6 minutes). Measured on a shared 2-CPU
// machine: 8 to 11 minutes for sections 1-3, BENCH_RUNS=1 roughly halves that; sections 4 and 5
// (a 5 s restart, a 60 s outage) add about 2.5 minutes whatever BENCH_RUNS says, section 6
// (journal, bench/journal.mjs) about 100 s.
const PY10_RUNS = Math.min(intEnv("BENCH_PY10_RUNS", 1, 1), RUNS);
const PY100_RUNS = Math.min(intEnv("BENCH_PY100_RUNS", 1, 1), RUNS);
const HISTORY_POINTS = intEnv("BENCH_HISTORY_POINTS", 5000, 1);
const LOG_STEPS = intEnv("BENCH_LOG_STEPS", 1000, 1);
const LOG_NAMES = ["loss", "acc"];
const LOG_POINTS = LOG_STEPS * LOG_NAMES.length;
const SECTIONS = ["history", "logging", "sizes", "restart", "outage", "journal", "weight", "series", "cli"];
const chosen = (process.env.BENCH_SECTIONS || SECTIONS.join(",")).split(",").map((s) => s.trim()).filter(Boolean);
for (const s of chosen) {
  if (!SECTIONS.includes(s)) {
    console.error(`bench: unknown section ${JSON.stringify(s)} in BENCH_SECTIONS (known: ${SECTIONS.join(", ")})`);
    process.exit(2);
  }
}
const want = (section) => chosen.includes(section);
const RESTART_STEPS = intEnv("BENCH_RESTART_STEPS", 1000, 1);
const RESTART_DOWN_MS = intEnv("BENCH_RESTART_DOWN_MS", 5000, 0);
const OUTAGE_POINTS = intEnv("BENCH_OUTAGE_POINTS", 20000, 2);
const OUTAGE_MS = intEnv("BENCH_OUTAGE_MS", 60000, 1000);
const JOURNAL_POINTS = intEnv("BENCH_JOURNAL_POINTS", 4000, 2);
const JOURNAL_RUNS = intEnv("BENCH_JOURNAL_RUNS", 3, 1);
const JOURNAL_REAL_POINTS = intEnv("BENCH_JOURNAL_REAL_POINTS", 1000, 2);
const JOURNAL_REAL_RUNS = intEnv("BENCH_JOURNAL_REAL_RUNS", 1, 1);
const JOURNAL_SIZE_POINTS = intEnv("BENCH_JOURNAL_SIZE_POINTS", 100000, 2);
const CLI_METRICS = intEnv("BENCH_CLI_METRICS", 10, 1);
const CLI_POINTS = intEnv("BENCH_CLI_POINTS", 5000, 1);
const CLI_RUNS = intEnv("BENCH_CLI_RUNS", 1, 1);
const CLI_LOG_STEPS = intEnv("BENCH_CLI_LOG_STEPS", 1000, 1);
const JSON_OUT = process.env.BENCH_JSON || path.join(os.tmpdir(), "dioptra-metrics-bench.json");

// Count the package's requests: its wasm glue calls the global `fetch` at call time.
const realFetch = globalThis.fetch;
let packageRequests = 0;
globalThis.fetch = function countedFetch(...args) {
  packageRequests++;
  return realFetch.apply(this, args);
};

// ---------------------------------------------------------------------------------------------
// helpers

const say = (msg) => process.stderr.write(`bench: ${msg}\n`);
const targets = [];
function target(ok, text) {
  targets.push({ ok, text });
  console.log(`${ok ? "PASS" : "MISS"}  ${text}`);
}

/** Job ids from the END of the seeded pool (tests take from the start), claimed in the run's alloc dir. */
function takeJobs(n) {
  const pool = [...(seed.experiments?.pool?.jobIds ?? [])].reverse();
  const dir = process.env.DIOPTRA_JOB_ALLOC_DIR;
  const out = [];
  for (const id of pool) {
    if (out.length === n) break;
    if (dir) {
      try {
        fs.mkdirSync(path.join(dir, `job-${id}`));
      } catch (e) {
        if (e.code === "EEXIST") continue;
        throw e;
      }
    }
    out.push(id);
  }
  if (out.length < n) throw new Error(`need ${n} free jobs of the "pool" experiment, found ${out.length}`);
  return out;
}

/** Logs in with plain fetch; resolves to the Cookie header to send back. */
async function rawLogin() {
  const res = await realFetch(`${address}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`raw login: HTTP ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  const cookies = res.headers.getSetCookie().map((c) => c.split(";", 1)[0]);
  if (!cookies.length) throw new Error("raw login: no Set-Cookie in the answer");
  return cookies.join("; ");
}

/** Runs a bench/*.py script with the Dioptra venv's python; resolves to its JSON line. */
function python(script, args) {
  const env = { ...process.env, DIOPTRA_ADDRESS: address, DIOPTRA_USERNAME: username, DIOPTRA_PASSWORD: password };
  return new Promise((resolve, reject) => {
    execFile(venvPython, [path.join(root, "bench", script), ...args.map(String)], { env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${script} ${args.join(" ")} failed (${err.code ?? err.message}):\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split("\n").pop()));
      } catch (e) {
        reject(new Error(`${script}: cannot parse its output ${JSON.stringify(stdout)}: ${e.message}`));
      }
    });
  });
}

const value = (k, step) => (k + 1) / (step + 1); // keep in step with bench/python_append.py

// ---------------------------------------------------------------------------------------------
// setup

const health = await (await realFetch(`${address}/health`)).json().catch(() => ({}));
const [histJob, ...logJobs] = takeJobs(1 + 3 * RUNS);
const client = new DioptraClient(address);
await client.auth.login(username, password);
const cookie = await rawLogin();
await client.jobs.getMetricsById(histJob); // warm the wasm and the connection

console.log(`# dioptra-metrics benchmarks`);
console.log(
  `Dioptra ${health.version ?? "?"} at ${address} (gunicorn, 1 worker, SQLite); node ${process.version}; ` +
    `${os.cpus().length} CPU ${os.cpus()[0]?.model?.trim() ?? ""}; ${new Date().toISOString()}`,
);
console.log(
  `runs per measurement: ${RUNS} (Python pageLength 10: ${PY10_RUNS}, pageLength 100: ${PY100_RUNS}); ` +
    `approaches interleaved; times in seconds`,
);
const results = {
  date: new Date().toISOString(),
  dioptra: health.version ?? null,
  node: process.version,
  cpus: os.cpus().length,
  runs: RUNS,
  py10Runs: PY10_RUNS,
  py100Runs: PY100_RUNS,
};

// ---------------------------------------------------------------------------------------------
// 1. complete history read (bench/history.mjs), 2. logging throughput (bench/logging.mjs)

const shared = { address, client, cookie, realFetch, python, value, requests: () => packageRequests, h: { target }, say };
if (want("history")) {
  Object.assign(results, await historySection({ ...shared, job: histJob, knobs: { runs: RUNS, py10Runs: PY10_RUNS, py100Runs: PY100_RUNS, points: HISTORY_POINTS } }));
}
if (want("logging")) {
  results.logging = await loggingSection({ ...shared, jobs: logJobs, knobs: { runs: RUNS, steps: LOG_STEPS, names: LOG_NAMES } });
}

// ---------------------------------------------------------------------------------------------
// 3. shipped sizes

if (want("sizes")) {
  console.log(`\n## 3. Shipped sizes (dist/, as loaded when the bench started)`);
  const sum = (list, k) => list.reduce((n, s) => n + s[k], 0);
  // What one environment loads: a browser/bundler ESM user, or Node.
  const esm = sizes.filter((s) => ["index.js", "api.js", "wasm/dioptra_metrics.js", "wasm/dioptra_metrics_bg.wasm"].includes(s.file));
  const cjs = sizes.filter((s) => ["index.cjs", "api.cjs", "wasm/dioptra_metrics.cjs", "wasm/dioptra_metrics_bg.wasm"].includes(s.file));
  const rows = sizes.map((s) => [`dist/${s.file}`, fmtInt(s.raw), fmtInt(s.gzip)]);
  rows.push(["total (all of the above)", fmtInt(sum(sizes, "raw")), fmtInt(sum(sizes, "gzip"))]);
  rows.push(["  loaded by a browser / bundler (ESM)", fmtInt(sum(esm, "raw")), fmtInt(sum(esm, "gzip"))]);
  rows.push(["  loaded by Node (node condition)", fmtInt(sum(cjs, "raw")), fmtInt(sum(cjs, "gzip"))]);
  console.log(table(["file", "bytes", "gzip -9 bytes"], rows, ["l", "r", "r"]));
  results.sizes = sizes;
}

// ---------------------------------------------------------------------------------------------
// 4. logging through a kill-and-restart, 5. a long outage (bench/faults.mjs)

Object.assign(
  results,
  await faultSections({
    want,
    reader: client,
    username,
    password,
    takeJobs,
    requests: () => packageRequests,
    knobs: { restartSteps: RESTART_STEPS, restartDownMs: RESTART_DOWN_MS, outagePoints: OUTAGE_POINTS, outageMs: OUTAGE_MS },
    h: { table, target, fmtS, fmtInt },
  }),
);

// ---------------------------------------------------------------------------------------------
// 6. the durable journal's cost and size (bench/journal.mjs)

if (want("journal")) {
  results.journal = await journalSection({
    address,
    username,
    password,
    takeJobs,
    freePort: freePortOutsideEphemeralRange,
    knobs: {
      stubPoints: JOURNAL_POINTS,
      stubRuns: JOURNAL_RUNS,
      realPoints: JOURNAL_REAL_POINTS,
      realRuns: JOURNAL_REAL_RUNS,
      sizePoints: JOURNAL_SIZE_POINTS,
    },
    h: { table, target, fmtS, fmtInt },
    say,
  });
}

// ---------------------------------------------------------------------------------------------
// 7. weight, start-up, CPU per call beside a plain-JS client, wasm memory (bench/weight.mjs)

if (want("weight")) {
  results.weight = await weightSection({ h: { table, target }, say });
}

// 8. charts: downsample, getMetricSeries, watchMetrics (bench/series.mjs)

if (want("series")) {
  results.series = await seriesSection({
    address,
    username,
    password,
    takeJobs,
    venvPython: process.env.DIOPTRA_VENV_PYTHON,
    requests: () => packageRequests,
    knobs: {
      runs: RUNS,
      downsamplePoints: intEnv("BENCH_DOWNSAMPLE_POINTS", 1_000_000, 3),
      seriesPoints: intEnv("BENCH_SERIES_POINTS", 50_000, 3),
      watchMetrics: intEnv("BENCH_WATCH_METRICS", 20, 1),
      watchPoints: intEnv("BENCH_WATCH_POINTS", 50_000, 1),
    },
    h: { table, target, fmtS, fmtInt },
    say,
  });
}

// ---------------------------------------------------------------------------------------------
// 9. the command line (bench/cli.mjs)

if (want("cli")) {
  results.cli = await cliSection({
    address,
    username,
    password,
    venvPython,
    takeJobs,
    knobs: { metrics: CLI_METRICS, pointsPerMetric: CLI_POINTS, runs: CLI_RUNS, logSteps: CLI_LOG_STEPS },
    h: { table, target, fmtS, fmtInt },
    say,
  });
}

// ---------------------------------------------------------------------------------------------

const missed = targets.filter((t) => !t.ok);
console.log(`\n## Targets: ${targets.length - missed.length} PASS, ${missed.length} MISS`);
for (const t of targets) console.log(`${t.ok ? "PASS" : "MISS"}  ${t.text}`);
results.targets = targets;
results.benchSeconds = (performance.now() - startedAt) / 1000;
console.log(`\n(the bench took ${results.benchSeconds.toFixed(0)} s, server start not included)`);
try {
  fs.writeFileSync(JSON_OUT, JSON.stringify(results, null, 2) + "\n");
  console.log(`\n(figures written to ${JSON_OUT})`);
} catch (e) {
  say(`cannot write ${JSON_OUT}: ${e.message}`);
}

await client.auth.logout().catch(() => {});
