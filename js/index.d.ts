// Types of dioptra-metrics: hand-written, because the generated ones say `any`.

/** Options for every call: its own time limit and an abort signal. */
export interface CallOptions {
  /** Abort the request when this signal fires (rejects with `DioptraAbortError`). */
  signal?: AbortSignal;
  /** Time limit for this call in milliseconds. Optional, defaults to the client's `timeoutMs`. */
  timeoutMs?: number;
}

/** Options of `new DioptraClient(address, options)`. */
export interface ClientOptions {
  /** Time limit per request in milliseconds (1 to 2147483647), counted from when the request gets its slot. Optional, defaults to 30000. */
  timeoutMs?: number;
  /**
   * The most requests this client has in flight at once (an integer, 1 to 256): every request
   * (direct calls, loggers, complete reads, login) waits for a slot. Optional, defaults to 16 in
   * Node and other runtimes without a browser's cookie jar, and 6 in browsers.
   */
  maxConcurrency?: number;
  /** How a browser sends its cookies. Optional, defaults to "same-origin". Ignored in Node. */
  credentials?: "same-origin" | "include" | "omit";
  /** Extra headers sent with every request (not `Cookie`, `Content-Type`, `Content-Length`, `Host`). */
  headers?: Record<string, string>;
}

/** A job id or experiment id: a positive integer, or a string of digits. */
export type ResourceId = number | string;

/** A metric value: any number, or a special value's name ("nan", "inf", "-inf", "NaN", "Infinity", "-Infinity", any case). */
export type MetricValueInput = number | string;

/** The latest value of one metric. */
export interface Metric {
  name: string;
  /** NaN, Infinity and -Infinity come back as those numbers. */
  value: number;
}

/** One point of a metric's history. */
export interface MetricSnapshot {
  name: string;
  value: number;
  step: number;
  timestamp: Date;
}

/** One job of an experiment with the latest value of each of its metrics. */
export interface JobMetrics {
  /** The job's id. */
  id: number;
  metrics: Metric[];
}

/** One page of a paged answer, as the server sends it. */
export interface Page<T> {
  index: number;
  isComplete: boolean;
  totalNumResults: number;
  first: string;
  next?: string;
  prev?: string;
  data: T[];
}

/** The answer to a login. */
export interface LoginResult {
  username: string;
  status: string;
}

/** What `auth.logout()` resolves to: Dioptra 1.2.2's answer. */
export interface LogoutResult {
  /** The user who was logged out. */
  username: string;
  /** Whether every session of the user was ended. */
  everywhere: boolean;
  /** The server's words, e.g. "Logout successful". */
  status: string;
}

/** Options of `auth.logout`. */
export interface LogoutOptions extends CallOptions {
  /** Log out of every session of this user. Optional, defaults to false. */
  everywhere?: boolean;
}

/** Options of `jobs.appendMetricById`. */
export interface AppendMetricOptions extends CallOptions {
  /** A safe integer. Optional: when omitted it is not sent, and the server uses 0. */
  step?: number;
  /** A valid Date, or an ISO 8601 / RFC 3339 string (UTC when it has no offset). Optional, defaults to the server's clock. */
  timestamp?: Date | string;
}

/** Options of `jobs.getMetricsSnapshotsById`. */
export interface SnapshotPageOptions extends CallOptions {
  /** The paging index (an integer ≥ 0). Optional, defaults to 0. */
  index?: number;
  /** Points per page, 1 to 1000. Optional, defaults to 10. */
  pageLength?: number;
}

/** Options of `experiments.getMetricsById`. */
export interface ExperimentMetricsOptions extends CallOptions {
  /** The element offset of the first job (an integer ≥ 0). Optional, defaults to 0. */
  index?: number;
  /** Jobs per page, 1 to 1000. Optional, defaults to 10. */
  pageLength?: number;
  /** The field to sort by. Optional. */
  sortBy?: string;
  /** Sort in descending order. Optional. */
  descending?: boolean;
  /** A search in Dioptra's query language. Optional. */
  search?: string;
}

/** How far a complete read has come. */
export interface ReadProgress {
  /** Distinct items read so far. */
  loaded: number;
  /** Items the server reports in all (it can grow while the read goes on). */
  total: number;
}

/** One page of a complete read: only items not handed out before. */
export interface ReadPage<T> extends ReadProgress {
  data: T[];
}

/** A complete read: iterate it for items, or call `pages()` for pages. Each iteration reads afresh. */
export interface PagedRead<T> extends AsyncIterable<T> {
  pages(): AsyncGenerator<ReadPage<T>, void, undefined>;
}

