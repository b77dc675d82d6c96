// The public JavaScript API of dioptra-metrics, shared by every entry point.
//
// This file has no imports: an entry point hands it the wasm module (see index.js and
// index.cjs), and the build writes a CommonJS copy (api.cjs) by rewriting the one `export`
// line at the end. Everything here is thin: argument checks, requests and decoding happen in
// Rust (src/wasm); this layer makes errors real `Error` subclasses and timestamps `Date`s.

/** The base class of every error this package throws. */
class DioptraError extends Error {
  constructor(message, details = {}) {
    super(message);
    for (const key of this.constructor.fields) {
      this[key] = details[key] ?? null;
    }
  }
}
DioptraError.fields = [];

/** Bad input, refused before any request was sent. */
class DioptraValidationError extends DioptraError {}
DioptraValidationError.fields = ["field"];

/** The server answered with a non-2xx status. */
class DioptraApiError extends DioptraError {}
DioptraApiError.fields = ["status", "errorType", "fieldErrors", "method", "path"];

/** No answer: connection refused or reset, DNS, CORS, ... */
class DioptraNetworkError extends DioptraError {}
DioptraNetworkError.fields = ["method", "path"];

/** No complete answer within `timeoutMs`. */
class DioptraTimeoutError extends DioptraError {}
DioptraTimeoutError.fields = ["timeoutMs", "method", "path"];

/** The caller's `AbortSignal` fired. */
class DioptraAbortError extends DioptraError {}
DioptraAbortError.fields = ["method", "path"];

/** A 2xx answer whose body is not what the endpoint promises. */
class DioptraDecodeError extends DioptraError {}
DioptraDecodeError.fields = ["method", "path"];

/** A logger's queue holds `maxQueue` points: `log()` refuses more (see `logAsync()`). */
class DioptraQueueFullError extends DioptraError {}
DioptraQueueFullError.fields = ["maxQueue"];

/** `log()` on a logger that was closed. */
class DioptraLoggerClosedError extends DioptraError {}

/**
 * `flush()` or `close()`: points logged before it were given up on. `points` lists them
 * (`{ name, step, value, error }`); `errors` holds each point's error, as `AggregateError` does.
 */
class DioptraFlushError extends DioptraError {}
DioptraFlushError.fields = ["points", "errors"];

const errorClasses = {
  DioptraError,
  DioptraValidationError,
  DioptraApiError,
  DioptraNetworkError,
  DioptraTimeoutError,
  DioptraAbortError,
  DioptraDecodeError,
  DioptraQueueFullError,
  DioptraLoggerClosedError,
  DioptraFlushError,
};
for (const [name, cls] of Object.entries(errorClasses)) {
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
}

/** The error the wasm layer reported (a plain `{ kind, message, ... }`), as a class instance. */
function toError(raw) {
  if (raw && raw.dioptraError === true) {
    const cls = errorClasses[raw.kind] ?? DioptraError;
    return new cls(raw.message, raw);
  }
  return raw;
}

/** The error for a call with more arguments than `method` takes. */
function tooManyArguments(method, max, given) {
  return new DioptraValidationError(`${method} takes at most ${max} argument${max === 1 ? "" : "s"}, not ${given}`, {
    field: "arguments",
  });
}

/** Throws when a synchronous method got more than `max` arguments. */
function checkArity(method, max, args) {
  if (args.length > max) throw tooManyArguments(method, max, args.length);
}

/** `promise`, with the wasm layer's errors turned into class instances. */
function settle(promise) {
  return promise.then(undefined, (raw) => {
    throw toError(raw);
  });
}

/** A page of history with each timestamp (ms since the epoch) made a `Date`. */
function withDates(page) {
  page.data.forEach(dateTimestamp);
  return page;
}

/**
 * A complete read of a paged collection: iterate it for items (`for await`), or call
 * `pages()` for `{ data, loaded, total }` pages. Each iteration reads afresh; pages are
 * fetched as the loop asks for them, never all held at once.
 */
