// The journal section of bench/bench.mjs (issue 9): what `createLogger(job, { journal })` costs
// in points/s, in each sync mode beside no journal, on a fast stub (a child process answering
// each metric POST with {name, value}: pkg-tests/support/metrics-echo.mjs) and on the run's real
// Dioptra; and how large the journal file grows, through a logger on the stub and through the
// journal's own protocol in-process (`measureJournalProtocol`, shared with
// bench/journal-measure.mjs).

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { DioptraClient } from "dioptra-metrics";
import { median } from "./format.mjs";

const require = createRequire(import.meta.url);
// The journal's Node storage as the package ships it (CommonJS; dist/node.cjs requires it on first use).
const { openJournalFile } = require("../dist/journal-file.cjs");
const { WasmJournal } = require(fileURLToPath(new URL("../dist/wasm/dioptra_metrics.cjs", import.meta.url)));

const NAMES = ["loss", "acc"];
const MODES = [null, "none", "interval", "always"];
const modeLabel = (mode) => (mode === null ? "no journal" : `journal, sync "${mode}"${mode === "interval" ? " (default)" : ""}`);
const valueOf = (k, step) => (k + 1) / (step + 1);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const KiB = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * The journal's protocol without a logger or HTTP: `total` points logged one by one into a file
 * (sync "none"), the oldest acknowledged once `inFlight` are out (one ack record each), compacted
 * whenever the journal says so. Resolves to the file's largest and final size, the points it
 * still holds, the compactions and the cost per point (log + ack + compaction, in us).
 * @param {{ total?: number, inFlight?: number, dir?: string, baseUrl?: string }} options
 */
export function measureJournalProtocol({ total = 100_000, inFlight = 4, dir, baseUrl = "http://127.0.0.1:5000/api/v1" } = {}) {
  const own = dir === undefined;
  const where = own ? mkdtempSync(join(tmpdir(), "journal-protocol-")) : dir;
  const file = openJournalFile(join(where, "acked.journal"), { sync: "none" });
  try {
    const journal = WasmJournal.open(file.bytes, 7, baseUrl);
    file.rewrite(journal.takeRewrite());
    let maxSize = 0;
    let compactions = 0;
    const out = [];
    const compactIfDue = () => {
      if (journal.shouldCompact()) {
        file.rewrite(journal.compact());
        compactions += 1;
      }
    };
    const t0 = Date.now();
    const start = performance.now();
    for (let i = 0; i < total; i += 1) {
      out.push(journal.log("loss", i / 7, i, t0 + i));
      file.append(journal.takeBytes());
      if (out.length > inFlight) {
        journal.ack([out.shift()]);
        file.append(journal.takeBytes());
      }
      compactIfDue();
      maxSize = Math.max(maxSize, file.size);
    }
    journal.ack(out.splice(0));
    file.append(journal.takeBytes());
    compactIfDue();
    const usPerPoint = ((performance.now() - start) * 1000) / total;
    return { total, inFlight, maxSize, endSize: statSync(file.path).size, held: journal.length, compactions, usPerPoint };
  } finally {
    file.remove();
    if (own) rmSync(where, { recursive: true, force: true });
  }
}