/** Options of the complete reads (`iterMetricsSnapshots`, `getMetricHistory`). */
export interface CompleteReadOptions extends CallOptions {
  /** Items per request, 1 to 1000. Optional, defaults to 1000 (lowered to the server's stated maximum if it refuses). */
  pageLength?: number;
  /** Requests in flight at once, 1 to 16, once the paging is understood. Optional, defaults to 2. */
  concurrency?: number;
  /** Called after each page. Optional. */
  onProgress?: (progress: ReadProgress) => void;
  /** How a failed page is asked again (the pages already read are kept). Optional. */
  retry?: ReadRetryOptions;
}

/**
 * `{ retries, minDelayMs, maxDelayMs, giveUpAfterMs }`: when a complete read asks a failed page
 * again (network errors, time-outs, 408, 429, 5xx, a 2xx that does not decode; `Retry-After`
 * honoured up to `maxDelayMs`). The read rejects with the page's last error once it has failed
 * for `giveUpAfterMs`; an abort stops the waiting at once.
 */
export interface ReadRetryOptions {
  /** Retries of one page after its first attempt, 0 to 1000. Optional, defaults to no bound by count (the time bound decides). */
  retries?: number;
  /** The first retry waits up to this many ms (doubling each time, with full jitter), 0 to 3600000. Optional, defaults to 100. */
  minDelayMs?: number;
  /** No wait is longer, not even one the server asks for with Retry-After; minDelayMs to 3600000. Optional, defaults to 10000. */
  maxDelayMs?: number;
  /** A page that has failed for this long (ms) fails the read; `Infinity` never gives up. Optional, defaults to 60000. */
  giveUpAfterMs?: number;
}

/** Options of the complete experiment reads (`iterMetrics`, `getAllMetrics`). */
export interface ExperimentReadOptions extends CompleteReadOptions {
  /** The field to sort by. Optional. */
  sortBy?: string;
  /** Sort in descending order. Optional. */
  descending?: boolean;
  /** A search in Dioptra's query language. Optional. */
  search?: string;
}

/**
 * `{ minDelayMs, maxDelayMs, giveUpAfterMs, retries }`: how a logger rides out failures. An
 * outage (no answer, 429, 502, 503, 504) pauses the whole queue and probes with one request at
 * a time; a point is given up only after `giveUpAfterMs` of continuous failure.
 */
export interface RetryOptions {
  /** The first wait is up to this many ms (doubling each time, with full jitter). Optional, defaults to 100. */
  minDelayMs?: number;
  /** No wait is longer, not even one a server asks for with Retry-After. Optional, defaults to 30000. */
  maxDelayMs?: number;
  /** A point is given up after this many ms of continuous failure (`Infinity`: never). Optional, defaults to 900000 (15 minutes). */
  giveUpAfterMs?: number;
  /** At most this many retries per point, 0 to 1000000. Optional: by default only `giveUpAfterMs` bounds them. */
  retries?: number;
}

/** A point a logger gave up on. */
export interface FailedPoint {
  name: string;
  /** The step (0 when it was left to the server). */
  step: number;
  value: number;
  error: DioptraError;
}

/** Options of `jobs.createLogger`. */
export interface LoggerOptions {
  /** Requests in flight at most, 1 to 64. Optional, defaults to 4. */
  concurrency?: number;
  /** Points are sent in the background every this many ms (0: at once). Optional, defaults to 1000. */
  flushIntervalMs?: number;
  /** Points held at most; beyond it `log()` throws DioptraQueueFullError. Optional, defaults to 100000. */
  maxQueue?: number;
  /** When to try again: outages (no answer, 429, 502-504) pause the queue; 408, 500 and answers that are not the point are retried per point; 403/404/410 fail the whole queue at once; other 4xx fail their point. */
  retry?: RetryOptions;
  /**
   * Called for each point given up on, and for journal reports (a torn tail, a damaged journal
   * moved aside: then the second argument is a JournalReportInfo). A method, so a callback
   * typed for FailedPoint alone still fits.
   */
  onError?(error: DioptraError, point: FailedPoint | JournalReportInfo): void;
  /**
   * Called once when the session expires (401): the queue pauses, and resumes when the returned
   * promise resolves (e.g. `() => client.auth.login(user, password)`). Optional: without it a 401
   * fails the queue once.
   */
  onUnauthorized?: () => Promise<unknown> | unknown;
  /** "client": points logged without a timestamp get the client's clock at `log()`; "server": the server stamps them on arrival. Optional, defaults to "client". */
  timestamp?: "client" | "server";
  /** Node: on SIGINT/SIGTERM, flush for at most this many ms before the process ends. Optional, defaults to 3000. */
  exitFlushMs?: number;
  /** Called after each request. */
  onProgress?: (progress: { sent: number; queued: number }) => void;
  /** "auto": a point logged without a step gets its name's next step (0, 1, 2, ...). Optional: by default the step is left out (the server's 0). */
  step?: "auto";
  /** Time limit per request in ms. Optional, defaults to the client's. */
  timeoutMs?: number;
  /**
   * A durable journal: points survive a crash and are sent by the next logger on it. Node: a
   * file, or a directory that gets "dioptra-metrics.journal". Browsers: "indexeddb" or
   * `{ indexedDB: "database name" }`. See the README's "Durable journal".
   */
  journal?: string | JournalOptions | { indexedDB: string };
}

