// Chart-ready series: a metric's complete history as columns (Float64Arrays) sorted by step,
// optionally downsampled in Rust (src/core/downsample). Columns cross the wasm boundary as
// typed arrays, one crossing per call.
import { toError, DioptraValidationError } from "./errors.js";

/** What `getMetricSeries` takes beyond the complete-read options. */
const SERIES_KEYS = ["maxPoints", "downsample"];

/** A plain object of options (or undefined), checked. */
function optionsObject(options, what = "options") {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new DioptraValidationError(`${what} must be an object`, { field: what });
  }
  return options;
}

/** `values` as a Float64Array (a Float64Array as is; an array of numbers copied). */
function column(values, field) {
  if (values instanceof Float64Array) return values;
  if (Array.isArray(values) || ArrayBuffer.isView(values)) {
    const out = Float64Array.from(values, (v) => (typeof v === "number" ? v : NaN));
    const bad = Array.prototype.findIndex.call(values, (v) => typeof v !== "number" && typeof v !== "bigint");
    if (bad >= 0) throw new DioptraValidationError(`${field}[${bad}] must be a number`, { field });
    return out;
  }
  throw new DioptraValidationError(`${field} must be a Float64Array or an array of numbers`, { field });
}

/** The `downsample(x, y, maxPoints, { method })` export, bound to the wasm module's function. */
function defineDownsample(downsampleIndices) {
  /**
   * The indices of `(x, y)` to keep for a chart of at most `maxPoints` points, ascending, as a
   * Uint32Array. Methods: "minmax-lttb" (default), "lttb", "m4", "minmax". x must be finite
   * and ascending (repeats allowed); NaN and ±Infinity values of y are kept, one per bucket.
   */
  return function downsample(x, y, maxPoints, options) {
    if (arguments.length > 4) throw new DioptraValidationError(`downsample takes at most 4 arguments, got ${arguments.length}`, { field: "arguments" });
    const { method, ...rest } = optionsObject(options);
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw new DioptraValidationError(`unknown option ${JSON.stringify(unknown)} (known: method)`, { field: unknown });
    if (method !== undefined && typeof method !== "string") throw new DioptraValidationError("method must be a string", { field: "method" });
    if (typeof maxPoints !== "number") throw new DioptraValidationError("maxPoints must be a number", { field: "maxPoints" });
    const xs = column(x, "x");
    const ys = column(y, "y");
    try {
      return downsampleIndices(xs, ys, maxPoints, method);
    } catch (raw) {
      throw toError(raw);
    }
  };
}

/** Splits `getMetricSeries`/`compareMetric` options into the series' own and the read's. */
function seriesOptions(options, downsample) {
  const { maxPoints, downsample: method = "minmax-lttb", ...read } = optionsObject(options);
  if (method !== false && typeof method !== "string") {
    throw new DioptraValidationError('downsample must be a method name ("minmax-lttb", "lttb", "m4", "minmax") or false', { field: "downsample" });
  }
  if (maxPoints !== undefined) {
    if (typeof maxPoints !== "number") throw new DioptraValidationError("maxPoints must be a number", { field: "maxPoints" });
    if (method !== false) downsample(new Float64Array(0), new Float64Array(0), maxPoints, { method }); // checks both, before any request
    else throw new DioptraValidationError("maxPoints needs a downsample method (downsample is false)", { field: "maxPoints" });
  }
  return { maxPoints, method, read };
}

/**
 * A metric's whole history as columns, in step order: `{ steps, values, timestamps }`, from
 * `pages`, an async iterable of `{ data }` whose `data` is a page's columns as the wasm side
 * hands them out (src/wasm/columns.rs: `steps`, `values`, `stamps` in ms).
 */
async function collectColumns(pages) {
  let steps = new Float64Array(1024);
  let values = new Float64Array(1024);
  let timestamps = new Float64Array(1024);
  let n = 0;
  for await (const { data: page, total } of pages) {
    const count = page.steps.length;
    const need = n + count;
    if (need > steps.length) {
      const size = Math.max(need, steps.length * 2, total ?? 0);
      const grow = (a) => {
        const b = new Float64Array(size);
        b.set(a.subarray(0, n));
        return b;
      };
      steps = grow(steps);
      values = grow(values);
      timestamps = grow(timestamps);
    }
    steps.set(page.steps, n);
    values.set(page.values, n);
    timestamps.set(page.stamps, n);
    n += count;
  }
  steps = steps.subarray(0, n);
  values = values.subarray(0, n);
  timestamps = timestamps.subarray(0, n);
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = steps[i - 1] <= steps[i];
  if (!sorted) {
    const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => steps[a] - steps[b]);
    const pick = (col) => Float64Array.from(order, (i) => col[i]);
    return { steps: pick(steps), values: pick(values), timestamps: pick(timestamps) };
  }
  return { steps: steps.slice(), values: values.slice(), timestamps: timestamps.slice() };
}