class PagedRead {
  #open;
  #convert;
  #onProgress;
  constructor(open, convert, onProgress) {
    this.#open = open;
    this.#convert = convert;
    this.#onProgress = typeof onProgress === "function" ? onProgress : undefined;
  }
  async *pages() {
    let reader;
    try {
      reader = this.#open();
    } catch (raw) {
      throw toError(raw);
    }
    try {
      for (;;) {
        const page = await settle(reader.next());
        if (page === null) return;
        page.data.forEach(this.#convert);
        this.#onProgress?.({ loaded: page.loaded, total: page.total });
        yield page;
      }
    } finally {
      reader.free();
    }
  }
  async *[Symbol.asyncIterator]() {
    for await (const page of this.pages()) {
      yield* page.data;
    }
  }
}

/** Collects every item of `read`. */
async function collect(read) {
  const items = [];
  for await (const page of read.pages()) {
    for (const item of page.data) items.push(item);
  }
  return items;
}

/** Makes a point's timestamp (ms since the epoch) a `Date`. */
function dateTimestamp(point) {
  point.timestamp = new Date(point.timestamp);
}

/** The `flush()` error for points given up on (`{ name, step, value, error }` from wasm). */
function flushError(failures) {
  const points = failures.map((f) => ({ ...f, error: toError(f.error) }));
  const list = points.map((p) => `${p.name}@${p.step}: ${p.error.message}`).join("; ");
  return new DioptraFlushError(`${points.length} point(s) could not be stored: ${list}`, {
    points,
    errors: points.map((p) => p.error),
  });
}

/**
 * Loggers that still hold points when the process is about to exit (Node) or the page goes
 * away (browsers). One listener serves them all.
 */
const liveLoggers = new Set();
let lifecycleHooked = false;

function hookLifecycle() {
  if (lifecycleHooked) return;
  lifecycleHooked = true;
  const proc = globalThis.process;
  if (typeof proc?.on === "function" && typeof proc.versions?.node === "string") {
    // The event loop is empty: send what is left (requests keep the process alive until then).
    proc.on("beforeExit", () => {
      for (const logger of liveLoggers) logger._drainBeforeExit();
    });
  }
  if (typeof globalThis.addEventListener === "function") {
    const hide = () => {
      for (const logger of liveLoggers) logger._sendWithKeepalive();
    };
    globalThis.addEventListener("pagehide", hide);
    globalThis.document?.addEventListener?.("visibilitychange", () => {
      if (globalThis.document.visibilityState === "hidden") hide();
    });
  }
}

/** A timer that does not keep a Node process alive by itself. */
function unref(timer) {
  timer?.unref?.();
  return timer;
}

/**
 * A metric logger for one job: `log()` validates and queues at once, requests go out in the
 * background with retries, `flush()` and `close()` settle when the server has everything.
 */
class MetricLogger {
  #wasm;
  #flushIntervalMs;
  #onProgress;
  #interval = null;
  #retryTimer = null;
  #retryAt = Infinity;
  #flushes = [];
  #roomWaiters = [];
  #closing = null;
  #pumpQueued = false;
  #reportsErrors;

  constructor(create, options) {
    this.#flushIntervalMs = options?.flushIntervalMs ?? 1000;
    this.#onProgress = options?.onProgress;
    this.#reportsErrors = typeof options?.onError === "function";
    try {
      this.#wasm = create(() => this.#afterRequest());
    } catch (raw) {
      throw toError(raw);
    }
    if (this.#flushIntervalMs > 0) {
      this.#interval = unref(setInterval(() => this.#pump(), this.#flushIntervalMs));
    }
    hookLifecycle();
    liveLoggers.add(this);
  }