/** The `journal` option as an object. */
export interface JournalOptions {
  /** The journal file, or a directory for it. */
  path: string;
  /** "none": in the OS when `log()` returns (survives a process kill); "interval" (the default): plus an fdatasync every `syncIntervalMs`; "always": an fdatasync per `log()` (survives a power loss). */
  sync?: "none" | "interval" | "always";
  /** For sync "interval", in ms. Optional, defaults to 1000. */
  syncIntervalMs?: number;
}

/** What `onError` gets with a journal report (its error has `code` "EJOURNALTORN", "EJOURNALCORRUPT" or "EJOURNALWRITE"). */
export interface JournalReportInfo {
  /** The journal file. */
  journal: string;
  /** Where a damaged journal was moved. */
  movedTo?: string;
}

/** What `replayJournal` did. */
export interface JournalReplay {
  /** The journal file. */
  path: string;
  /** The job it was written for (null: there was no journal). */
  jobId: number | null;
  /** Points it held unacknowledged. */
  journaled: number;
  /** Points stored. */
  sent: number;
  /** Points given up on (listed in `failures`). */
  failed: number;
  /** Points still in the journal (then the file is kept). */
  left: number;
  /** The points given up on. */
  failures: FailedPoint[];
}

/** Options of one `log()` call. */
export interface LogOptions {
  /** A safe integer. Optional (see the logger's `step` option). */
  step?: number;
  /** A valid Date or an ISO 8601 string. Optional, defaults to the time of the `log()` call (see the logger's `timestamp` option). */
  timestamp?: Date | string;
}

/** Options of `flush()` and `close()`. */
export interface FlushOptions {
  /** Give up waiting after this many ms: the promise rejects with DioptraFlushError listing the unsent points. Optional. */
  timeoutMs?: number;
  /** Stop waiting when it fires, likewise. Optional. */
  signal?: AbortSignal;
}

/** A logger's counters. */
export interface LoggerStats {
  /** Points waiting to be sent. */
  queued: number;
  /** Requests under way. */
  inFlight: number;
  /** Points stored. */
  sent: number;
  /** Retries made. */
  retried: number;
  /** Points replaced by a later value for the same (name, step) before being sent. */
  coalesced: number;
  /** Points given up on. */
  failed: number;
  /** Requests started. */
  requests: number;
  /** "sending", "outage" (paused, probing one request at a time) or "unauthorized" (waiting for `onUnauthorized`). */
  /** "sending", "outage" (paused, probing one request at a time), "unauthorized" (waiting for `onUnauthorized`), "loading" / "failed" (the wasm is still loading, a browser's first moments / could not be loaded). */
  state: "sending" | "outage" | "unauthorized" | "loading" | "failed";
  /** With a journal: points in it not yet acknowledged by the server (in memory or on disk only). */
  journaled?: number;
  /** With a journal: of those, points kept in the journal only, past `maxQueue` (read back as the queue drains). */
  spilled?: number;
  /** With a journal: appends not yet committed (IndexedDB is asynchronous; always 0 for a file). */
  journalPending?: number;
}

/** `Symbol.asyncDispose` where the TypeScript library declares it (esnext.disposable, TS 5.2+), else nothing. */
type AsyncDisposeKey = SymbolConstructor extends { readonly asyncDispose: infer S extends symbol } ? S : never;
/** `[Symbol.asyncDispose]()`, for `await using`: closes the logger. */
type AsyncDisposeMethod = { [K in AsyncDisposeKey]: () => Promise<void> };