/** Starts the metric echo in a child process (so that its work is not on the logger's thread). */
export async function startEchoChild(port) {
  const echoUrl = new URL("../pkg-tests/support/metrics-echo.mjs", import.meta.url).href;
  const code =
    `const { startMetricsEcho } = await import(${JSON.stringify(echoUrl)});` +
    `const echo = await startMetricsEcho(${port});` +
    `process.stdout.write("ready\\n");` +
    `process.on("SIGTERM", () => { process.stdout.write(JSON.stringify({ requests: echo.requests }) + "\\n"); echo.close().then(() => process.exit(0)); });`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  await new Promise((resolve, reject) => {
    child.stdout.on("data", (c) => {
      out += c;
      if (out.includes("ready\n")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`metrics echo exited (${code}) before it was ready`)));
  });
  return {
    address: `http://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** One logger run: `steps` x NAMES points logged at once, then close(); throws unless all were sent. */
async function logRun(client, job, steps, mode, dir, tag) {
  const path = join(dir, `${tag}.journal`);
  const logger = client.jobs.createLogger(job, mode === null ? {} : { journal: { path, sync: mode } });
  const t0 = performance.now();
  for (let step = 0; step < steps; step++) logger.log({ loss: valueOf(0, step), acc: valueOf(1, step) }, { step });
  await logger.close();
  const seconds = (performance.now() - t0) / 1000;
  const points = steps * NAMES.length;
  const { sent, failed } = logger.stats;
  if (sent !== points || failed !== 0) throw new Error(`${modeLabel(mode)}: logger stats ${JSON.stringify(logger.stats)}`);
  if (mode !== null && existsSync(path)) throw new Error(`${modeLabel(mode)}: the journal ${path} is still there after close()`);
  return { seconds, rate: points / seconds };
}

/** Every mode `runs` times, interleaved; `jobFor(run, i)` the job of each run. */
async function rates(client, steps, runs, jobFor, dir, where, say) {
  const res = MODES.map(() => []);
  for (let run = 0; run < runs; run++) {
    for (const [i, mode] of MODES.entries()) {
      const r = await logRun(client, jobFor(run, i), steps, mode, dir, `${where}-${run}-${i}`);
      res[i].push(r.rate);
      say(`journal ${where} run ${run + 1}/${runs}, ${modeLabel(mode)}: ${(steps * NAMES.length)} points, ${r.rate.toFixed(0)} points/s`);
    }
  }
  return MODES.map((mode, i) => ({ mode, rates: res[i], median: median(res[i]), min: Math.min(...res[i]), max: Math.max(...res[i]) }));
}

function rateTable(rows, points, runs, h) {
  const base = rows[0].median;
  console.log(
    h.table(
      ["logger", "points", "runs", "median points/s", "min–max points/s", "vs no journal"],
      rows.map((r) => [
        modeLabel(r.mode),
        h.fmtInt(points),
        String(runs),
        h.fmtInt(Math.round(r.median)),
        `${h.fmtInt(Math.round(r.min))}–${h.fmtInt(Math.round(r.max))}`,
        `${((r.median / base) * 100).toFixed(1)}%`,
      ]),
      ["l", "r", "r", "r", "r", "r"],
    ),
  );
}

/**
 * `total` points logged through a logger with a journal (sync "interval") on the stub, `chunk`
 * at a time, waiting while more than `chunk` are unsent (a producer the server keeps up with);
 * the journal file's size is sampled after every chunk and every ms of waiting.
 */
export async function sizeRun(client, total, chunk, dir, concurrency = 4) {
  const path = join(dir, "size.journal");
  const logger = client.jobs.createLogger(1, { concurrency, journal: { path, sync: "interval" } });
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, statSync(path).size);
    } catch {}
  };
  const steps = total / NAMES.length;
  const t0 = performance.now();
  for (let step = 0; step < steps; ) {
    for (const end = Math.min(steps, step + chunk / NAMES.length); step < end; step++) {
      logger.log({ loss: valueOf(0, step), acc: valueOf(1, step) }, { step });
    }
    sample();
    while (logger.stats.queued + logger.stats.inFlight > chunk) {
      await sleep(1);
      sample();
    }
  }
  await logger.flush();
  sample();
  const acked = statSync(path).size;
  const stats = { ...logger.stats };
  await logger.close();
  const seconds = (performance.now() - t0) / 1000;
  if (stats.sent !== total || stats.failed !== 0) throw new Error(`size run: logger stats ${JSON.stringify(stats)}`);
  return { total, chunk, concurrency, acked, peak, removed: !existsSync(path), journaled: stats.journaled, seconds };
}

/**
 * Section "journal". knobs: { stubPoints, stubRuns, realPoints, realRuns, sizePoints }.
 * Resolves to the figures for the bench's JSON.
 */
export async function journalSection({ address, username, password, takeJobs, freePort, knobs, h, say }) {
  const { stubPoints, stubRuns, realPoints, realRuns, sizePoints } = knobs;
  const stubSteps = Math.ceil(stubPoints / NAMES.length);
  const realSteps = Math.ceil(realPoints / NAMES.length);
  const dir = mkdtempSync(join(tmpdir(), "bench-journal-"));
  const out = { dir };
  const echo = await startEchoChild(await freePort());
  try {
    console.log(
      `\n## 6. The durable journal (issue 9): journal files in ${dir}; ${stubRuns} run(s) of each, modes interleaved, ` +
        `${NAMES.length} metrics per log() call, default logger options, logged at once then close()`,
    );
    console.log(`\n### ${h.fmtInt(stubSteps * NAMES.length)} points on a fast stub (a child process answering each POST with {name, value})\n`);
    const stubClient = new DioptraClient(echo.address);
    // Warm the wasm, the connection and the file system once, unmeasured.
    await logRun(stubClient, 1, 500, "interval", dir, "warm");
    const stub = await rates(stubClient, stubSteps, stubRuns, () => 1, dir, "stub", say);
    rateTable(stub, stubSteps * NAMES.length, stubRuns, h);
    out.stub = { points: stubSteps * NAMES.length, runs: stubRuns, modes: stub };

    console.log(`\n### ${h.fmtInt(realSteps * NAMES.length)} points on the real Dioptra (a fresh job each run)\n`);
    const realClient = new DioptraClient(address);
    await realClient.auth.login(username, password);
    const jobs = takeJobs(realRuns * MODES.length);
    const real = await rates(realClient, realSteps, realRuns, (run, i) => jobs[run * MODES.length + i], dir, "real", say);
    rateTable(real, realSteps * NAMES.length, realRuns, h);
    await realClient.auth.logout().catch(() => {});
    out.real = { points: realSteps * NAMES.length, runs: realRuns, modes: real, jobs };

    console.log(`\n### The journal file's size over ${h.fmtInt(sizePoints)} logged and acknowledged points\n`);
    const size = await sizeRun(stubClient, sizePoints, 1000, dir);
    const protocol = measureJournalProtocol({ total: sizePoints, dir });
    console.log(
      h.table(
        ["run", "largest file", "once all acknowledged", "removed by close()"],
        [
          [
            `logger on the stub, sync "interval", ${h.fmtInt(size.chunk)} points logged at a time (${h.fmtS(size.seconds)} s)`,
            KiB(size.peak),
            KiB(size.acked),
            size.removed ? "yes" : "NO",
          ],
          [
            `the journal's protocol alone (no HTTP), ${protocol.inFlight} in flight, ${protocol.compactions} compactions`,
            KiB(protocol.maxSize),
            KiB(protocol.endSize),
            "-",
          ],
        ],
        ["l", "r", "r", "l"],
      ),
    );
    out.size = { logger: size, protocol };
    console.log();
    const interval = stub.find((r) => r.mode === "interval").median / stub[0].median;
    h.target(interval >= 0.9, `default journal mode ("interval") within 10% of no journal on the stub: ${(interval * 100).toFixed(1)}%`);
    const worst = Math.max(size.acked, protocol.endSize);
    h.target(worst < 64 * 1024, `journal under 64 KiB once ${h.fmtInt(sizePoints)} points are acknowledged (compacted): ${KiB(worst)}`);
    if (!size.removed) throw new Error("the journal file outlived close() with everything acknowledged");
    return out;
  } finally {
    await echo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
