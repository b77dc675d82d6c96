// Section 1 of bench/bench.mjs: reading a complete history of the real server, this package's
// getMetricHistory beside Dioptra's Python client (pageLength 1000, 100, 10) and the web UI's way
// (pageLength 100, following `next`, which loses points: see ../shared/dioptra-api.md).
import { best, fmtInt, fmtS, fmtX, median, table } from "./format.mjs";

/**
 * Seeds `job` with `knobs.points` points of "loss", reads them back by each approach,
 * interleaved, prints the table and the targets; resolves to `{ seed, history }` for the JSON.
 */
export async function historySection({ address, client, cookie, realFetch, python, value, requests, job, knobs, h: { target }, say }) {
  const { runs, py10Runs, py100Runs, points: total } = knobs;
  const results = {};
  console.log(`\n## 1. Reading a ${fmtInt(total)}-point history (job ${job}, metric "loss")`);
  {
    say(`seeding job ${job} with ${total} points through createLogger({ concurrency: 8 })`);
    const t0 = performance.now();
    const logger = client.jobs.createLogger(job, { concurrency: 8 });
    for (let step = 0; step < total; step++) logger.log({ loss: value(0, step) }, { step });
    await logger.close();
    const seedSec = (performance.now() - t0) / 1000;
    const { sent, failed } = logger.stats;
    if (sent !== total || failed !== 0) throw new Error(`seeding: logger stats ${JSON.stringify(logger.stats)}`);
    const probe = await client.jobs.getMetricsSnapshotsById(job, "loss", { pageLength: 1 });
    if (probe.totalNumResults !== total) throw new Error(`seeding: server holds ${probe.totalNumResults} points`);
    console.log(
      `seeded with createLogger({ concurrency: 8 }): ${fmtInt(total)} points in ${fmtS(seedSec)} s ` +
        `(${(total / seedSec).toFixed(1)} points/s)`,
    );
    results.seed = { points: total, seconds: seedSec };
  }

  const approaches = [
    { key: "ours", label: "dioptra-metrics getMetricHistory (pageLength 1000, concurrency 2)", runs: runs },
    { key: "py1000", label: "Python client, pageLength 1000, index = page number", runs: runs },
    { key: "py100", label: "Python client, pageLength 100, index = page number", runs: py100Runs },
    { key: "py10", label: "Python client, pageLength 10, index = page number", runs: py10Runs },
    { key: "webui", label: "web UI's way: pageLength 100, follow `next`", runs: runs },
  ];
  const hist = Object.fromEntries(approaches.map((a) => [a.key, { seconds: [], points: [], requests: [] }]));

  async function readOurs() {
    const before = requests();
    const t0 = performance.now();
    const pts = await client.jobs.getMetricHistory(job, "loss");
    const seconds = (performance.now() - t0) / 1000;
    for (let i = 0; i < pts.length; i++) {
      if (pts[i].step !== i) throw new Error(`getMetricHistory: point ${i} has step ${pts[i].step}`);
    }
    return { seconds, points: pts.length, requests: requests() - before };
  }

  async function readWebUi() {
    let url = `${address}/api/v1/jobs/${job}/metrics/loss/snapshots?index=0&pageLength=100`;
    let points = 0;
    let requests = 0;
    const t0 = performance.now();
    while (url && requests < 10_000) {
      const res = await realFetch(url, { headers: { Cookie: cookie } });
      requests++;
      if (!res.ok) throw new Error(`web UI read: HTTP ${res.status} for ${url}`);
      const page = await res.json();
      points += page.data.length;
      if (page.data.length === 0 || !page.next) break;
      url = new URL(page.next, address + "/").href;
    }
    return { seconds: (performance.now() - t0) / 1000, points, requests };
  }

  const readers = {
    ours: readOurs,
    webui: readWebUi,
    py1000: () => python("python_history.py", [job, "loss", 1000]),
    py100: () => python("python_history.py", [job, "loss", 100]),
    py10: () => python("python_history.py", [job, "loss", 10]),
  };

  // One untimed read by each quick approach first (connections, caches, the interpreter's imports).
  for (const key of ["ours", "webui", "py1000"]) await readers[key]();

  // Interleaved (run 1 of each, run 2 of each, ...) so a drift of the machine hits all alike.
  for (let run = 0; run < runs; run++) {
    for (const a of approaches) {
      if (run >= a.runs) continue;
      const r = await readers[a.key]();
      hist[a.key].seconds.push(r.seconds);
      hist[a.key].points.push(r.points);
      hist[a.key].requests.push(r.requests);
      say(`history run ${run + 1}/${a.runs} ${a.key}: ${r.points} points, ${r.requests} requests, ${fmtS(r.seconds)} s`);
    }
  }

  {
    const med = Object.fromEntries(approaches.map((a) => [a.key, median(hist[a.key].seconds)]));
    const rows = approaches.map((a) => {
      const h = hist[a.key];
      const pts = Math.min(...h.points);
      return [
        a.label,
        `${fmtInt(pts)} / ${fmtInt(total)}`,
        String(median(h.requests)),
        String(h.seconds.length),
        fmtS(med[a.key]),
        fmtS(best(h.seconds)),
        fmtX(med.py10 / med[a.key]),
        fmtX(med.py1000 / med[a.key]),
      ];
    });
    console.log();
    console.log(
      table(
        ["approach", "points got", "requests", "runs", "median s", "best s", "vs py L=10", "vs py L=1000"],
        rows,
        ["l", "r", "r", "r", "r", "r", "r", "r"],
      ),
    );
    console.log('("vs py" = that Python median / this median: how many times faster than it; medians throughout)');
    console.log();
    const oursPts = Math.min(...hist.ours.points);
    target(oursPts === total, `complete history: ${fmtInt(oursPts)} of ${fmtInt(total)} points, every run`);
    const x10 = med.py10 / med.ours;
    target(x10 >= 40, `at least 40x faster than Python pageLength 10: ${fmtX(x10)}`);
    const r1000 = med.ours / med.py1000;
    target(
      r1000 <= 1.15,
      `within 15% of Python pageLength 1000: ${fmtS(med.ours)} s vs ${fmtS(med.py1000)} s (ours = ${r1000.toFixed(2)} x Python, limit 1.15)`,
    );
    results.history = { job, points: total, approaches: hist };
  }
  return results;
}