/** A metric logger for one job; `await using logger = ...` closes it at the end of the scope (TypeScript: lib esnext.disposable). */
export interface MetricLogger extends AsyncDisposeMethod {
  /**
   * Validates and queues `metrics` at once (synchronous); throws DioptraValidationError or DioptraQueueFullError.
   * @example
   * logger.log({ loss: 0.42, accuracy: 0.9 }, { step: 3 });
   * @throws {DioptraValidationError} a bad name, value, step or timestamp (before the wasm is
   *   ready in a browser: only arguments that are not objects; see the README's "How the package loads").
   * @throws {DioptraQueueFullError} `maxQueue` points are held already.
   * @throws {DioptraLoggerClosedError} after `close()`.
   */
  log(metrics: Record<string, MetricValueInput>, options?: LogOptions): void;
  /**
   * Like `log()`, but waits for room in a full queue.
   * @example
   * for (const row of rows) await logger.logAsync({ loss: row.loss }, { step: row.step });
   * @throws {DioptraValidationError | DioptraLoggerClosedError} (a rejection) as `log()` throws.
   */
  logAsync(metrics: Record<string, MetricValueInput>, options?: LogOptions): Promise<void>;
  /**
   * Resolves when every point logged before the call is stored; rejects with DioptraFlushError if
   * any was given up on, or when the deadline passes (the unsent points then stay queued).
   * @example
   * await logger.flush({ timeoutMs: 5000 });
   * @throws {DioptraFlushError} (a rejection) points given up on, or still unsent at the deadline.
   * @throws {DioptraValidationError} (a rejection) bad options.
   */
  flush(options?: FlushOptions): Promise<void>;
  /**
   * Flushes, then stops: later `log()` calls throw DioptraLoggerClosedError. Past the deadline the unsent points are given up.
   * @example
   * await logger.close();
   * @throws {DioptraFlushError} (a rejection) points that could not be stored, with their errors.
   * @throws {DioptraValidationError} (a rejection) bad options.
   */
  close(options?: FlushOptions): Promise<void>;
  readonly stats: LoggerStats;
}

/** Options of `jobs.logMetrics`: the point's step and timestamp, and the logger options that apply. */
export interface LogMetricsOptions extends LogOptions {
  concurrency?: number;
  retry?: RetryOptions;
  timeoutMs?: number;
}

/** `client.auth`: the session. */
export interface AuthCollection {
  /**
   * POST /auth/login. Outside browsers the client keeps the session cookie itself.
   * @example
   * const { username, status } = await client.auth.login("me", process.env.DIOPTRA_PASSWORD);
   * @throws {DioptraValidationError} (a rejection) a missing or non-string username or password.
   * @throws {DioptraApiError} (a rejection) 401 for wrong credentials (the server's words); 404
   *   when no Dioptra API answered at the client's address (the message says so).
   * @throws {DioptraNetworkError | DioptraTimeoutError | DioptraAbortError} (a rejection) no
   *   answer (the message names the origin and, in a page on another origin, why cookies fail).
   */
  login(username: string, password: string, options?: CallOptions): Promise<LoginResult>;
  /**
   * POST /auth/logout. Resolves to the server's answer; the client forgets its session either way.
   * @example
   * await client.auth.logout(); // { username: "me", everywhere: false, status: "Logout successful" }
   * @throws {DioptraValidationError} (a rejection) bad options.
   * @throws {DioptraApiError | DioptraNetworkError | DioptraTimeoutError | DioptraAbortError} (a rejection)
   */
  logout(options?: LogoutOptions): Promise<LogoutResult>;
}

