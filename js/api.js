// The public JavaScript API of dioptra-metrics, shared by every entry point: thin collections
// over the wasm client. Argument checks, requests and decoding happen in Rust (src/wasm); this
// layer makes errors real `Error` subclasses and timestamps `Date`s. A one-shot call is a
// `*Start` of the wasm client (checks, request sent: one crossing) and its `finish` (the reply
// read: one crossing), with no wasm future (js/exchange.js, src/wasm/calls.rs).
//
// An entry point hands it the wasm module (see index.js and index.cjs). Its imports are
// sibling modules only: the build writes a CommonJS copy of each (scripts/build.mjs).
import { toError, tooManyArguments, checkArity, settle, DioptraValidationError } from "./errors.js";
import { MetricLogger } from "./logger.js";
import { makeReplayJournal } from "./journal.js";
import { checkAddress } from "./preflight.js";
import { DirectReplies, callDirect, exchange, numberOptions, readColumns } from "./exchange.js";
import { defineDownsample, getMetricSeries, compareMetric } from "./series.js";
import { watchMetrics } from "./watch.js";

/** The wasm of an entry whose module is instantiated at import (Node, workerd). */
const LOADED = { ready: () => true, load: () => Promise.resolve() };

/**
 * One client's wasm side, made as soon as the wasm module is ready: at once where it already
 * is, else when `wasm.load()` settles (a browser loads the module on the first client made).
 * Until then the address is checked in JS (js/preflight.js), so a bad one still throws at once.
 */
