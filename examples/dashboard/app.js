// The dashboard: only the package (dist/) and uPlot. Pick an experiment, see its jobs and their
// latest metrics, open a job: one live chart per metric (downsampled to the chart's width, NaN
// as gaps, ±Infinity marked), all metrics on one chart, one metric compared across the
// experiment's jobs, and the job's data as CSV. `window.dashboard` exposes the charts.
import { DioptraClient, downsample, toCSV } from "/dist/index.js";
import uPlot from "/vendor/uplot/uPlot.esm.js";

const params = new URLSearchParams(location.search);
/** Ms between polls of the open job (`?interval=`). */
const INTERVAL_MS = Number(params.get("interval") ?? 2000);
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const client = new DioptraClient(); // the page's origin: /api is proxied to Dioptra
const $ = (sel) => document.querySelector(sel);
const status = (text) => ($("#status").textContent = text);

/** What the page shows, for scripts and tests: charts by name and the open job's full columns. */
const dashboard = { charts: new Map(), allChart: null, compareChart: null, series: new Map(), job: null, experiment: null, polls: 0 };
window.dashboard = dashboard;
let watching = null; // the AbortController of the open job's watch

/** A chart's plot width in CSS px. */
const widthOf = (el) => Math.max(200, Math.floor(el.clientWidth - 10));

/**
 * uPlot data for one metric, downsampled to `width` points: NaN → null (a gap), ±Infinity →
 * null in the line and a marker at the top / bottom of the finite range.
 */
function chartData(s, width) {
  const kept = downsample(s.steps, s.values, Math.max(3, width));
  const x = Array.from(kept, (i) => s.steps[i]);
  const raw = Array.from(kept, (i) => s.values[i]);
  const finite = raw.filter(Number.isFinite);
  const top = finite.length ? Math.max(...finite) : 1;
  const bottom = finite.length ? Math.min(...finite) : 0;
  const line = raw.map((v) => (Number.isFinite(v) ? v : null));
  const marks = raw.map((v) => (v === Infinity ? top : v === -Infinity ? bottom : null));
  return [x, line, marks];
}

/** A uPlot chart of `series` (data from chartData or aligned columns) in a new box. */
function makeChart(title, labels, data, { wide = false } = {}) {
  const box = document.createElement("div");
  box.className = `chart${wide ? " wide" : ""}`;
  $("#charts").append(box);
  const width = widthOf(box);
  const series = [{ label: "step" }];
  labels.forEach((label, k) => {
    if (label === "±inf") series.push({ label, stroke: "#000", paths: () => null, points: { show: true, size: 7, fill: "#f0a000" } });
    else series.push({ label, stroke: COLORS[k % COLORS.length], width: 1.5, spanGaps: false, points: { show: false } });
  });
  const chart = new uPlot({ title, width, height: 220, scales: { x: { time: false } }, series }, data, box);
  chart.box = box;
  return chart;
}

/** Redraws a metric's chart from its full columns. */
function redraw(name) {
  const chart = dashboard.charts.get(name);
  chart.setData(chartData(dashboard.series.get(name), widthOf(chart.box)));
}

/** The open job's metrics aligned on the union of their steps (for the all-metrics chart). */
function allData(width) {
  const names = [...dashboard.series.keys()];
  const parts = names.map((n) => chartData(dashboard.series.get(n), Math.max(3, Math.floor(width / names.length))));
  const steps = [...new Set(parts.flatMap((p) => p[0]))].sort((a, b) => a - b);
  const at = new Map(steps.map((s, i) => [s, i]));
  const cols = parts.map((p) => {
    // undefined (no point of this metric at that step) is drawn over; null (a NaN) is a gap.
    const col = new Array(steps.length).fill(undefined);
    p[0].forEach((s, i) => (col[at.get(s)] = p[1][i]));
    return col;
  });
  return { names, data: [steps, ...cols] };
}