/** `client.jobs`: a job's metrics (mirrors Dioptra's `client.jobs`). */
export interface JobsCollection {
  /**
   * The latest (highest-step) value of each of the job's metrics.
   * @example
   * const latest = await client.jobs.getMetricsById(17); // [{ name: "loss", value: 0.87 }]
   * @throws {DioptraValidationError} (a rejection) bad arguments or options; nothing is sent.
   * @throws {DioptraApiError} (a rejection) a status outside 200–299: 401 when not logged in
   *   (the message says to call `auth.login` first), 404 when the job or experiment does not exist.
   * @throws {DioptraNetworkError | DioptraTimeoutError | DioptraAbortError | DioptraDecodeError}
   *   (a rejection) no answer (the message names the origin), no answer in time, `signal`
   *   fired, or an answer that is not what the endpoint promises.
   */
  getMetricsById(jobId: ResourceId, options?: CallOptions): Promise<Metric[]>;
  /**
   * One page of a metric's history.
   * @example
   * const page = await client.jobs.getMetricsSnapshotsById(17, "loss", { pageLength: 100 });
   * for (const { step, value, timestamp } of page.data) console.log(step, value, timestamp);
   * @throws {DioptraValidationError} (a rejection) bad arguments or options; nothing is sent.
   * @throws {DioptraApiError} (a rejection) a status outside 200–299: 401 when not logged in
   *   (the message says to call `auth.login` first), 404 when the job or experiment does not exist.
   * @throws {DioptraNetworkError | DioptraTimeoutError | DioptraAbortError | DioptraDecodeError}
   *   (a rejection) no answer (the message names the origin), no answer in time, `signal`
   *   fired, or an answer that is not what the endpoint promises.
   */
  getMetricsSnapshotsById(jobId: ResourceId, metricName: string, options?: SnapshotPageOptions): Promise<Page<MetricSnapshot>>;
  /**
   * Stores one value; the same name and step again overwrites it.
   * @example
   * await client.jobs.appendMetricById(17, "loss", 0.42, { step: 3 });
   * @throws {DioptraValidationError} (a rejection) bad arguments or options; nothing is sent.
   * @throws {DioptraApiError} (a rejection) a status outside 200–299: 401 when not logged in
   *   (the message says to call `auth.login` first), 404 when the job or experiment does not exist.
   * @throws {DioptraNetworkError | DioptraTimeoutError | DioptraAbortError | DioptraDecodeError}
   *   (a rejection) no answer (the message names the origin), no answer in time, `signal`
   *   fired, or an answer that is not what the endpoint promises.
   */
  appendMetricById(jobId: ResourceId, metricName: string, metricValue: MetricValueInput, options?: AppendMetricOptions): Promise<Metric>;
  /**
   * Every point of a metric's history, fetched page by page as the loop asks, each once.
   * @example
   * for await (const point of client.jobs.iterMetricsSnapshots(17, "loss")) console.log(point.step, point.value);
   * @throws The loop throws what `getMetricsSnapshotsById` rejects with (after the `retry` policy).
   */
  iterMetricsSnapshots(jobId: ResourceId, metricName: string, options?: CompleteReadOptions): PagedRead<MetricSnapshot>;
  /**
   * A metric's whole history, each point once, ordered by step.
   * @example
   * const history = await client.jobs.getMetricHistory(17, "loss", { onProgress: console.log });
   * @throws {DioptraValidationError} (a rejection) bad arguments or options; nothing is sent.
   * @throws {DioptraApiError} (a rejection) a status outside 200–299: 401 when not logged in
   *   (the message says to call `auth.login` first), 404 when the job or experiment does not exist.
   * @throws {DioptraNetworkError | DioptraTimeoutError | DioptraAbortError | DioptraDecodeError}
   *   (a rejection) no answer (the message names the origin), no answer in time, `signal`
   *   fired, or an answer that is not what the endpoint promises.
   */
  getMetricHistory(jobId: ResourceId, metricName: string, options?: CompleteReadOptions): Promise<MetricSnapshot[]>;
  /**
   * A logger for one job: fire-and-forget logging with batching, retries and coalescing.
   * @example
   * const logger = client.jobs.createLogger(17);
   * logger.log({ loss: 0.42, accuracy: 0.9 }, { step: 3 });
   * await logger.close();
   * @throws {DioptraValidationError} (thrown) a bad job id or option. Where the wasm is still
   *   loading (a browser's first moments), options are checked once it is, and a problem is
   *   reported by the logger's `onError`, `flush()` and `close()`.
   */
  createLogger(jobId: ResourceId, options?: LoggerOptions): MetricLogger;
  /**
   * Stores several metrics of one job at once; resolves when all are stored.
   * @example
   * await client.jobs.logMetrics(17, { loss: 0.42, accuracy: 0.9 }, { step: 3 });
   * @throws {DioptraValidationError} bad arguments (thrown for bad options, else a rejection).
   * @throws {DioptraFlushError} (a rejection) points that could not be stored, with their errors.
   */
  logMetrics(jobId: ResourceId, metrics: Record<string, MetricValueInput>, options?: LogMetricsOptions): Promise<void>;
}