  /** Queues `metrics` (`{ name: value }`) with `{ step, timestamp }`. Synchronous; throws on bad input or a full queue. */
  log(metrics, options) {
    checkArity("logger.log", 2, arguments);
    if (this.#closing) throw new DioptraLoggerClosedError("log() after close(): this logger takes no more points");
    try {
      this.#wasm.log(metrics, options);
    } catch (raw) {
      throw toError(raw);
    }
    if (this.#flushIntervalMs === 0 && !this.#pumpQueued) {
      // One pump for a burst of log() calls, however long.
      this.#pumpQueued = true;
      queueMicrotask(() => {
        this.#pumpQueued = false;
        this.#pump();
      });
    }
  }

  /** Like `log()`, but waits for room in a full queue instead of throwing. */
  async logAsync(metrics, options) {
    checkArity("logger.logAsync", 2, arguments);
    for (;;) {
      try {
        return this.log(metrics, options);
      } catch (err) {
        if (!(err instanceof DioptraQueueFullError)) throw err;
      }
      const room = new Promise((resolve) => this.#roomWaiters.push(resolve));
      this.#pump();
      await room;
    }
  }

  /** Resolves when every point logged before the call is stored; rejects with DioptraFlushError listing those given up on. */
  flush() {
    const mark = this.#wasm.mark();
    const settled = new Promise((resolve, reject) => this.#flushes.push({ mark, resolve, reject }));
    this.#retryTimer?.ref?.(); // Somebody waits now: a pending retry keeps the process alive.
    this.#pump();
    this.#settleFlushes();
    return settled;
  }

  /** Flushes, then stops the logger: later `log()` calls throw. */
  close() {
    this.#closing ??= this.flush().finally(() => {
      clearInterval(this.#interval);
      clearTimeout(this.#retryTimer);
      liveLoggers.delete(this);
    });
    return this.#closing;
  }

  /** `{ queued, inFlight, sent, retried, coalesced, failed }`. */
  get stats() {
    return this.#wasm.stats();
  }

  #pump(keepalive = false) {
    const dueInMs = this.#wasm.pump(keepalive);
    if (dueInMs >= 0 && Date.now() + dueInMs < this.#retryAt) {
      clearTimeout(this.#retryTimer);
      this.#retryAt = Date.now() + dueInMs;
      this.#retryTimer = setTimeout(() => {
        this.#retryAt = Infinity;
        this.#pump();
      }, dueInMs);
      // A retry keeps the process alive only while somebody waits for it.
      if (this.#flushes.length === 0) unref(this.#retryTimer);
    }
  }

  #afterRequest() {
    this.#pump();
    this.#settleFlushes();
    const waiting = this.#roomWaiters.splice(0);
    for (const resolve of waiting) resolve();
    if (this.#onProgress) {
      const { sent, queued, inFlight } = this.#wasm.stats();
      this.#onProgress({ sent, queued: queued + inFlight });
    }
  }

  #settleFlushes() {
    this.#flushes = this.#flushes.filter(({ mark, resolve, reject }) => {
      if (!this.#wasm.isSettled(mark)) return true;
      const failures = this.#wasm.takeFailures(mark);
      if (failures.length === 0) resolve();
      else reject(flushError(failures));
      return false;
    });
  }