/** Redraws the charts whose data changed, at most every 100 ms. */
const dirty = new Set();
let redrawTimer = null;
function scheduleRedraw(name) {
  dirty.add(name);
  redrawTimer ??= setTimeout(() => {
    redrawTimer = null;
    dirty.forEach(redraw);
    dirty.clear();
    if (dashboard.allChart) dashboard.allChart.setData(allData(widthOf(dashboard.allChart.box)).data);
    dashboard.redraws = (dashboard.redraws ?? 0) + 1;
  }, 100);
}

/** A metric's growing columns (capacity doubles), with a step → row index. */
function newColumns(name) {
  return { name, n: 0, cap: { steps: new Float64Array(1024), values: new Float64Array(1024), timestamps: new Float64Array(1024) }, index: new Map(), steps: new Float64Array(0), values: new Float64Array(0), timestamps: new Float64Array(0), total: 0 };
}

/** Adds a watched point to a metric's columns (an overwrite replaces its step's value). */
function addPoint(p) {
  let s = dashboard.series.get(p.name);
  if (!s) {
    s = newColumns(p.name);
    dashboard.series.set(p.name, s);
    dashboard.charts.set(p.name, makeChart(p.name, [p.name, "±inf"], [[], [], []]));
  }
  const at = s.index.get(p.step);
  if (at !== undefined) {
    s.cap.values[at] = p.value;
    s.cap.timestamps[at] = p.timestamp.getTime();
  } else {
    if (s.n === s.cap.steps.length) {
      for (const key of ["steps", "values", "timestamps"]) {
        const grown = new Float64Array(s.n * 2);
        grown.set(s.cap[key]);
        s.cap[key] = grown;
      }
    }
    const inOrder = s.n === 0 || s.cap.steps[s.n - 1] < p.step;
    s.cap.steps[s.n] = p.step;
    s.cap.values[s.n] = p.value;
    s.cap.timestamps[s.n] = p.timestamp.getTime();
    s.index.set(p.step, s.n);
    s.n += 1;
    if (!inOrder) sortColumns(s);
  }
  for (const key of ["steps", "values", "timestamps"]) s[key] = s.cap[key].subarray(0, s.n);
  s.total = s.n;
  scheduleRedraw(p.name);
}

/** Sorts a metric's columns by step. */
function sortColumns(s) {
  const order = Array.from({ length: s.n }, (_, i) => i).sort((a, b) => s.cap.steps[a] - s.cap.steps[b]);
  for (const key of ["steps", "values", "timestamps"]) {
    const sorted = new Float64Array(s.cap[key].length);
    order.forEach((from, to) => (sorted[to] = s.cap[key][from]));
    s.cap[key] = sorted;
  }
  s.index = new Map(Array.from(s.cap.steps.subarray(0, s.n), (step, i) => [step, i]));
}

/** Draws the comparison of `name` across the experiment's jobs. */
async function drawCompare(name) {
  dashboard.compareChart?.destroy();
  dashboard.compareChart?.box.remove();
  dashboard.compareChart = null;
  if (!name) return;
  const box = $("#charts");
  const cmp = await client.experiments.compareMetric(dashboard.experiment, name, { maxPoints: widthOf(box) });
  const data = [Array.from(cmp.steps), ...cmp.jobs.map((j) => Array.from(j.values, (v, i) => (j.present[i] && Number.isFinite(v) ? v : null)))];
  dashboard.compareChart = makeChart(`${name} across jobs`, cmp.jobs.map((j) => `job ${j.jobId}`), data, { wide: true });
  for (const s of dashboard.compareChart.series.slice(1)) s.spanGaps = true; // jobs with fewer points stay lines
}

/** When every metric of the open job is drawn: the all-metrics chart and the compare list. */
function jobReady() {
  const names = [...dashboard.series.keys()].sort();
  dirty.forEach(redraw);
  dirty.clear();
  if (names.length > 1) {
    const { names: labels, data } = allData(widthOf($("#charts")));
    dashboard.allChart = makeChart("all metrics", labels, data, { wide: true });
  }
  $("#compare-metric").replaceChildren(new Option("choose a metric…", ""), ...names.map((n) => new Option(n, n)));
  status(`job ${dashboard.job}: ${names.length} metrics, live every ${INTERVAL_MS} ms`);
  dashboard.ready = true;
}

