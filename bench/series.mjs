// The charts section of bench/bench.mjs (issue 12): `downsample` on 1,000,000 points beside
// tsdownsample 0.1.5.1 and a plain-JS LTTB; `getMetricSeries` of a 50,000-point history with
// maxPoints 2000 beside `getMetricHistory`; and what `watchMetrics` costs per poll (requests,
// time) on a job with 20 metrics and 50,000 points, quiet and with one metric grown, in each
// detect mode.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

import { DioptraClient, downsample } from "dioptra-metrics";
import { seedMetrics } from "../pkg-tests/support/seeded.mjs";
import { median } from "./format.mjs";

const REF = fileURLToPath(new URL("./series_ref.py", import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A textbook LTTB in plain JS (what a page would hand-roll), for comparison. */
export function plainLttb(x, y, threshold) {
  const n = x.length;
  if (threshold >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const out = new Uint32Array(threshold);
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  out[0] = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const avgStart = Math.floor((i + 1) * every) + 1;
    const avgEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = avgStart; j < avgEnd; j++) {
      avgX += x[j];
      avgY += y[j];
    }
    avgX /= avgEnd - avgStart;
    avgY /= avgEnd - avgStart;
    const start = Math.floor(i * every) + 1;
    const end = avgStart;
    let maxArea = -1;
    let next = start;
    for (let j = start; j < end; j++) {
      const area = Math.abs((x[a] - avgX) * (y[j] - y[a]) - (x[a] - x[j]) * (avgY - y[a]));
      if (area > maxArea) {
        maxArea = area;
        next = j;
      }
    }
    out[i + 1] = next;
    a = next;
  }
  out[threshold - 1] = n - 1;
  return out;
}

/** Times `fn` `runs` times (after one warm-up): the median in ms. */
function timeMs(fn, runs) {
  fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Runs the section; resolves to its figures. */
export async function seriesSection({ address, username, password, takeJobs, venvPython, requests, knobs, h, say }) {
  const { table, target, fmtInt } = h;
  const results = {};
  const client = new DioptraClient(address);
  await client.auth.login(username, password);

  // ---- downsample: 1,000,000 points to 2,000
  {
    const n = knobs.downsamplePoints;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    let walk = 0;
    const y = Float64Array.from({ length: n }, () => (walk += Math.random() - 0.5));
    const runs = knobs.runs;
    const pkgMinmax = timeMs(() => downsample(x, y, 2000), runs);
    const pkgLttb = timeMs(() => downsample(x, y, 2000, { method: "lttb" }), runs);
    const plain = timeMs(() => plainLttb(x, y, 2000), runs);
    const ref = JSON.parse(execFileSync(venvPython, [REF, String(n), "2000", String(runs)]).toString());
    const refMinmax = median(ref.minmaxLttbMs);
    const refLttb = median(ref.lttbMs);
    const row = (label, ms, vs) => [label, ms.toFixed(2), (ms / vs).toFixed(2) + "x"];
    console.log(`\n## downsample ${fmtInt(n)} points to 2,000 (median of ${runs}; the package's time includes copying both columns into wasm memory)\n`);
    console.log(
      table(
        ["", "ms", "vs tsdownsample (same method)"],
        [
          row('`downsample(x, y, 2000)` ("minmax-lttb")', pkgMinmax, refMinmax),
          row("tsdownsample MinMaxLTTB (Python, numpy arrays, in-process)", refMinmax, refMinmax),
          row('`downsample(x, y, 2000, { method: "lttb" })`', pkgLttb, refLttb),
          row("tsdownsample LTTB", refLttb, refLttb),
          row("plain-JS LTTB (textbook)", plain, refLttb),
        ],
        ["l", "r", "r"],
      ),
    );
    results.downsample = { points: n, pkgMinmaxMs: pkgMinmax, pkgLttbMs: pkgLttb, plainLttbMs: plain, tsdownsampleMinmaxMs: refMinmax, tsdownsampleLttbMs: refLttb };
  }

  // ---- getMetricSeries of a 50,000-point history, maxPoints 2000, beside getMetricHistory
  {
    const n = knobs.seriesPoints;
    const [job] = takeJobs(1);
    say(`seeding ${fmtInt(n)} points (straight into the database)`);
    await seedMetrics(job, ["loss"], 0, n);
    say(`reading a ${fmtInt(n)}-point history twice (Dioptra reads the whole history for each page: minutes)`);
    let t = performance.now();
    const history = await client.jobs.getMetricHistory(job, "loss");
    const historyS = (performance.now() - t) / 1000;
    t = performance.now();
    const series = await client.jobs.getMetricSeries(job, "loss", { maxPoints: 2000 });
    const seriesS = (performance.now() - t) / 1000;
    if (history.length !== n || series.total !== n) throw new Error(`read ${history.length} / ${series.total} of ${n} points`);
    // The downsampling alone, on the same columns, in-process (what maxPoints adds to the read).
    const steps = Float64Array.from(history, (p) => p.step);
    const values = Float64Array.from(history, (p) => p.value);
    const addedMs = timeMs(() => downsample(steps, values, 2000), knobs.runs);
    console.log(`\n## a ${fmtInt(n)}-point history (one run each)\n`);
    console.log(
      table(
        ["", "points returned", "seconds"],
        [
          ["`getMetricHistory`", fmtInt(history.length), historyS.toFixed(2)],
          ["`getMetricSeries({ maxPoints: 2000 })`", fmtInt(series.steps.length), seriesS.toFixed(2)],
          ["  of which the downsampling (measured alone)", "", (addedMs / 1000).toFixed(4)],
        ],
        ["l", "r", "r"],
      ),
    );
    target(addedMs / 1000 < 0.05 * historyS, `downsampling adds under 5% to a ${fmtInt(n)}-point read (${((100 * addedMs) / 1000 / historyS).toFixed(3)}%)`);
    results.series = { points: n, historyS, seriesS, downsampleMs: addedMs, kept: series.steps.length };
  }

  // ---- watchMetrics: requests and time per poll, 20 metrics, 50,000 points
  {
    const names = Array.from({ length: knobs.watchMetrics }, (_, i) => `m${String(i).padStart(2, "0")}`);
    const per = Math.ceil(knobs.watchPoints / names.length);
    const [job] = takeJobs(1);
    say(`seeding ${names.length} metrics x ${fmtInt(per)} points`);
    await seedMetrics(job, names, 0, per);
    const rows = [];
    for (const detect of ["tail", "latest"]) {
      const polls = [];
      let last = requests();
      const controller = new AbortController();
      const watch = client.jobs.watchMetrics(job, {
        detect,
        intervalMs: 500,
        signal: controller.signal,
        onPoll: (p) => {
          polls.push({ ...p, requests: requests() - last });
          last = requests();
        },
      });
      const consume = (async () => {
        for await (const point of watch) void point;
      })();
      const waitPolls = async (k) => {
        const until = polls.length + k;
        while (polls.length < until) await sleep(20);
      };
      await waitPolls(1); // the first poll reads every history
      const first = polls.at(-1);
      await waitPolls(3);
      const quiet = polls.slice(-3);
      const grown = [];
      for (let k = 0; k < 3; k++) {
        const before = polls.length;
        // Values new to each run ("latest" cannot see a point equal to the latest value); the
        // write itself is not the watch's request.
        const r0 = requests();
        await client.jobs.appendMetricById(job, names[k], k + (detect === "latest" ? 100.5 : 0.5), { step: per + k + (detect === "latest" ? 100 : 0) });
        last += requests() - r0;
        // The next poll to start after the write sees it (the one under way may not).
        await waitPolls(before === polls.length ? 2 : 1);
        grown.push(polls.find((p, i) => i >= before && p.points > 0) ?? polls.at(-1));
      }
      controller.abort();
      await consume;
      const med = (list, key) => median(list.map((p) => p[key]));
      rows.push([`"${detect}", first poll (reads every history)`, fmtInt(first.requests), (first.ms / 1000).toFixed(2)]);
      rows.push([`"${detect}", nothing changed`, String(med(quiet, "requests")), (med(quiet, "ms") / 1000).toFixed(3)]);
      rows.push([`"${detect}", one metric grew by a point`, String(med(grown, "requests")), (med(grown, "ms") / 1000).toFixed(3)]);
      results[`watch_${detect}`] = { first, quiet, grown };
    }
    console.log(`\n## watchMetrics on a job with ${names.length} metrics x ${fmtInt(per)} points (time per poll = server time: one gunicorn worker)\n`);
    console.log(table(["poll", "requests", "seconds"], rows, ["l", "r", "r"]));
  }
  await client.auth.logout().catch(() => {});
  return results;
}