  /**
   * Node's `beforeExit`: send what is left; and say what was given up on and never reported
   * (no `onError`, no `flush()`), so that nothing is lost silently.
   */
  _drainBeforeExit() {
    if (this.#closing) return;
    const report = (err) => console.error(`dioptra-metrics: at exit, ${err.message}`);
    if (this.#wasm.busy) {
      this.flush().catch(report);
    } else if (!this.#reportsErrors) {
      const failures = this.#wasm.takeFailures(this.#wasm.mark());
      if (failures.length > 0) report(flushError(failures));
    }
  }

  /** A page going away: send everything waiting with `keepalive`, at once. */
  _sendWithKeepalive() {
    if (this.#wasm.busy) this.#pump(true);
  }
}

/** Logger options whose `onError` receives class instances (the wasm layer reports plain objects). */
function withErrorClasses(options) {
  const onError = options?.onError;
  if (typeof onError !== "function") return options;
  return {
    ...options,
    onError: (raw, point) => onError(toError(raw), { ...point, error: toError(point.error) }),
  };
}

/** `client.auth`: the session. */
class AuthCollection {
  #wasm;
  constructor(wasm) {
    this.#wasm = wasm;
  }
  /** POST /auth/login. Resolves to `{ username, status }`. */
  login(username, password, options) {
    if (arguments.length > 3) return Promise.reject(tooManyArguments("auth.login", 3, arguments.length));
    return settle(this.#wasm.login(username, password, options));
  }
  /** POST /auth/logout. Resolves to the server's answer; the client forgets its session. */
  logout(options) {
    if (arguments.length > 1) return Promise.reject(tooManyArguments("auth.logout", 1, arguments.length));
    return settle(this.#wasm.logout(options));
  }
}

/** What `jobs.logMetrics` takes: the point's step and timestamp, and how to send. */
const LOG_METRICS_OPTIONS = ["step", "timestamp", "concurrency", "retry", "timeoutMs"];

/** `client.jobs`: a job's metrics. */
class JobsCollection {
  #wasm;
  constructor(wasm) {
    this.#wasm = wasm;
  }
  /** GET /jobs/{id}/metrics: the latest (highest-step) value of each metric. */
  getMetricsById(jobId, options) {
    if (arguments.length > 2) return Promise.reject(tooManyArguments("jobs.getMetricsById", 2, arguments.length));
    return settle(this.#wasm.getJobMetrics(jobId, options));
  }
  /** GET /jobs/{id}/metrics/{name}/snapshots: one page of a metric's history. */
  getMetricsSnapshotsById(jobId, metricName, options) {
    if (arguments.length > 3) return Promise.reject(tooManyArguments("jobs.getMetricsSnapshotsById", 3, arguments.length));
    return settle(this.#wasm.getSnapshotPage(jobId, metricName, options)).then(withDates);
  }
  /** POST /jobs/{id}/metrics: stores one value (an upsert on name and step). */
  appendMetricById(jobId, metricName, metricValue, options) {
    if (arguments.length > 4) return Promise.reject(tooManyArguments("jobs.appendMetricById", 4, arguments.length));
    return settle(this.#wasm.appendMetric(jobId, metricName, metricValue, options));
  }
  /**
   * Every point of a metric's history, page by page as the loop asks (in the server's order).
   * Options: `concurrency` (pages in flight, default 2), `retry: { retries (no bound by count),
   * minDelayMs (100), maxDelayMs (10000), giveUpAfterMs (60000) }` (a failed page is asked again
   * alone), `signal`, `timeoutMs`.
   */
  iterMetricsSnapshots(jobId, metricName, options) {
    checkArity("jobs.iterMetricsSnapshots", 3, arguments);
    return new PagedRead(() => this.#wasm.readHistory(jobId, metricName, options), dateTimestamp, options?.onProgress);
  }
  /**
   * A metric's whole history, each point once, ordered by step. Options: `onProgress({ loaded,
   * total })`, `concurrency` (default 2), `retry` (as for `iterMetricsSnapshots`), `signal`,
   * `timeoutMs`.
   */
  async getMetricHistory(jobId, metricName, options) {
    checkArity("jobs.getMetricHistory", 3, arguments);
    const read = this.iterMetricsSnapshots(jobId, metricName, options);
    const points = await collect(read);
    return points.sort((a, b) => a.step - b.step);
  }
  /**
   * A logger for one job: `log()` queues at once; requests go out in the background with
   * retries and coalescing. Options: `concurrency` (4), `flushIntervalMs` (1000), `maxQueue`
   * (100000), `retry: { retries (5), minDelayMs (100), maxDelayMs (10000) }`, `onError(err,
   * point)`, `onProgress({ sent, queued })`, `step: "auto"`, `timeoutMs`.
   */
  createLogger(jobId, options) {
    checkArity("jobs.createLogger", 2, arguments);
    return new MetricLogger((notify) => this.#wasm.createLogger(jobId, withErrorClasses(options), notify), options);
  }
  /** Stores several metrics of one job at once (concurrently, with retries); resolves when all are stored. */
  async logMetrics(jobId, metrics, options) {
    checkArity("jobs.logMetrics", 3, arguments);
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new DioptraValidationError("options must be an object", { field: "options" });
    }
    const unknown = Object.keys(options ?? {}).find((key) => !LOG_METRICS_OPTIONS.includes(key));
    if (unknown !== undefined) {
      throw new DioptraValidationError(
        `unknown option ${JSON.stringify(unknown)} in options (known: ${LOG_METRICS_OPTIONS.join(", ")})`,
        { field: unknown },
      );
    }
    const { step, timestamp, ...loggerOptions } = options ?? {};
    const logger = this.createLogger(jobId, { concurrency: 8, ...loggerOptions, flushIntervalMs: 0 });
    try {
      logger.log(metrics, { step, timestamp });
    } finally {
      await logger.close();
    }
  }
}

/** `client.experiments`: metrics across an experiment's jobs. */
class ExperimentsCollection {
  #wasm;
  constructor(wasm) {
    this.#wasm = wasm;
  }
  /** GET /experiments/{id}/metrics: one page of jobs with their latest metrics. */
  getMetricsById(experimentId, options) {
    if (arguments.length > 2) return Promise.reject(tooManyArguments("experiments.getMetricsById", 2, arguments.length));
    return settle(this.#wasm.getExperimentPage(experimentId, options));
  }
  /**
   * Every job of the experiment with its latest metrics, page by page as the loop asks.
   * Options: `sortBy`, `descending`, `search`, `concurrency` (default 2), `retry` (as for
   * `jobs.iterMetricsSnapshots`), `signal`, `timeoutMs`.
   */
  iterMetrics(experimentId, options) {
    checkArity("experiments.iterMetrics", 2, arguments);
    return new PagedRead(() => this.#wasm.readExperiment(experimentId, options), () => {}, options?.onProgress);
  }
  /** Every job of the experiment with its latest metrics, in the server's order. */
  getAllMetrics(experimentId, options) {
    if (arguments.length > 2) return Promise.reject(tooManyArguments("experiments.getAllMetrics", 2, arguments.length));
    return collect(this.iterMetrics(experimentId, options));
  }
}

/**
 * The `DioptraClient` class for one runtime: `WasmClient` is the wasm module's client class,
 * `keepCookies` whether the client keeps its own cookie jar (Node), `defaultAddress()` the
 * address used when none is given (a page's origin), or undefined.
 */
function defineClient({ WasmClient, keepCookies, defaultAddress }) {
  class DioptraClient {
    #wasm;
    constructor(address, options) {
      checkArity("new DioptraClient", 2, arguments);
      try {
        this.#wasm = new WasmClient(address, options, defaultAddress(), keepCookies);
      } catch (raw) {
        throw toError(raw);
      }
      /** Login and logout. */
      this.auth = new AuthCollection(this.#wasm);
      /** A job's metrics. */
      this.jobs = new JobsCollection(this.#wasm);
      /** Metrics across an experiment's jobs. */
      this.experiments = new ExperimentsCollection(this.#wasm);
      Object.freeze(this);
    }
    /** The API base URL requests go to (e.g. `http://localhost:5000/api/v1`). */
    get baseUrl() {
      return this.#wasm.baseUrl;
    }
    toJSON() {
      return { baseUrl: this.baseUrl };
    }
    [Symbol.for("nodejs.util.inspect.custom")]() {
      return `DioptraClient { baseUrl: '${this.baseUrl}' }`;
    }
  }
  return DioptraClient;
}

/** A page's origin, where there is a page served over http(s). */
function pageOrigin() {
  const origin = globalThis.location?.origin;
  return typeof origin === "string" && /^https?:/.test(origin) ? origin : undefined;
}

export {
  defineClient,
  pageOrigin,
  DioptraError,
  DioptraValidationError,
  DioptraApiError,
  DioptraNetworkError,
  DioptraTimeoutError,
  DioptraAbortError,
  DioptraDecodeError,
  DioptraQueueFullError,
  DioptraLoggerClosedError,
  DioptraFlushError,
};
