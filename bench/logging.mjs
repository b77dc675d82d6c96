// Section 2 of bench/bench.mjs: logging to the real server, this package's logger beside plain
// fetch (4 requests in flight) and Dioptra's Python client, each run on a fresh job; what the
// server stored is checked afterwards.
import { best, fmtInt, fmtS, fmtX, median, table } from "./format.mjs";

/**
 * Logs `knobs.steps` steps of `knobs.names` into one of `jobs` per approach and run, prints the
 * rates and the targets; resolves to the figures for the JSON.
 */
export async function loggingSection({ address, client, cookie, realFetch, python, value, jobs: logJobs, knobs, h: { target }, say }) {
  const { runs, steps, names } = knobs;
  const total = steps * names.length;
  let results;
  console.log(
    `\n## 2. Logging ${fmtInt(total)} points (${fmtInt(steps)} steps x ${names.length} metrics, a fresh job each run)`,
  );

  const writers = [
    { key: "logger", label: "dioptra-metrics createLogger({ concurrency: 4 }) + close()" },
    { key: "fetch", label: "plain fetch, 4 requests in flight" },
    { key: "python", label: "Python client append_metric_by_id, sequential" },
  ];
  const logRes = Object.fromEntries(writers.map((w) => [w.key, { seconds: [], points: [], jobs: [] }]));

  async function writeLogger(job) {
    const logger = client.jobs.createLogger(job, { concurrency: 4 });
    const t0 = performance.now();
    for (let step = 0; step < steps; step++) {
      const m = {};
      names.forEach((name, k) => (m[name] = value(k, step)));
      logger.log(m, { step });
    }
    await logger.close();
    const seconds = (performance.now() - t0) / 1000;
    if (logger.stats.failed !== 0) throw new Error(`logger: ${logger.stats.failed} points failed`);
    return { seconds, points: logger.stats.sent };
  }

  async function writeFetch(job) {
    const url = `${address}/api/v1/jobs/${job}/metrics`;
    const headers = { "Content-Type": "application/json", Cookie: cookie };
    let next = 0;
    let points = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const step = Math.floor(i / names.length);
        const k = i % names.length;
        const body = JSON.stringify({ name: names[k], value: value(k, step), step });
        const res = await realFetch(url, { method: "POST", headers, body });
        if (!res.ok) throw new Error(`plain fetch: HTTP ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        points++;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 4 }, worker));
    return { seconds: (performance.now() - t0) / 1000, points };
  }

  const writeFns = {
    logger: writeLogger,
    fetch: writeFetch,
    python: (job) => python("python_append.py", [job, steps, ...names]),
  };

  {
    const queue = [...logJobs];
    for (let run = 0; run < runs; run++) {
      for (const w of writers) {
        const job = queue.shift();
        const r = await writeFns[w.key](job);
        logRes[w.key].seconds.push(r.seconds);
        logRes[w.key].points.push(r.points);
        logRes[w.key].jobs.push(job);
        say(`logging run ${run + 1}/${runs} ${w.key} (job ${job}): ${r.points} points in ${fmtS(r.seconds)} s`);
      }
    }
  }

  // Check what the server holds (not timed): every point, and the last step's values.
  for (const w of writers) {
    for (const job of logRes[w.key].jobs) {
      for (const [k, name] of names.entries()) {
        const page = await client.jobs.getMetricsSnapshotsById(job, name, { pageLength: 1 });
        if (page.totalNumResults !== steps) {
          throw new Error(`${w.key}: job ${job} holds ${page.totalNumResults} points of ${name}, not ${steps}`);
        }
      }
      const latest = await client.jobs.getMetricsById(job);
      for (const [k, name] of names.entries()) {
        const got = latest.find((m) => m.name === name)?.value;
        if (got !== value(k, steps - 1)) throw new Error(`${w.key}: job ${job} latest ${name} is ${got}`);
      }
    }
  }

  {
    const rate = (key) => total / median(logRes[key].seconds);
    const rows = writers.map((w) => {
      const h = logRes[w.key];
      return [
        w.label,
        fmtInt(Math.min(...h.points)),
        fmtS(median(h.seconds)),
        fmtS(best(h.seconds)),
        rate(w.key).toFixed(1),
        (total / best(h.seconds)).toFixed(1),
        fmtX(rate(w.key) / rate("fetch")),
        fmtX(rate(w.key) / rate("python")),
      ];
    });
    console.log();
    console.log(
      table(
        ["approach", "points", "median s", "best s", "median points/s", "best points/s", "vs fetch", "vs Python"],
        rows,
        ["l", "r", "r", "r", "r", "r", "r", "r"],
      ),
    );
    console.log('("vs" = this median rate / that median rate)');
    console.log();
    const vsFetch = rate("logger") / rate("fetch");
    target(vsFetch >= 0.9, `logger >= 90% of the plain fetch rate: ${(vsFetch * 100).toFixed(1)}%`);
    const vsPy = rate("logger") / rate("python");
    target(vsPy >= 1.2, `logger >= 1.2x the Python client: ${fmtX(vsPy)}`);
    results = { steps, names, points: total, approaches: logRes };
  }
  return results;
}
