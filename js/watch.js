// jobs.watchMetrics: a live tail of every metric of a job, as an async iterable of new points.
//
// Each poll asks, per metric, for the one page that holds the first point not yet seen (the
// history's last page) and checks it against what was seen: the points already seen must be
// where they were, the new ones must be new. A mismatch (a point stored below the highest step
// moves the later ones up; a server whose `index` means an offset, not a page number) switches
// the page arithmetic once and then falls back to a complete read of that metric, compared
// point by point. So every stored point is yielded once, and a quiet poll costs one request per
// metric (plus one for the names) whatever the history's length.
import { toError, DioptraValidationError, DioptraAbortError, DioptraApiError, DioptraNetworkError, DioptraTimeoutError, DioptraDecodeError } from "./errors.js";
import { optionsObject } from "./series.js";

const WATCH_OPTIONS = ["names", "intervalMs", "signal", "fromStart", "detect", "pageLength", "concurrency", "timeoutMs", "retry", "onError", "onPoll"];
/** Metrics read at once during a poll. */
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_RETRY = { minDelayMs: 500, maxDelayMs: 30_000, giveUpAfterMs: 900_000 };

/** Whether `error` may pass if asked again (the logger's rule: no answer, 408, 429, 5xx, garbage). */
function isTransient(error) {
  if (error instanceof DioptraNetworkError || error instanceof DioptraTimeoutError || error instanceof DioptraDecodeError) return true;
  return error instanceof DioptraApiError && (error.status === 408 || error.status === 429 || error.status >= 500);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Checks the options; throws DioptraValidationError before any request. */
function watchOptions(options) {
  const o = optionsObject(options);
  const unknown = Object.keys(o).find((k) => !WATCH_OPTIONS.includes(k));
  if (unknown !== undefined) throw new DioptraValidationError(`unknown option ${JSON.stringify(unknown)} (known: ${WATCH_OPTIONS.join(", ")})`, { field: unknown });
  const { names, intervalMs = 2000, signal, fromStart = false, detect = "tail", pageLength = 1000, concurrency = DEFAULT_CONCURRENCY, timeoutMs, retry = {}, onError, onPoll } = o;
  if (names !== undefined && !(Array.isArray(names) && names.every((n) => typeof n === "string"))) throw new DioptraValidationError("names must be an array of metric names", { field: "names" });
  if (!(Number.isFinite(intervalMs) && intervalMs >= 0)) throw new DioptraValidationError("intervalMs must be a number of ms >= 0", { field: "intervalMs" });
  if (typeof fromStart !== "boolean") throw new DioptraValidationError("fromStart must be a boolean", { field: "fromStart" });
  if (detect !== "tail" && detect !== "latest") throw new DioptraValidationError('detect must be "tail" or "latest"', { field: "detect" });
  if (!(Number.isInteger(pageLength) && pageLength >= 1 && pageLength <= 1000)) throw new DioptraValidationError("pageLength must be an integer from 1 to 1000", { field: "pageLength" });
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 16)) throw new DioptraValidationError("concurrency must be an integer from 1 to 16", { field: "concurrency" });
  if (onError !== undefined && typeof onError !== "function") throw new DioptraValidationError("onError must be a function", { field: "onError" });
  if (onPoll !== undefined && typeof onPoll !== "function") throw new DioptraValidationError("onPoll must be a function", { field: "onPoll" });
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new DioptraValidationError("signal must be an AbortSignal", { field: "signal" });
  const r = { ...DEFAULT_RETRY, ...optionsObject(retry, "retry") };
  return { names, intervalMs, signal, fromStart, detect, pageLength, concurrency, call: { signal, timeoutMs }, retry: r, onError, onPoll };
}

/** What is known of one metric: its steps in the server's order, and each step's value and time. */
function newMetric(name) {
  return { name, order: [], byStep: new Map(), indexIsOffset: false, modeChecked: false, latest: undefined };
}

/** Whether a point differs from what was seen at its step (value or timestamp). */
function changed(seen, point) {
  return !Object.is(seen.value, point.value) || seen.time !== point.timestamp.getTime();
}

/** Remembers `point` as seen. */
function remember(metric, point) {
  metric.byStep.set(point.step, { value: point.value, time: point.timestamp.getTime() });
}

/**
 * The async iterable of `jobs.watchMetrics`. `jobs` is the client's JobsCollection (its
 * public methods do the requests); `checkJobId(jobId)` throws on a bad id without a request.
 */
function watchMetrics(jobs, jobId, options, checkJobId) {
  const o = watchOptions(options);
  try {
    checkJobId(jobId);
  } catch (raw) {
    throw toError(raw);
  }
  return watch(jobs, jobId, o);
}