class WasmHandle {
  /** The replies of this client's one-shot calls. */
  replies = new DirectReplies();
  #client = null;
  #make;
  #wasm;
  #baseUrl;
  constructor(make, wasm, address, fallback) {
    this.#make = make;
    this.#wasm = wasm;
    if (wasm.ready()) {
      this.#client = make(this.replies);
      return;
    }
    this.#baseUrl = checkAddress(address, fallback);
    // Start loading now; a failure is reported by each call (and the next call tries again).
    wasm.load().catch(() => {});
  }
  /** The wasm client, or null while the module loads. */
  get now() {
    return this.#client;
  }
  /** A promise of the wasm client (rejects, typed, if the module or the client cannot be made). */
  get ready() {
    if (this.#client) return Promise.resolve(this.#client);
    return this.#wasm.load().then(() => (this.#client ??= this.#make(this.replies)));
  }
  /**
   * A one-shot call whose request `start(client)` checks and sends (see js/exchange.js's
   * `callDirect`); `chained`: it may ask a second request.
   */
  call(start, chained = false) {
    return this.use((w) => callDirect(w, this.replies, () => start(w), chained));
  }
  /** `fn(client)` now where the wasm is ready (synchronous errors stay synchronous), else once it is. */
  use(fn) {
    return this.#client ? fn(this.#client) : this.ready.then(fn);
  }
  get baseUrl() {
    return this.#client ? this.#client.baseUrl : this.#baseUrl;
  }
}

/** The points of a page the wasm side handed back as columns, each timestamp a `Date`. */
function pointsOf({ name, names, steps, values, stamps }) {
  const points = new Array(steps.length);
  for (let i = 0; i < steps.length; i++) {
    points[i] = { name: names ? names[i] : name, value: values[i], step: steps[i], timestamp: new Date(stamps[i]) };
  }
  return points;
}

/** A page of history from its columns: the envelope, and `data`. */
function snapshotPage(columns) {
  const { name, names, steps, values, stamps, ...page } = columns;
  page.data = pointsOf(columns);
  return page;
}

/**
 * A complete read of a paged collection: iterate it for items (`for await`), or call
 * `pages()` for `{ data, loaded, total }` pages. Each iteration reads afresh; pages are
 * fetched as the loop asks for them, never all held at once.
 */
class PagedRead {
  #open;
  #items;
  #onProgress;
  constructor(open, items, onProgress) {
    this.#open = open;
    this.#items = items;
    this.#onProgress = typeof onProgress === "function" ? onProgress : undefined;
  }
  async *pages() {
    let reader;
    try {
      reader = await this.#open();
    } catch (raw) {
      throw toError(raw);
    }
    try {
      for (;;) {
        const read = await settle(reader.next());
        if (read === null) return;
        const page = { data: this.#items(read), loaded: read.loaded, total: read.total };
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

/** A page of an experiment's jobs, each `createdOn` (ms since the epoch) made a `Date`. */
function jobsWithDates(read) {
  for (const job of read.data) job.createdOn = new Date(job.createdOn);
  return read.data;
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
    return this.#wasm.call((w) => w.loginStart(username, password, options));
  }
  /** POST /auth/logout. Resolves to the server's answer; the client forgets its session. */
  logout(options) {
    if (arguments.length > 1) return Promise.reject(tooManyArguments("auth.logout", 1, arguments.length));
    return this.#wasm.call((w) => w.logoutStart(options));
  }
}

/** The options `appendMetricById` and `getMetricsById` read themselves (numbers: see `numberOptions`). */
const APPEND_DIRECT = ["step", "timeoutMs"];
const LATEST_DIRECT = ["timeoutMs"];

/** What `jobs.logMetrics` takes: the point's step and timestamp, and how to send. */
const LOG_METRICS_OPTIONS = ["step", "timestamp", "concurrency", "retry", "timeoutMs"];

/** `client.jobs`: a job's metrics. */
class JobsCollection {
  #wasm;
  #openJournalFile;
  #downsample;
  constructor(wasm, openJournalFile, downsample) {
    this.#wasm = wasm;
    this.#openJournalFile = openJournalFile;
    this.#downsample = downsample;
  }
  /**
   * A metric's whole history as chart-ready columns sorted by step: `{ jobId, name, steps,
   * values, timestamps (ms since the epoch), total }` (Float64Arrays; `total` counts the points
   * before downsampling). Options: `maxPoints` (downsample to at most this many),
   * `downsample` ("minmax-lttb" (default), "lttb", "m4", "minmax"), and those of
   * `getMetricHistory`.
   */
  async getMetricSeries(jobId, metricName, options) {
    checkArity("jobs.getMetricSeries", 3, arguments);
    // The pages as the wasm side hands them out: columns, not points (progress told here).
    const readPages = ({ onProgress, ...read }) =>
      new PagedRead(() => this.#wasm.use((w) => w.readHistory(jobId, metricName, read)), (page) => page, onProgress).pages();
    return getMetricSeries(readPages, this.#downsample, jobId, metricName, options);
  }
  /** GET /jobs/{id}/metrics: the latest (highest-step) value of each metric. */
  getMetricsById(jobId, options) {
    if (arguments.length > 2) return Promise.reject(tooManyArguments("jobs.getMetricsById", 2, arguments.length));
    const plain = typeof jobId === "number" ? numberOptions(options, LATEST_DIRECT) : null;
    const start = plain ? (w) => w.latestDirect(jobId, plain.timeoutMs) : (w) => w.latestStart(jobId, options);
    return this.#wasm.call(start, true);
  }
  /** GET /jobs/{id}/metrics/{name}/snapshots: one page of a metric's history. */
  getMetricsSnapshotsById(jobId, metricName, options) {
    if (arguments.length > 3) return Promise.reject(tooManyArguments("jobs.getMetricsSnapshotsById", 3, arguments.length));
    return this.#wasm.call((w) => w.pageStart(jobId, metricName, options), true).then(snapshotPage);
  }
  /**
   * A live tail of the job's metrics: an async iterable of each point as it is stored
   * (`{ name, value, step, timestamp }`, `overwrite: true` on a detected overwrite), across
   * every metric (new names found while watching). Options: `names`, `intervalMs` (2000),
   * `signal`, `fromStart` (false), `detect` ("tail" | "latest"), `pageLength` (1000),
   * `concurrency` (4), `timeoutMs`, `retry`, `onError(err)`, `onPoll({ points, ok })`. See the README for the costs.
   */
  watchMetrics(jobId, options) {
    checkArity("jobs.watchMetrics", 2, arguments);
    // The id is checked at once by making (never starting) a read with it, where the wasm is
    // loaded already (else the first poll's request checks it, before anything is sent).
    return watchMetrics(this, jobId, options, (id) => this.#wasm.now?.readHistory(id, "x", { pageLength: 1 }).free());
  }
  /** POST /jobs/{id}/metrics: stores one value (an upsert on name and step). */
  appendMetricById(jobId, metricName, metricValue, options) {
    if (arguments.length > 4) return Promise.reject(tooManyArguments("jobs.appendMetricById", 4, arguments.length));
    const numbers = typeof jobId === "number" && typeof metricName === "string" && typeof metricValue === "number";
    const plain = numbers ? numberOptions(options, APPEND_DIRECT) : null;
    const start = plain
      ? (w) => w.appendDirect(jobId, metricName, metricValue, plain.step, plain.timeoutMs)
      : (w) => w.appendStart(jobId, metricName, metricValue, options);
    return this.#wasm.call(start);
  }
  /**
   * Every point of a metric's history, page by page as the loop asks (in the server's order).
   * Options: `concurrency` (pages in flight, default 2), `retry: { retries (no bound by count),
   * minDelayMs (100), maxDelayMs (10000), giveUpAfterMs (60000) }` (a failed page is asked again
   * alone), `signal`, `timeoutMs`.
   */
  iterMetricsSnapshots(jobId, metricName, options) {
    checkArity("jobs.iterMetricsSnapshots", 3, arguments);
    return new PagedRead(() => this.#wasm.use((w) => w.readHistory(jobId, metricName, options)), pointsOf, options?.onProgress);
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
   * retries and coalescing; an outage pauses the queue and probes, a point is given up only
   * after `retry.giveUpAfterMs` of continuous failure. Options: `concurrency` (4),
   * `flushIntervalMs` (1000), `maxQueue` (100000), `retry: { minDelayMs (100), maxDelayMs
   * (30000), giveUpAfterMs (900000), retries (no bound) }`, `onError(err, point)`,
   * `onProgress({ sent, queued })`, `onUnauthorized()`, `step: "auto"`, `timestamp: "client" |
   * "server"` ("client"), `exitFlushMs` (3000), `timeoutMs`, `journal` (Node: a file or
   * directory path, or `{ path, sync: "none" | "interval" | "always" ("interval"),
   * syncIntervalMs (1000) }`: points survive a crash and are sent by the next logger on it;
   * see the README's "Durable journal").
   */
  createLogger(jobId, options) {
    checkArity("jobs.createLogger", 2, arguments);
    const create = (notify) => this.#wasm.now.createLogger(jobId, options, notify);
    return new MetricLogger(create, options, this.#openJournalFile, this.#wasm.now ? undefined : this.#wasm.ready);
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
  #jobs;
  #downsample;
  constructor(wasm, jobs, downsample) {
    this.#wasm = wasm;
    this.#jobs = jobs;
    this.#downsample = downsample;
  }
  /**
   * One metric across jobs of the experiment, aligned on the union of their steps: `{ name,
   * steps, jobs: [{ jobId, values, present, total }] }` (`present[i]` 0 where the job has no
   * point at `steps[i]`; its value is then NaN). Options: `jobIds` (default: every job of the
   * experiment that has the metric, by id), `maxPoints` and `downsample` (the same steps kept
   * for every job), and those of `jobs.getMetricHistory`.
   */
  async compareMetric(experimentId, metricName, options) {
    checkArity("experiments.compareMetric", 3, arguments);
    // The ids and the name are checked before any request by making (never starting) reads.
    try {
      const wasm = await this.#wasm.ready;
      wasm.readExperimentJobs(experimentId, {}).free();
      for (const jobId of Array.isArray(options?.jobIds) ? options.jobIds : [1]) wasm.readHistory(jobId, metricName, { pageLength: 1 }).free();
    } catch (raw) {
      throw toError(raw);
    }
    return compareMetric(this, this.#jobs, this.#downsample, experimentId, metricName, options);
  }
  /** GET /experiments/{id}/metrics: one page of jobs with their latest metrics. */
  getMetricsById(experimentId, options) {
    if (arguments.length > 2) return Promise.reject(tooManyArguments("experiments.getMetricsById", 2, arguments.length));
    return this.#wasm.call((w) => w.experimentPageStart(experimentId, options), true);
  }
  /**
   * Every job of the experiment with its latest metrics, page by page as the loop asks.
   * Options: `sortBy`, `descending`, `search`, `concurrency` (default 2), `retry` (as for
   * `jobs.iterMetricsSnapshots`), `signal`, `timeoutMs`.
   */
  iterMetrics(experimentId, options) {
    checkArity("experiments.iterMetrics", 2, arguments);
    return new PagedRead(() => this.#wasm.use((w) => w.readExperiment(experimentId, options)), (read) => read.data, options?.onProgress);
  }
  /** Every job of the experiment with its latest metrics, in the server's order. */
  getAllMetrics(experimentId, options) {
    if (arguments.length > 2) return Promise.reject(tooManyArguments("experiments.getAllMetrics", 2, arguments.length));
    return collect(this.iterMetrics(experimentId, options));
  }
  /**
   * GET /experiments/, every page: `[{ id, name, description }]` in the server's order.
   * Options: `search` (Dioptra's query language, e.g. `"name:mnist*"`), `onProgress`,
   * `concurrency` (2), `retry`, `signal`, `timeoutMs`.
   */
  async list(options) {
    checkArity("experiments.list", 1, arguments);
    return collect(new PagedRead(() => this.#wasm.use((w) => w.readExperiments(options)), (read) => read.data, options?.onProgress));
  }
  /**
   * GET /experiments/{id}/jobs, every page: `[{ id, status, createdOn: Date }]` in the
   * server's order. Options as for `list` (without `search`).
   */
  async getJobs(experimentId, options) {
    checkArity("experiments.getJobs", 2, arguments);
    const read = new PagedRead(() => this.#wasm.use((w) => w.readExperimentJobs(experimentId, options)), jobsWithDates, options?.onProgress);
    return collect(read);
  }
}

/**
 * The `DioptraClient` class for one runtime: `WasmClient` is the wasm module's client class,
 * `wasm` its module's `{ ready(), load() }` where it loads later (default: loaded already),
 * `keepCookies` whether the client keeps its own cookie jar (no browser cookie store), `defaultAddress()` the
 * address used when none is given (a page's origin), or undefined; `openJournalFile` the
 * journal storage (js/journal-file.js, Node only: the browser entry has none).
 */
function defineClient({ WasmClient, wasm = LOADED, keepCookies, defaultAddress, openJournalFile, downsampleIndices }) {
  const downsample = defineDownsample(downsampleIndices);
  class DioptraClient {
    #wasm;
    constructor(address, options) {
      checkArity("new DioptraClient", 2, arguments);
      const fallback = defaultAddress();
      const make = (replies) => {
        try {
          return new WasmClient(address, options, fallback, keepCookies, readColumns, exchange, replies.deliver);
        } catch (raw) {
          throw toError(raw);
        }
      };
      this.#wasm = new WasmHandle(make, wasm, address, fallback);
      /** Login and logout. */
      this.auth = new AuthCollection(this.#wasm);
      /** A job's metrics. */
      this.jobs = new JobsCollection(this.#wasm, openJournalFile, downsample);
      /** Metrics across an experiment's jobs. */
      this.experiments = new ExperimentsCollection(this.#wasm, this.jobs, downsample);
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

export { defineClient, defineDownsample, makeReplayJournal, pageOrigin };