/** `client.experiments`: metrics across an experiment's jobs. */
export interface ExperimentsCollection {
  /**
   * One page of the experiment's jobs, each with its latest metrics.
   * @example
   * const page = await client.experiments.getMetricsById(5, { sortBy: "id", pageLength: 50 });
   * @throws {DioptraValidationError} (a rejection) bad arguments or options; nothing is sent.
   * @throws {DioptraApiError} (a rejection) a status outside 200–299: 401 when not logged in
   *   (the message says to call `auth.login` first), 404 when the job or experiment does not exist.
   * @throws {DioptraNetworkError | DioptraTimeoutError | DioptraAbortError | DioptraDecodeError}
   *   (a rejection) no answer (the message names the origin), no answer in time, `signal`
   *   fired, or an answer that is not what the endpoint promises.
   */
  getMetricsById(experimentId: ResourceId, options?: ExperimentMetricsOptions): Promise<Page<JobMetrics>>;
  /**
   * Every job of the experiment with its latest metrics, fetched page by page as the loop asks.
   * @example
   * for await (const job of client.experiments.iterMetrics(5)) console.log(job.id, job.metrics);
   * @throws The loop throws what `getMetricsById` rejects with (after the `retry` policy).
   */
  iterMetrics(experimentId: ResourceId, options?: ExperimentReadOptions): PagedRead<JobMetrics>;
  /**
   * Every job of the experiment with its latest metrics.
   * @example
   * const jobs = await client.experiments.getAllMetrics(5);
   * @throws {DioptraValidationError} (a rejection) bad arguments or options; nothing is sent.
   * @throws {DioptraApiError} (a rejection) a status outside 200–299: 401 when not logged in
   *   (the message says to call `auth.login` first), 404 when the job or experiment does not exist.
   * @throws {DioptraNetworkError | DioptraTimeoutError | DioptraAbortError | DioptraDecodeError}
   *   (a rejection) no answer (the message names the origin), no answer in time, `signal`
   *   fired, or an answer that is not what the endpoint promises.
   */
  getAllMetrics(experimentId: ResourceId, options?: ExperimentReadOptions): Promise<JobMetrics[]>;
}

/** A client for one Dioptra server. */
export declare class DioptraClient {
  /**
   * @param address The server root, e.g. "http://localhost:5000" (`/api/v1` is appended; a
   *   trailing `/` or an explicit `/api/v1` is tolerated). Optional in a browser page, where it
   *   defaults to the page's origin. Outside a page it is required: leaving it out throws a
   *   DioptraValidationError at run time (the types cannot tell: one type file serves every
   *   runtime's ESM consumers).
   * @example
   * const client = new DioptraClient("http://localhost:5000");
   * const sameOrigin = new DioptraClient(); // in a page served with the API
   * @throws {DioptraValidationError} (thrown at once, even before the wasm is loaded) a bad
   *   address; bad options too, except before the wasm is ready in a browser, where each call
   *   of the client then rejects with that error.
   */
  constructor(address?: string, options?: ClientOptions);
  /** The API base URL requests go to. */
  readonly baseUrl: string;
  readonly auth: AuthCollection;
  readonly jobs: JobsCollection;
  readonly experiments: ExperimentsCollection;
  toJSON(): { baseUrl: string };
}

/**
 * Node only: sends the points a journal holds (left by a process that died) to the job it was
 * written for, then removes it. `options`: logger options. A journal for another address than
 * the client's is refused (DioptraValidationError).
 * @example
 * const report = await replayJournal(client, "runs/17.journal"); // { path, jobId, journaled, sent, failed, left, failures }
 * @throws {DioptraValidationError} (a rejection) a bad path or options, a journal for another
 *   address, or outside Node (there are no journal files).
 */
export declare function replayJournal(
  client: DioptraClient,
  path: string | JournalOptions,
  options?: Omit<LoggerOptions, "journal">,
): Promise<JournalReplay>;

/** What `replayJournals` did with one IndexedDB journal. */
export interface TabJournalReplay {
  /** The job it was written for. */
  jobId: number;
  /** The API base URL it was written for. */
  baseUrl: string;
  /** Points stored. */
  sent: number;
  /** Points given up on. */
  failed: number;
  /** Points still in the journal. */
  left: number;
  /** Why it was not sent: a logger in a live tab writes it ("locked"), or it is for another API ("other-address"); else null. */
  skipped: null | "locked" | "other-address";
}

/**
 * Browsers: sends every journal that closed tabs of this origin left in IndexedDB (every job at
 * the client's address; default client: this page's origin), each once, and removes it. A
 * journal that a logger in a live tab writes is left to it (Web Locks). `options`: logger
 * options, and `indexedDB`, the database name (default "dioptra-metrics"). Rejects in Node.
 */
export declare function replayJournals(
  client?: DioptraClient,
  options?: Omit<LoggerOptions, "journal"> & { indexedDB?: string },
): Promise<TabJournalReplay[]>;

/** Bytes of wasm memory the package holds (it grows when needed, never shrinks): for watching long runs. */
export declare function wasmMemoryBytes(): number;

/** The base class of every error this package throws. */
export declare class DioptraError extends Error {}

/** Bad input, refused before any request was sent. */
export declare class DioptraValidationError extends DioptraError {
  readonly name: "DioptraValidationError";
  /** The argument or option at fault (`metricName`, `step`, ...). */
  readonly field: string;
}