/** `columns` with only the rows at `indices`. */
function pickRows(columns, indices) {
  const out = {};
  for (const [key, col] of Object.entries(columns)) {
    const picked = new col.constructor(indices.length);
    for (let i = 0; i < indices.length; i++) picked[i] = col[indices[i]];
    out[key] = picked;
  }
  return out;
}

/**
 * `jobs.getMetricSeries`: `{ jobId, name, steps, values, timestamps, total }`, columns sorted
 * by step, downsampled to `maxPoints` when given. `readPages(read)` reads the history with the
 * complete-read options `read`: an async iterable of pages of columns (see collectColumns).
 */
async function getMetricSeries(readPages, downsample, jobId, metricName, options) {
  const { maxPoints, method, read } = seriesOptions(options, downsample);
  const columns = await collectColumns(readPages(read));
  const total = columns.steps.length;
  let kept = columns;
  if (maxPoints !== undefined && total > maxPoints) {
    kept = pickRows(columns, downsample(columns.steps, columns.values, maxPoints, { method }));
  }
  return { jobId: Number(jobId), name: metricName, ...kept, total };
}


/** The sorted union of several sorted step columns. */
function unionSteps(columns) {
  const all = new Float64Array(columns.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of columns) {
    all.set(c, at);
    at += c.length;
  }
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (n === 0 || all[i] !== all[n - 1]) all[n++] = all[i];
  return all.slice(0, n);
}

/** `count` indices of `0..length-1` spread evenly, first and last included. */
function evenly(length, count) {
  if (length <= count) return Uint32Array.from({ length }, (_, i) => i);
  return Uint32Array.from({ length: count }, (_, i) => Math.round((i * (length - 1)) / (count - 1)));
}

/**
 * `experiments.compareMetric`: the jobs' series of one metric aligned on the union of their
 * steps: `{ steps, jobs: [{ jobId, values, present }] }`, `values[i]` NaN and `present[i]` 0
 * where a job has no point at `steps[i]` (a stored NaN has present 1). With `maxPoints`, each
 * job is downsampled with its share of the budget and every job shows the union of the steps
 * kept, so the same steps are kept for every job.
 */
async function compareMetric(experiments, jobs, downsample, experimentId, metricName, options) {
  const { jobIds, ...rest } = optionsObject(options);
  const { maxPoints, method, read } = seriesOptions(rest, downsample);
  if (jobIds !== undefined && !Array.isArray(jobIds)) throw new DioptraValidationError("jobIds must be an array of job ids", { field: "jobIds" });
  let ids = jobIds;
  if (ids === undefined) {
    const all = await experiments.getAllMetrics(experimentId, { signal: read.signal, timeoutMs: read.timeoutMs });
    ids = all.filter((j) => j.metrics.some((m) => m.name === metricName)).map((j) => j.id).sort((a, b) => a - b);
  }
  const { onProgress, ...perJob } = read;
  const series = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(2, ids.length) }, async () => {
      while (next < ids.length) {
        const i = next++;
        series[i] = await jobs.getMetricSeries(ids[i], metricName, perJob);
        if (typeof onProgress === "function") onProgress({ loaded: series.filter(Boolean).length, total: ids.length });
      }
    }),
  );
  let keptSteps;
  if (maxPoints !== undefined) {
    const share = Math.max(3, Math.floor(maxPoints / Math.max(1, series.length)));
    keptSteps = unionSteps(
      series.map((s) => {
        const kept = s.steps.length > share ? downsample(s.steps, s.values, share, { method }) : null;
        return kept ? Float64Array.from(kept, (i) => s.steps[i]) : s.steps;
      }),
    );
    if (keptSteps.length > maxPoints) keptSteps = Float64Array.from(evenly(keptSteps.length, maxPoints), (i) => keptSteps[i]);
  } else {
    keptSteps = unionSteps(series.map((s) => s.steps));
  }
  const out = series.map((s, j) => {
    const values = new Float64Array(keptSteps.length).fill(NaN);
    const present = new Uint8Array(keptSteps.length);
    let k = 0;
    for (let i = 0; i < keptSteps.length; i++) {
      while (k < s.steps.length && s.steps[k] < keptSteps[i]) k++;
      if (k < s.steps.length && s.steps[k] === keptSteps[i]) {
        values[i] = s.values[k];
        present[i] = 1;
      }
    }
    return { jobId: Number(ids[j]), values, present, total: s.total };
  });
  return { name: metricName, steps: keptSteps, jobs: out };
}

export { defineDownsample, getMetricSeries, seriesOptions, pickRows, optionsObject, compareMetric, unionSteps };
