// The cli section of bench/bench.mjs (issue 13): `dioptra-metrics export` of a 50,000-point job
// (time and peak RSS of the process) beside Dioptra's Python client paging the same with
// page_length 1000 and writing CSV (bench/python_export.py); and `dioptra-metrics log`
// throughput from stdin beside the library's logger in-process, on the run's real Dioptra.
// Both processes' memory is sampled the same way: VmHWM (peak resident set) from /proc.

import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { DioptraClient } from "dioptra-metrics";
import { median } from "./format.mjs";

const BIN = fileURLToPath(new URL("../bin/dioptra-metrics.mjs", import.meta.url));
const PY_EXPORT = fileURLToPath(new URL("./python_export.py", import.meta.url));
const SEEDER = fileURLToPath(new URL("../scripts/seed_metrics.py", import.meta.url));
const MB = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * Runs `cmd args` with `env` and `input` on stdin; resolves to `{ seconds, peakRss, stdout,
 * stderr }` (wall time from spawn to exit; the peak resident set read from /proc every 10 ms).
 * Rejects when it exits non-zero.
 */
function measured(cmd, args, { env, input } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let peakRss = 0;
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) peakRss = Math.max(peakRss, Number(m[1]) * 1024);
      } catch {
        // It has ended.
      }
    };
    const timer = setInterval(sample, 10);
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
    child.on("close", (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      if (code === 0) resolve({ seconds, peakRss, stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${stderr.slice(-2000)}`));
    });
  });
}

/** Seeds `steps` points of each of `names` in `job` straight into the database (scripts/seed_metrics.py). */
function seed(venvPython, job, names, steps) {
  const args = [SEEDER, "--db", process.env.DIOPTRA_DB_PATH, "--job", String(job), "--names", names.join(","), "--steps", `0:${steps}`];
  return new Promise((resolve, reject) => execFile(venvPython, args, (err, out, errText) => (err ? reject(new Error(errText)) : resolve(out))));
}

/**
 * The section. `knobs`: `{ metrics, pointsPerMetric, runs, logSteps }`; `h`: bench.mjs's table,
 * target, fmtS, fmtInt.
 */
export async function cliSection({ address, username, password, venvPython, takeJobs, knobs, h, say }) {
  const { metrics, pointsPerMetric, runs, logSteps } = knobs;
  const total = metrics * pointsPerMetric;
  const env = { DIOPTRA_ADDRESS: address, DIOPTRA_USERNAME: username, DIOPTRA_PASSWORD: password };
  const [exportJob, cliLogJob, libLogJob] = takeJobs(3);
  const names = Array.from({ length: metrics }, (_, i) => `m${i}`);
  const dir = mkdtempSync(join(tmpdir(), "bench-cli-"));
  const results = { exportJob, points: total, export: { cli: [], python: [] }, log: { cli: [], library: [] } };
  try {
    console.log(`\n## 8. The command line: export of ${h.fmtInt(total)} points, log from stdin (bench/cli.mjs)`);
    say(`seeding job ${exportJob} with ${metrics} metrics x ${pointsPerMetric} points (scripts/seed_metrics.py)`);
    await seed(venvPython, exportJob, names, pointsPerMetric);

    for (let run = 0; run < runs; run++) {
      say(`export run ${run + 1}/${runs}: dioptra-metrics export`);
      const cliFile = join(dir, "cli.csv");
      const cli = await measured(process.execPath, [BIN, "export", "--job", String(exportJob), "-o", cliFile], { env });
      const cliLines = readFileSync(cliFile, "utf8").split("\n").length - 2;
      if (cliLines !== total) throw new Error(`dioptra-metrics export wrote ${cliLines} points of ${total}`);
      results.export.cli.push({ seconds: cli.seconds, peakRss: cli.peakRss, bytes: statSync(cliFile).size });
      say(`export run ${run + 1}/${runs}: Python client, page_length 1000, csv module`);
      const pyFile = join(dir, "py.csv");
      const py = await measured(venvPython, [PY_EXPORT, String(exportJob), pyFile, ...names], { env });
      const pyPoints = JSON.parse(py.stdout).points;
      if (pyPoints !== total) throw new Error(`python_export.py read ${pyPoints} points of ${total}`);
      results.export.python.push({ seconds: py.seconds, inner: JSON.parse(py.stdout).seconds, peakRss: py.peakRss, bytes: statSync(pyFile).size });
    }
    const med = (list, key) => median(list.map((r) => r[key]));
    console.log(
      h.table(
        ["export of " + h.fmtInt(total) + " points to CSV", "seconds (median)", "points/s", "peak RSS (median)", "file"],
        [
          ["`dioptra-metrics export -o` (process start to exit)", h.fmtS(med(results.export.cli, "seconds")), h.fmtInt(Math.round(total / med(results.export.cli, "seconds"))), MB(med(results.export.cli, "peakRss")), MB(results.export.cli[0].bytes)],
          ["Python client, page_length 1000 + csv (process start to exit)", h.fmtS(med(results.export.python, "seconds")), h.fmtInt(Math.round(total / med(results.export.python, "seconds"))), MB(med(results.export.python, "peakRss")), MB(results.export.python[0].bytes)],
        ],
        ["l", "r", "r", "r", "r"],
      ),
    );
    h.target(med(results.export.cli, "seconds") <= med(results.export.python, "seconds"), `export at least as fast as the Python client: ${h.fmtS(med(results.export.cli, "seconds"))} s vs ${h.fmtS(med(results.export.python, "seconds"))} s`);

    // log throughput: the same lines through the CLI, and the same points through the library.
    const points = logSteps * 2;
    const lines = Array.from({ length: logSteps }, (_, step) => `${JSON.stringify({ loss: 1 / (step + 1), acc: step / logSteps, step })}\n`).join("");
    for (let run = 0; run < runs; run++) {
      say(`log run ${run + 1}/${runs}: ${h.fmtInt(points)} points through dioptra-metrics log`);
      const cli = await measured(process.execPath, [BIN, "log", "--job", String(cliLogJob)], { env, input: lines });
      if (!cli.stderr.includes(`${points} point(s) read, ${points} stored`)) throw new Error(`dioptra-metrics log: ${cli.stderr}`);
      results.log.cli.push({ seconds: cli.seconds, peakRss: cli.peakRss });
      say(`log run ${run + 1}/${runs}: ${h.fmtInt(points)} points through createLogger in-process`);
      const client = new DioptraClient(address);
      const t0 = performance.now();
      await client.auth.login(username, password);
      const logger = client.jobs.createLogger(libLogJob, { step: "auto" });
      for (let step = 0; step < logSteps; step++) logger.log({ loss: 1 / (step + 1), acc: step / logSteps }, { step });
      await logger.close();
      results.log.library.push({ seconds: (performance.now() - t0) / 1000 });
      if (logger.stats.sent !== points) throw new Error(`library logger: ${JSON.stringify(logger.stats)}`);
    }
    console.log(
      h.table(
        [`logging ${h.fmtInt(points)} points (${h.fmtInt(logSteps)} JSON lines of 2 metrics)`, "seconds (median)", "points/s"],
        [
          ["`dioptra-metrics log` from stdin (process start to exit, login included)", h.fmtS(med(results.log.cli, "seconds")), h.fmtInt(Math.round(points / med(results.log.cli, "seconds")))],
          ["`createLogger()` in-process, login to close()", h.fmtS(med(results.log.library, "seconds")), h.fmtInt(Math.round(points / med(results.log.library, "seconds")))],
        ],
        ["l", "r", "r"],
      ),
    );
    const ratio = med(results.log.library, "seconds") / med(results.log.cli, "seconds");
    h.target(ratio >= 0.8, `log from stdin within 20% of the library's logger: ${(ratio * 100).toFixed(0)}% of its rate`);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