/** The server answered with a status outside 200–299. */
export declare class DioptraApiError extends DioptraError {
  readonly name: "DioptraApiError";
  readonly status: number;
  /** The server's error type, e.g. "EntityDoesNotExistError", or null. */
  readonly errorType: string | null;
  /** The server's per-field messages, or null. */
  readonly fieldErrors: Record<string, string[]> | null;
  readonly method: string;
  readonly path: string;
}

/** The request got no answer (refused, reset, DNS, CORS, ...). */
export declare class DioptraNetworkError extends DioptraError {
  readonly name: "DioptraNetworkError";
  readonly method: string;
  readonly path: string;
}

/** No complete answer within the time limit. */
export declare class DioptraTimeoutError extends DioptraError {
  readonly name: "DioptraTimeoutError";
  readonly timeoutMs: number;
  readonly method: string;
  readonly path: string;
}

/** The caller's AbortSignal fired. */
export declare class DioptraAbortError extends DioptraError {
  readonly name: "DioptraAbortError";
  readonly method: string;
  readonly path: string;
}

/** A 2xx answer whose body is not what the endpoint promises. */
export declare class DioptraDecodeError extends DioptraError {
  readonly name: "DioptraDecodeError";
  readonly method: string;
  readonly path: string;
}

/** A logger's queue is full. */
export declare class DioptraQueueFullError extends DioptraError {
  readonly name: "DioptraQueueFullError";
  readonly maxQueue: number;
}

/** `log()` on a closed logger. */
export declare class DioptraLoggerClosedError extends DioptraError {
  readonly name: "DioptraLoggerClosedError";
}

/** Points logged before a `flush()` or `close()` were given up on. */
export declare class DioptraFlushError extends DioptraError {
  readonly name: "DioptraFlushError";
  readonly points: FailedPoint[];
  readonly errors: DioptraError[];
}

// ---- Charts, live tails and export (issue 12) ---------------------------------------------
// Declaration merging adds these methods to the collections above.

/** One experiment, as `experiments.list` returns it. */
export interface ExperimentSummary {
  id: number;
  name: string;
  /** `null` when it has none. */
  description: string | null;
}

/** One job of an experiment, as `experiments.getJobs` returns it. */
export interface JobSummary {
  id: number;
  /** `queued`, `started`, `finished`, `failed`, ... */
  status: string;
  createdOn: Date;
}

/** Options of `experiments.list`. */
export interface ExperimentListOptions extends CompleteReadOptions {
  /** A search in Dioptra's query language, e.g. `"name:mnist*"`. Optional. */
  search?: string;
}

export interface ExperimentsCollection {
  /** Every experiment the user can see (GET /experiments/), in the server's order. */
  list(options?: ExperimentListOptions): Promise<ExperimentSummary[]>;
  /** Every job of an experiment (GET /experiments/{id}/jobs), in the server's order. */
  getJobs(experimentId: ResourceId, options?: CompleteReadOptions): Promise<JobSummary[]>;
}

/** A downsampling method: MinMaxLTTB (default), LTTB, M4 or MinMax. */
export type DownsampleMethod = "minmax-lttb" | "lttb" | "m4" | "minmax";

/** A metric's history as chart-ready columns, sorted by step. */
export interface MetricSeries {
  jobId: number;
  name: string;
  steps: Float64Array;
  /** NaN and ±Infinity as those numbers. */
  values: Float64Array;
  /** Milliseconds since the epoch. */
  timestamps: Float64Array;
  /** Points before downsampling. */
  total: number;
}

/** Options of `jobs.getMetricSeries`. */
export interface MetricSeriesOptions extends CompleteReadOptions {
  /** Downsample to at most this many points (at least 3). Optional, defaults to no downsampling. */
  maxPoints?: number;
  /** The method used with `maxPoints`. Optional, defaults to "minmax-lttb". */
  downsample?: DownsampleMethod;
}

export interface JobsCollection {
  /** A metric's whole history as columns sorted by step, downsampled to `maxPoints` when given. */
  getMetricSeries(jobId: ResourceId, metricName: string, options?: MetricSeriesOptions): Promise<MetricSeries>;
}

/**
 * The indices of `(x, y)` to keep for a chart of at most `maxPoints` (>= 3) points, ascending.
 * The first and last are always kept; NaN and ±Infinity values are kept (one per bucket) and
 * never distort their neighbours; x must be finite and ascending (repeats allowed). On finite
 * data "lttb" and "minmax-lttb" keep exactly what tsdownsample 0.1.5.1 keeps.
 */
