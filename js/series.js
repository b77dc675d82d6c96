// Chart-ready series: a metric's complete history as columns (Float64Arrays) sorted by step,
// optionally downsampled in Rust (src/core/downsample). Columns cross the wasm boundary as
// typed arrays, one crossing per call.
import { toError, settle, DioptraValidationError } from "./errors.js";

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

/** Reads a metric's whole history into columns, in step order: `{ steps, values, timestamps }`. */
async function readColumns(openReader, onProgress) {
  let reader;
  try {
    reader = openReader();
  } catch (raw) {
    throw toError(raw);
  }
  let steps = new Float64Array(1024);
  let values = new Float64Array(1024);
  let timestamps = new Float64Array(1024);
  let n = 0;
  try {
    for (;;) {
      const page = await settle(reader.next());
      if (page === null) break;
      const need = n + page.data.length;
      if (need > steps.length) {
        const size = Math.max(need, steps.length * 2, page.total ?? 0);
        const grow = (a) => {
          const b = new Float64Array(size);
          b.set(a.subarray(0, n));
          return b;
        };
        steps = grow(steps);
        values = grow(values);
        timestamps = grow(timestamps);
      }
      for (const p of page.data) {
        steps[n] = p.step;
        values[n] = p.value;
        timestamps[n] = p.timestamp;
        n += 1;
      }
      if (typeof onProgress === "function") onProgress({ loaded: page.loaded, total: page.total });
    }
  } finally {
    reader.free();
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
 * by step, downsampled to `maxPoints` when given. `wasm` is the client's wasm side.
 */
async function getMetricSeries(wasm, downsample, jobId, metricName, options) {
  const { maxPoints, method, read } = seriesOptions(options, downsample);
  const columns = await readColumns(() => wasm.readHistory(jobId, metricName, { ...read, onProgress: undefined }), read.onProgress);
  const total = columns.steps.length;
  let kept = columns;
  if (maxPoints !== undefined && total > maxPoints) {
    kept = pickRows(columns, downsample(columns.steps, columns.values, maxPoints, { method }));
  }
  return { jobId: Number(jobId), name: metricName, ...kept, total };
}

export { defineDownsample, getMetricSeries, readColumns, seriesOptions, pickRows, optionsObject };
