// The fault sections of bench/bench.mjs (issue 8): logging through a kill-and-restart of the
// real Dioptra, and a long outage with many points queued. They reuse the test harness:
// pkg-tests/support/restartable-dioptra.mjs (a second gunicorn on the run's database that is
// SIGKILLed and restarted on its port), pkg-tests/fixtures/outage-child.mjs (a Node process
// measuring its own requests and CPU time) and pkg-tests/support/metrics-echo.mjs.

import { DioptraClient } from "dioptra-metrics";
import { freePortOutsideEphemeralRange } from "../scripts/dioptra-server.mjs";
import { startMetricsEcho } from "../pkg-tests/support/metrics-echo.mjs";
import { startNode } from "../pkg-tests/support/node-child.mjs";
import { pointsAt, valueOf } from "../pkg-tests/support/points.mjs";
import { startRestartableDioptra } from "../pkg-tests/support/restartable-dioptra.mjs";

const NAMES = ["loss", "accuracy"];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many of `steps` x NAMES points `reader` (a client of the run's server) finds stored on `job` with their values. */
async function storedRight(reader, job, steps) {
  let right = 0;
  for (const name of NAMES) {
    const history = await reader.jobs.getMetricHistory(job, name);
    const seen = new Set();
    for (const p of history) {
      if (p.step >= 0 && p.step < steps && !seen.has(p.step) && Object.is(p.value, valueOf(name, p.step))) right += 1;
      seen.add(p.step);
    }
  }
  return right;
}

/**
 * Section "restart": `steps` x 2 points logged at once with a default logger, with and without
 * a SIGKILL of the server `downMs` long (3 s after the start), its restart on the same port
 * included. Prints a table and PASS/MISS lines; returns the figures.
 * @param {{ reader: DioptraClient, username: string, password: string, jobs: number[],
 *   steps: number, downMs: number, requests: () => number, h: object }} ctx
 */
export async function benchRestart({ reader, username, password, jobs, steps, downMs, requests, h }) {
  const server = await startRestartableDioptra();
  try {
    const client = new DioptraClient(server.address);
    await client.auth.login(username, password);
    const points = steps * NAMES.length;
    const runs = [];
    for (const [i, restart] of [false, true].entries()) {
      const job = jobs[i];
      let failed = 0;
      const logger = client.jobs.createLogger(job, { onError: () => (failed += 1) });
      const requests0 = requests();
      const t0 = performance.now();
      for (let step = 0; step < steps; step++) logger.log(pointsAt(NAMES, step), { step });
      let unreachableSeconds = 0;
      if (restart) {
        await sleep(3000);
        await server.kill();
        const down = performance.now();
        await sleep(downMs);
        await server.start();
        unreachableSeconds = (performance.now() - down) / 1000;
      }
      const closeError = await logger.close().then(
        () => null,
        (err) => err,
      );
      const seconds = (performance.now() - t0) / 1000;
      const stored = await storedRight(reader, job, steps);
      runs.push({
        restart,
        job,
        points,
        seconds,
        rate: points / seconds,
        lost: points - stored,
        failed,
        requests: requests() - requests0,
        unreachableSeconds,
        closeError: closeError ? String(closeError.message).slice(0, 200) : null,
      });
    }
    const rows = runs.map((r) => [
      r.restart ? `SIGKILL 3 s in, restarted after ${downMs / 1000} s` : "no restart",
      h.fmtInt(r.points),
      h.fmtS(r.seconds),
      r.rate.toFixed(1),
      r.restart ? h.fmtS(r.unreachableSeconds) : "-",
      h.fmtInt(r.lost),
      h.fmtInt(r.failed),
      h.fmtInt(r.requests),
    ]);
    console.log(
      h.table(
        ["run", "points", "seconds", "points/s", "unreachable s", "points lost", "reported failed", "requests"],
        rows,
        ["l", "r", "r", "r", "r", "r", "r", "r"],
      ),
    );
    const [calm, restarted] = runs;
    if (restarted.closeError) console.log(`close() through the restart rejected: ${restarted.closeError}`);
    console.log();
    h.target(restarted.lost === 0, `no point lost through a ${downMs / 1000} s kill-and-restart: ${h.fmtInt(restarted.lost)} of ${h.fmtInt(points)} lost`);
    const share = restarted.rate / calm.rate;
    h.target(share >= 0.5, `points/s through the restart >= 50% of the rate without one: ${(share * 100).toFixed(1)}%`);
    return { steps, names: NAMES, downMs, runs };
  } finally {
    await server.stop();
  }
}

/**
 * Section "outage": `points` points queued against a dead port for `outageMs` by a default
 * logger in a child process (its requests and CPU time measured there), then a fast stand-in
 * for Dioptra's metric write comes up on that port and the queue drains.
 * @param {{ points: number, outageMs: number, h: object }} ctx
 */
export async function benchOutage({ points, outageMs, h }) {
  const steps = Math.ceil(points / NAMES.length);
  const total = steps * NAMES.length;
  const port = await freePortOutsideEphemeralRange();
  const job = 7;
  const run = startNode(
    "fixtures/outage-child.mjs",
    { ADDRESS: `http://127.0.0.1:${port}`, JOB: String(job), STEPS: String(steps), OUTAGE_MS: String(outageMs) },
    { timeoutMs: outageMs + 300_000 },
  );
  let echo;
  try {
    const outage = await run.firstLine((l) => l.phase === "outage");
    echo = await startMetricsEcho(port);
    const done = await run.firstLine((l) => l.phase === "done");
    await run.exited;
    let right = 0;
    for (const name of NAMES) {
      for (let step = 0; step < steps; step++) {
        const values = echo.received.get(`${job} ${name} ${step}`) ?? [];
        const special = { nan: NaN, inf: Infinity, "-inf": -Infinity, NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };
        const v = typeof values.at(-1) === "string" ? special[values.at(-1)] : values.at(-1);
        if (values.length >= 1 && Object.is(v, valueOf(name, step))) right += 1;
      }
    }
    const lost = total - right;
    const perMinute = (outage.requests / outage.seconds) * 60;
    const rows = [
      ["requests during the outage", h.fmtInt(outage.requests)],
      ["  per minute", perMinute.toFixed(1)],
      ["CPU seconds during the outage", outage.cpuSeconds.toFixed(2)],
      ["CPU seconds logging the points (before it)", outage.loggingCpuSeconds.toFixed(2)],
      ["points given up during the outage", h.fmtInt(outage.errors)],
      ["seconds from the server's return to close() settled", h.fmtS(done.drainSeconds)],
      ["requests after the server's return", h.fmtInt(done.drainRequests)],
      ["points lost in the end", h.fmtInt(lost)],
    ];
    console.log(h.table(["measure", "value"], rows, ["l", "r"]));
    if (done.closeError) console.log(`close() rejected: ${done.closeError.message.slice(0, 300)} (${h.fmtInt(done.closeError.messageLength)} characters)`);
    console.log();
    const maxRequests = Math.ceil(60 * Math.max(1, outageMs / 60_000));
    h.target(outage.requests <= maxRequests, `at most ${maxRequests} requests in a ${outageMs / 1000} s outage with ${h.fmtInt(total)} points queued: ${h.fmtInt(outage.requests)}`);
    h.target(outage.cpuSeconds <= 1, `at most 1 CPU second during the outage: ${outage.cpuSeconds.toFixed(2)} s`);
    h.target(lost === 0, `every queued point delivered once the server is back: ${h.fmtInt(lost)} of ${h.fmtInt(total)} lost`);
    return { points: total, outageMs, outage, done, lost };
  } finally {
    run.child.kill("SIGKILL");
    await echo?.close();
  }
}

/**
 * Runs the sections of `want` among "restart" (section 4) and "outage" (section 5), with their
 * headings; resolves to `{ restart?, outage? }` for the bench's JSON.
 */
export async function faultSections({ want, reader, username, password, takeJobs, requests, knobs, h }) {
  const out = {};
  const { restartSteps, restartDownMs, outagePoints, outageMs } = knobs;
  if (want("restart")) {
    console.log(
      `\n## 4. Logging ${h.fmtInt(restartSteps * NAMES.length)} points through a ${restartDownMs / 1000} s kill-and-restart ` +
        `(default logger, a second gunicorn on the run's database, SIGKILLed and restarted on its port)`,
    );
    const jobs = takeJobs(2);
    out.restart = await benchRestart({ reader, username, password, jobs, steps: restartSteps, downMs: restartDownMs, requests, h });
  }
  if (want("outage")) {
    console.log(
      `\n## 5. ${h.fmtInt(outagePoints)} points queued against a dead server for ${outageMs / 1000} s ` +
        `(default logger in a child process; then a fast stand-in for the metric write comes up on the port)`,
    );
    out.outage = await benchOutage({ points: outagePoints, outageMs, h });
  }
  return out;
}