export declare function downsample(
  x: Float64Array | readonly number[],
  y: Float64Array | readonly number[],
  maxPoints: number,
  options?: { method?: DownsampleMethod },
): Uint32Array;

/**
 * Resolves once the WebAssembly module is loaded. Only a `downsample()` call made before any
 * client call needs it (every other function waits for the module by itself); in Node the
 * module loads synchronously on first use (`downsample()` included) and in workers at import,
 * so there it resolves at once.
 * @example
 * await ready();
 * const kept = downsample(steps, values, 500);
 */
export declare function ready(): Promise<void>;

/** A point `watchMetrics` yields: `overwrite` is true when it replaced a point already yielded. */
export interface WatchedSnapshot extends MetricSnapshot {
  overwrite?: true;
}

/** Options of `jobs.watchMetrics`. */
export interface WatchMetricsOptions {
  /** Watch only these metrics. Optional, defaults to every metric of the job (new names found while watching). */
  names?: string[];
  /** Ms between polls. Optional, defaults to 2000. */
  intervalMs?: number;
  /** Stops the watch (the iteration ends; requests in flight are aborted and awaited). Optional. */
  signal?: AbortSignal;
  /** Yield the stored history first. Optional, defaults to false (only points stored after the start). */
  fromStart?: boolean;
  /**
   * "tail" (default): every poll reads each metric's last page, so every new point is seen.
   * "latest": one request per quiet poll (GET /jobs/{id}/metrics); a metric is read only when
   * its latest value changed, so a new point equal to the latest value, a point below the
   * highest step, and overwrites below the highest step are not seen until a later change.
   */
  detect?: "tail" | "latest";
  /** Points per page request, 1 to 1000. Optional, defaults to 1000. */
  pageLength?: number;
  /** Metrics read at once in a poll, 1 to 16. Optional, defaults to 4. */
  concurrency?: number;
  /** The time limit of one request, in ms. Optional, defaults to the client's. */
  timeoutMs?: number;
  /** Transient failures (no answer, 408, 429, 5xx) are retried with backoff until `giveUpAfterMs` (default 900000) of continuous failure. */
  retry?: { minDelayMs?: number; maxDelayMs?: number; giveUpAfterMs?: number };
  /** Called with each transient error the watch rides out. Optional. */
  onError?: (error: DioptraError) => void;
  /** Called after each poll (the first one reads what is already stored): the points it found, whether it succeeded, how long it took (ms). Optional. */
  onPoll?: (poll: { points: number; ok: boolean; ms: number }) => void;
}

export interface JobsCollection {
  /** A live tail of the job's metrics: each stored point once, as it is stored. */
  watchMetrics(jobId: ResourceId, options?: WatchMetricsOptions): AsyncIterableIterator<WatchedSnapshot>;
}

/** One job's column in a comparison. */
export interface ComparedJob {
  jobId: number;
  /** NaN where the job has no point at that step (see `present`), or where it stored NaN. */
  values: Float64Array;
  /** 1 where the job has a point at that step, 0 where it has none. */
  present: Uint8Array;
  /** The job's points before downsampling. */
  total: number;
}

/** Options of `experiments.compareMetric`. */
export interface CompareMetricOptions extends MetricSeriesOptions {
  /** The jobs to compare. Optional, defaults to every job of the experiment that has the metric, by id. */
  jobIds?: ResourceId[];
}

export interface ExperimentsCollection {
  /** One metric across jobs, aligned on the union of their steps; downsampled together with `maxPoints`. */
  compareMetric(
    experimentId: ResourceId,
    metricName: string,
    options?: CompareMetricOptions,
  ): Promise<{ name: string; steps: Float64Array; jobs: ComparedJob[] }>;
}

/** What `toCSV` and `toJSONLines` take: a series, several, or metric snapshots (e.g. from `watchMetrics`). */
export type ExportInput = MetricSeries | MetricSeries[] | ReadonlyArray<MetricSnapshot & { jobId?: number; overwrite?: true }>;

/**
 * CSV with the header `jobId,name,step,value,timestamp`: values as Dioptra spells them (NaN
 * "nan", ±Infinity "inf" / "-inf"), timestamps RFC 3339 in UTC. Options: `header` (default
 * true), `jobId` (for snapshots that carry none).
 */
export declare function toCSV(input: ExportInput, options?: { header?: boolean; jobId?: number }): string;
/** JSON Lines, one `{ jobId, name, step, value, timestamp }` a line (values as in Dioptra's JSON). */
export declare function toJSONLines(input: ExportInput, options?: { jobId?: number }): string;