/**
 * Opens a job: one watch from the start reads each history once (its first poll), then
 * yields each point stored after it; charts redraw as points come.
 */
async function openJob(jobId) {
  watching?.abort();
  for (const c of [...dashboard.charts.values(), dashboard.allChart, dashboard.compareChart]) c?.destroy();
  $("#charts").replaceChildren();
  Object.assign(dashboard, { charts: new Map(), allChart: null, compareChart: null, series: new Map(), job: jobId, ready: false });
  document.querySelectorAll("tr.job").forEach((tr) => tr.classList.toggle("open", Number(tr.dataset.id) === jobId));
  $("#job").classList.remove("hidden");
  $("#job-title").textContent = `Job ${jobId}`;
  status(`reading job ${jobId}…`);
  const controller = new AbortController();
  watching = controller;
  let owed = 0; // points of the first poll not consumed yet
  let first = true;
  const watch = client.jobs.watchMetrics(jobId, {
    fromStart: true,
    intervalMs: INTERVAL_MS,
    signal: controller.signal,
    onPoll: ({ points }) => {
      dashboard.polls += 1;
      if (first) {
        first = false;
        owed = points;
        if (points === 0) queueMicrotask(jobReady);
      }
    },
  });
  try {
    for await (const point of watch) {
      if (watching !== controller) break;
      addPoint(point);
      if (owed > 0 && --owed === 0) jobReady();
    }
  } catch (e) {
    if (watching === controller) status(`watch stopped: ${e.message}`);
  }
}

/** Lists an experiment's jobs with their latest metrics. */
async function openExperiment(id) {
  dashboard.experiment = id;
  const [jobs, metrics] = await Promise.all([client.experiments.getJobs(id), client.experiments.getAllMetrics(id)]);
  const latest = new Map(metrics.map((j) => [j.id, j.metrics]));
  const fmt = (v) => (Number.isFinite(v) ? Number(v.toPrecision(4)) : String(v));
  const rows = jobs.map((job) => {
    const tr = document.createElement("tr");
    tr.className = "job";
    tr.dataset.id = job.id;
    const cells = [job.id, job.status, job.createdOn.toISOString().slice(0, 19).replace("T", " "),
      (latest.get(job.id) ?? []).map((m) => `${m.name}=${fmt(m.value)}`).join("  ")];
    tr.append(...cells.map((c) => Object.assign(document.createElement("td"), { textContent: c })));
    tr.addEventListener("click", () => openJob(job.id).catch((e) => status(e.message)));
    return tr;
  });
  $("#jobs tbody").replaceChildren(...rows);
  status(`${jobs.length} jobs`);
}

$("#login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  try {
    await client.auth.login(form.get("username"), form.get("password"));
    $("#login").classList.add("hidden");
    $("#main").classList.remove("hidden");
    status("logged in");
  } catch (err) {
    status(`login failed: ${err.message}`);
  }
});

$("#find").addEventListener("submit", async (e) => {
  e.preventDefault();
  const search = new FormData(e.target).get("search").trim();
  const found = await client.experiments.list(search ? { search: `name:${search}` } : {});
  const select = $("#experiment");
  select.replaceChildren(new Option(`${found.length} experiment(s)`, ""), ...found.map((x) => new Option(`${x.name} (#${x.id})`, x.id)));
  if (found.length === 1) {
    select.value = String(found[0].id);
    await openExperiment(found[0].id);
  }
});
$("#experiment").addEventListener("change", (e) => e.target.value && openExperiment(Number(e.target.value)).catch((err) => status(err.message)));
$("#compare-metric").addEventListener("change", (e) => drawCompare(e.target.value).catch((err) => status(err.message)));
$("#download").addEventListener("click", () => {
  const csv = toCSV([...dashboard.series.values()].map((s) => ({ ...s, jobId: dashboard.job })));
  const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: `job-${dashboard.job}-metrics.csv` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
});
window.dashboardLoaded = true;