/** The watch itself, with checked options. */
async function* watch(jobs, jobId, o) {
  const metrics = new Map();
  let failingSince = null;
  let delay = o.retry.minDelayMs;
  let first = true;

  /** One request, or a transient error to retry the whole poll later. */
  const ask = (fn) => fn().catch((raw) => Promise.reject(toError(raw)));

  /**
   * A complete read of one metric compared with what was seen; the new (when `fresh`) and
   * overwritten points go to `sink`. What it learns is kept only when the read completes.
   */
  const resync = async (metric, fresh, sink) => {
    const out = [];
    const order = [];
    const byStep = new Map(metric.byStep);
    for await (const point of jobs.iterMetricsSnapshots(jobId, metric.name, { ...o.call, pageLength: o.pageLength })) {
      order.push(point.step);
      const seen = byStep.get(point.step);
      if (seen === undefined) {
        if (fresh) out.push(point);
      } else if (changed(seen, point)) {
        out.push({ ...point, overwrite: true });
      }
      byStep.set(point.step, { value: point.value, time: point.timestamp.getTime() });
    }
    metric.order = order;
    metric.byStep = byStep;
    metrics.set(metric.name, metric);
    for (const point of out) sink.push(point);
  };

  /** The points of `metric` stored since the last poll, to `sink`, reading only the history's last pages. */
  const tail = async (metric, sink) => {
    const P = o.pageLength;
    for (;;) {
      const seen = metric.order.length;
      const start = Math.floor(seen / P) * P;
      const index = metric.indexIsOffset ? start : start / P;
      const page = await ask(() => jobs.getMetricsSnapshotsById(jobId, metric.name, { ...o.call, index, pageLength: P }));
      const total = page.totalNumResults;
      const expected = Math.max(0, Math.min(P, total - start));
      let consistent = page.data.length === expected && total >= seen;
      for (let k = 0; consistent && k < page.data.length; k++) {
        const point = page.data[k];
        if (start + k < seen) consistent = metric.order[start + k] === point.step;
        else consistent = !metric.byStep.has(point.step);
      }
      if (!consistent) {
        if (start > 0 && !metric.modeChecked) {
          // The page arithmetic may be the wrong one for this server: try the other once.
          metric.modeChecked = true;
          metric.indexIsOffset = !metric.indexIsOffset;
          continue;
        }
        return resync(metric, true, sink);
      }
      if (start > 0) metric.modeChecked = true;
      page.data.forEach((point, k) => {
        if (start + k < seen) {
          if (changed(metric.byStep.get(point.step), point)) sink.push({ ...point, overwrite: true });
        } else {
          sink.push(point);
          metric.order.push(point.step);
        }
        remember(metric, point);
      });
      if (start + P >= total) return;
    }
  };

  /** Runs `work` (functions of an output array) `concurrency` at a time; each metric's points stay together. */
  const runAll = async (work, outs) => {
    let next = 0;
    let failure = null;
    await Promise.all(
      Array.from({ length: Math.min(o.concurrency, work.length) }, async () => {
        while (next < work.length && failure === null) {
          const i = next++;
          const out = [];
          outs.push(out);
          try {
            await work[i](out);
          } catch (error) {
            failure ??= toError(error);
          }
        }
      }),
    );
    if (failure !== null) throw failure;
  };

  /** The work of one metric for this poll (`value`: its latest value, when asked). */
  const workFor = (name, value) => {
    const known = metrics.get(name);
    if (known === undefined) {
      // A metric there at the start is read whole once; the points of one found later are all new.
      const fresh = !first || o.fromStart;
      return async (out) => {
        const metric = newMetric(name);
        await resync(metric, fresh, out);
        metric.latest = value;
      };
    }
    return async (out) => {
      await tail(known, out);
      known.latest = value;
    };
  };

  /**
   * One poll: the new points of every metric go to `sink`, metric by metric. In "tail" mode
   * the known metrics are read while the names are asked for; new names are read after.
   */
  const poll = async (sink) => {
    const outs = [];
    try {
      if (o.names !== undefined && o.detect === "tail") {
        await runAll(o.names.map((name) => workFor(name)), outs);
      } else if (o.detect === "tail") {
        const known = [...metrics.keys()];
        // Both settle before the poll ends (an abort leaves nothing in flight).
        const [asked, tails] = await Promise.allSettled([
          ask(() => jobs.getMetricsById(jobId, o.call)),
          runAll(known.map((name) => workFor(name)), outs),
        ]);
        if (asked.status === "rejected") throw asked.reason;
        if (tails.status === "rejected") throw tails.reason;
        const latest = asked.value;
        await runAll(latest.filter((m) => !metrics.has(m.name)).map((m) => workFor(m.name)), outs);
      } else {
        const latest = await ask(() => jobs.getMetricsById(jobId, o.call));
        const wanted = o.names === undefined ? latest : latest.filter((m) => o.names.includes(m.name));
        const changedOnes = wanted.filter((m) => !metrics.has(m.name) || !Object.is(metrics.get(m.name).latest, m.value));
        await runAll(changedOnes.map((m) => workFor(m.name, m.value)), outs);
      }
    } finally {
      for (const out of outs) for (const point of out) sink.push(point);
    }
  };

  while (!o.signal?.aborted) {
    // Polls start every `intervalMs` (or as soon as the last one ends, when it took longer),
    // so a stored point is seen within one interval and one poll's time.
    const started = Date.now();
    const points = [];
    try {
      await poll(points);
      first = false;
      failingSince = null;
      delay = o.retry.minDelayMs;
    } catch (error) {
      if (o.signal?.aborted) return;
      if (!isTransient(error)) throw error;
      failingSince ??= Date.now();
      try {
        o.onError?.(error);
      } catch {
        // A throwing onError must not stop the watch.
      }
      if (Date.now() - failingSince > o.retry.giveUpAfterMs) throw error;
    }
    try {
      o.onPoll?.({ points: points.length, ok: failingSince === null, ms: Date.now() - started });
    } catch {
      // A throwing onPoll must not stop the watch.
    }
    for (const point of points) yield point;
    if (o.signal?.aborted) return;
    const wait = failingSince === null ? Math.max(0, o.intervalMs - (Date.now() - started)) : Math.min(o.retry.maxDelayMs, (delay *= 2) * Math.random() + o.intervalMs);
    await sleep(wait, o.signal);
  }
}

export { watchMetrics };
