// dioptra-metrics from TypeScript: every method, every option and every error class, with the
// types the package promises. It is type-checked, not run (it would need a Dioptra server):
//
//   node scripts/build.mjs                     # the types come from dist/, via the exports map
//   node_modules/.bin/tsc --strict --noEmit -p examples/typescript
//
// pkg-tests/packaging.test.mjs checks a copy of this file against the installed npm tarball,
// with `moduleResolution` "node16" (Node's `node` condition: dist/index.d.cts; from an ES module
// and from a CommonJS one) and "bundler" (the default condition: dist/index.d.ts). The `Exact<...>` lines fail if a type drifts or
// turns into `any`; the `@ts-expect-error` lines fail if misuse stops being an error.

import {
  DioptraAbortError,
  DioptraApiError,
  DioptraClient,
  DioptraDecodeError,
  DioptraError,
  DioptraFlushError,
  DioptraLoggerClosedError,
  DioptraNetworkError,
  DioptraQueueFullError,
  DioptraTimeoutError,
  DioptraValidationError,
  replayJournal,
  replayJournals,
  wasmMemoryBytes,
  downsample,
  toCSV,
  toJSONLines,
} from "dioptra-metrics";
import type {
  AppendMetricOptions,
  AuthCollection,
  CallOptions,
  ClientOptions,
  CompleteReadOptions,
  ExperimentMetricsOptions,
  ExperimentReadOptions,
  ExperimentsCollection,
  FailedPoint,
  JobMetrics,
  JobsCollection,
  JournalOptions,
  JournalReplay,
  TabJournalReplay,
  JournalReportInfo,
  LogMetricsOptions,
  LogOptions,
  LoggerOptions,
  LoggerStats,
  FlushOptions,
  LoginResult,
  LogoutOptions,
  MetricLogger,
  Metric,
  MetricSnapshot,
  MetricValueInput,
  Page,
  PagedRead,
  ReadPage,
  ReadRetryOptions,
  ReadProgress,
  ResourceId,
  RetryOptions,
  SnapshotPageOptions,
  ExperimentSummary,
  JobSummary,
  ExperimentListOptions,
  DownsampleMethod,
  MetricSeries,
  MetricSeriesOptions,
  WatchedSnapshot,
  WatchMetricsOptions,
  ComparedJob,
  CompareMetricOptions,
  ExportInput,
} from "dioptra-metrics";

/** `true` only when A and B are the same type (`any` is the same only as `any`). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when its argument is `true`. */
type Exact<T extends true> = T;

// ---- The client and its options -------------------------------------------------------------

const clientOptions: ClientOptions = {
  timeoutMs: 10_000,
  credentials: "include",
  headers: { "X-Request-Source": "usage.ts" },
  maxConcurrency: 8,
};
const client = new DioptraClient("http://localhost:5000", clientOptions);
// In a browser page the address may be left out (it defaults to the page's origin).
const sameOrigin: DioptraClient = new DioptraClient();
const omitCookies = new DioptraClient("http://localhost:5000/api/v1", { credentials: "omit" });

const baseUrl: string = client.baseUrl;
const asJson: { baseUrl: string } = client.toJSON();
const auth: AuthCollection = client.auth;
const jobs: JobsCollection = client.jobs;
const experiments: ExperimentsCollection = omitCookies.experiments;
type _ClientShape = Exact<Equal<typeof client.toJSON, () => { baseUrl: string }>>;
console.log(baseUrl, asJson.baseUrl, sameOrigin.baseUrl, auth, jobs, experiments);

// ---- Calls ----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const controller = new AbortController();
  const callOptions: CallOptions = { signal: controller.signal, timeoutMs: 5_000 };

  // auth.login / auth.logout
  const session = await client.auth.login("tester", "secret", callOptions);
  type _Login = Exact<Equal<typeof session, LoginResult>>;
  console.log(`${session.username}: ${session.status}`);

  // jobs.appendMetricById: a number or a special value's name; step and timestamp optional.
  const jobId: ResourceId = 17;
  const appendOptions: AppendMetricOptions = {
    step: 3,
    timestamp: new Date("2024-05-01T12:00:00Z"),
    signal: controller.signal,
    timeoutMs: 2_000,
  };
  const stored = await client.jobs.appendMetricById(jobId, "loss", 0.25, appendOptions);
  type _Append = Exact<Equal<typeof stored, Metric>>;
  const value: MetricValueInput = "nan";
  await client.jobs.appendMetricById("17", "accuracy", value, { step: 4, timestamp: "2024-05-01T12:00:00Z" });
  await client.jobs.appendMetricById(17, "accuracy", -Infinity);

  // jobs.getMetricsById: the latest value of each metric.
  const latest = await client.jobs.getMetricsById(jobId, { timeoutMs: 1_000 });
  type _Latest = Exact<Equal<typeof latest, Metric[]>>;
  for (const metric of latest) {
    const name: string = metric.name;
    const v: number = metric.value;
    console.log(name, Number.isNaN(v) ? "NaN" : v.toFixed(3));
  }

  // jobs.getMetricsSnapshotsById: one page of a metric's history.
  const snapshotOptions: SnapshotPageOptions = { index: 0, pageLength: 100, signal: controller.signal, timeoutMs: 3_000 };
  const page: Page<MetricSnapshot> = await client.jobs.getMetricsSnapshotsById(jobId, "loss", snapshotOptions);
  type _Snapshots = Exact<Equal<Awaited<ReturnType<JobsCollection["getMetricsSnapshotsById"]>>, Page<MetricSnapshot>>>;
  const point: MetricSnapshot | undefined = page.data[0];
  if (point) {
    type _Timestamp = Exact<Equal<typeof point.timestamp, Date>>;
    console.log(point.name, point.value, point.step.toFixed(0), point.timestamp.getTime(), point.timestamp.toISOString());
  }
  const index: number = page.index;
  const complete: boolean = page.isComplete;
  const total: number = page.totalNumResults;
  const first: string = page.first;
  const next: string | undefined = page.next;
  const prev: string | undefined = page.prev;
  type _Next = Exact<Equal<Page<Metric>["next"], string | undefined>>;
  console.log(index, complete, total, first, next ?? "(last page)", prev ?? "(first page)");

  // experiments.getMetricsById: one page of jobs with their latest metrics.
  const experimentOptions: ExperimentMetricsOptions = {
    index: 10,
    pageLength: 10,
    sortBy: "id",
    descending: true,
    search: "loss",
    signal: controller.signal,
    timeoutMs: 4_000,
  };
  const jobsPage = await client.experiments.getMetricsById("5", experimentOptions);
  type _Experiment = Exact<Equal<typeof jobsPage, Page<JobMetrics>>>;
  for (const job of jobsPage.data) {
    const id: number = job.id;
    const metrics: Metric[] = job.metrics;
    console.log(id, metrics.map((m) => `${m.name}=${m.value}`).join(", "));
  }

  // Complete reads: every point of a history, every job of an experiment, each once.
  const onProgress = (progress: ReadProgress): void => console.log(`${progress.loaded}/${progress.total}`);
  // A failed page is asked again alone; the read gives up after a minute of failures.
  const readRetry: ReadRetryOptions = { retries: 10, minDelayMs: 100, maxDelayMs: 10_000, giveUpAfterMs: 60_000 };
  const readOptions: CompleteReadOptions = { pageLength: 1000, concurrency: 2, onProgress, retry: readRetry, signal: controller.signal, timeoutMs: 5_000 };
  const history: MetricSnapshot[] = await client.jobs.getMetricHistory(jobId, "loss", readOptions);
  type _History = Exact<Equal<typeof history, MetricSnapshot[]>>;
  const read: PagedRead<MetricSnapshot> = client.jobs.iterMetricsSnapshots(jobId, "loss", { concurrency: 1 });
  for await (const snapshot of read) {
    type _Streamed = Exact<Equal<typeof snapshot, MetricSnapshot>>;
    console.log(snapshot.step, snapshot.timestamp.toISOString());
  }
  for await (const historyPage of read.pages()) {
    const pageOfPoints: ReadPage<MetricSnapshot> = historyPage;
    console.log(pageOfPoints.data.length, pageOfPoints.loaded, pageOfPoints.total);
  }
  const experimentRead: ExperimentReadOptions = { sortBy: "id", descending: false, search: "loss", pageLength: 50 };
  for await (const job of client.experiments.iterMetrics(5, experimentRead)) {
    type _Job = Exact<Equal<typeof job, JobMetrics>>;
    console.log(job.id, job.metrics.length);
  }
  const everyJob: JobMetrics[] = await client.experiments.getAllMetrics("5", { ...experimentRead, onProgress });
  console.log(everyJob.length, history.length);

  // The logger: log() is synchronous; flush() and close() settle when the server has it all.
  const retry: RetryOptions = { retries: 5, minDelayMs: 100, maxDelayMs: 10_000, giveUpAfterMs: Infinity };
  const loggerOptions: LoggerOptions = {
    concurrency: 4,
    flushIntervalMs: 1000,
    maxQueue: 100_000,
    retry,
    onError: (error: DioptraError, failed: FailedPoint) => console.error(failed.name, failed.step, failed.value, error.message),
    onProgress: ({ sent, queued }) => console.log(sent, queued),
    onUnauthorized: () => client.auth.login("alice", "secret"),
    step: "auto",
    timestamp: "client",
    exitFlushMs: 3000,
    timeoutMs: 10_000,
  };
  const logger: MetricLogger = client.jobs.createLogger(jobId, loggerOptions);
  const logOptions: LogOptions = { step: 3, timestamp: new Date() };
  logger.log({ accuracy: 0.91, loss: NaN }, logOptions);
  logger.log({ lr: 1e-3 });
  await logger.logAsync({ lr: "inf" }, { timestamp: "2026-11-27T05:41:08Z" });
  const deadline: FlushOptions = { timeoutMs: 5_000, signal: AbortSignal.timeout(10_000) };
  await logger.flush(deadline);
  const stats: LoggerStats = logger.stats;
  console.log(stats.queued, stats.inFlight, stats.sent, stats.retried, stats.coalesced, stats.failed, stats.requests);
  const state: "sending" | "outage" | "unauthorized" = stats.state;
  console.log(state);
  await logger.close(deadline);
  {
    // `await using` closes a logger at the end of its scope: MetricLogger extends
    // AsyncDisposeMethod, keyed by AsyncDisposeKey (Symbol.asyncDispose where the library has it).
    await using scoped = client.jobs.createLogger(jobId);
    const dispose: () => Promise<void> = scoped[Symbol.asyncDispose];
    scoped.log({ loss: 0.5 });
    console.log(typeof dispose);
  }

  // A durable journal (Node: a file; browsers: "indexeddb"), and replaying one a dead process left.
  const journal: JournalOptions = { path: "runs/17.journal", sync: "interval", syncIntervalMs: 1000 };
  const journaled = client.jobs.createLogger(jobId, {
    journal,
    onError: (error: DioptraError, info: FailedPoint | JournalReportInfo) =>
      console.error(error.message, "journal" in info ? [info.journal, info.movedTo] : info.name),
  });
  console.log(journaled.stats.journaled, journaled.stats.spilled, journaled.stats.journalPending);
  await journaled.close();
  client.jobs.createLogger(jobId, { journal: "indexeddb" });
  client.jobs.createLogger(jobId, { journal: { indexedDB: "my-app" } });
  const replayed: JournalReplay = await replayJournal(client, "runs/17.journal", { concurrency: 2 });
  console.log(replayed.path, replayed.jobId, replayed.journaled, replayed.sent, replayed.failed, replayed.left, replayed.failures);
  // Browsers: the IndexedDB journals closed tabs left (a live tab's is skipped: "locked").
  const tabs: TabJournalReplay[] = await replayJournals(client, { indexedDB: "my-app", concurrency: 2 });
  for (const t of tabs) console.log(t.jobId, t.baseUrl, t.sent, t.failed, t.left, t.skipped);
  await replayJournals();
  const oneShot: LogMetricsOptions = { step: 3, timestamp: new Date(), concurrency: 2, retry, timeoutMs: 5_000 };
  const done = await client.jobs.logMetrics(jobId, { accuracy: 0.91, loss: 0.2 }, oneShot);
  type _LogMetrics = Exact<Equal<typeof done, void>>;

  // auth.logout: resolves to the server's answer, whose shape is not promised.
  const logoutOptions: LogoutOptions = { everywhere: true, signal: controller.signal, timeoutMs: 1_000 };
  const bye = await client.auth.logout(logoutOptions);
  type _Logout = Exact<Equal<typeof bye, unknown>>;
  await client.auth.logout();
}

// ---- Charts, live tails and export ----------------------------------------------------------

async function charts(): Promise<void> {
  const listOptions: ExperimentListOptions = { search: "name:mnist*", pageLength: 100 };
  const found: ExperimentSummary[] = await client.experiments.list(listOptions);
  const exp = found[0];
  if (!exp) return;
  const described: string | null = exp.description;
  const jobsOf: JobSummary[] = await client.experiments.getJobs(exp.id, { concurrency: 2 });
  const job = jobsOf[0];
  if (!job) return;
  const created: Date = job.createdOn;
  const status: string = job.status;
  console.log(exp.name, described, created, status);

  const method: DownsampleMethod = "lttb";
  const seriesOptions: MetricSeriesOptions = { maxPoints: 800, downsample: method, onProgress: (p) => p.loaded };
  const series: MetricSeries = await client.jobs.getMetricSeries(job.id, "loss", seriesOptions);
  const columns: [Float64Array, Float64Array, Float64Array] = [series.steps, series.values, series.timestamps];
  const kept: Uint32Array = downsample(series.steps, series.values, 100, { method: "minmax-lttb" });
  console.log(series.jobId, series.name, series.total, columns, kept, downsample([1, 2, 3], [4, 5, 6], 3));

  const controller = new AbortController();
  const watchOptions: WatchMetricsOptions = {
    names: ["loss"],
    intervalMs: 1000,
    signal: controller.signal,
    fromStart: true,
    detect: "latest",
    pageLength: 1000,
    concurrency: 4,
    timeoutMs: 5000,
    retry: { minDelayMs: 100, maxDelayMs: 10_000, giveUpAfterMs: 60_000 },
    onError: (err: DioptraError) => console.warn(err.message),
    onPoll: (poll) => console.log(poll.points, poll.ok, poll.ms),
  };
  const seen: WatchedSnapshot[] = [];
  for await (const point of client.jobs.watchMetrics(job.id, watchOptions)) {
    const overwrote: true | undefined = point.overwrite;
    seen.push(point);
    if (overwrote || seen.length > 10) break;
  }

  const compareOptions: CompareMetricOptions = { jobIds: [job.id, "18"], maxPoints: 500 };
  const cmp = await client.experiments.compareMetric(exp.id, "loss", compareOptions);
  const first: ComparedJob | undefined = cmp.jobs[0];
  if (first) console.log(cmp.name, cmp.steps, first.jobId, first.values, first.present, first.total);

  const input: ExportInput = seen;
  const csv: string = toCSV(series, { header: true });
  const lines: string = toJSONLines(input, { jobId: job.id });
  console.log(csv, lines, toCSV([series]));
}
void charts;

// The package's own footprint, for long runs.
const memoryBytes: number = wasmMemoryBytes();
console.log(memoryBytes);

// ---- Errors ---------------------------------------------------------------------------------

/** One line about anything `main()` may throw, using each error class's own fields. */
function describe(err: unknown): string {
  if (err instanceof DioptraValidationError) {
    const name: "DioptraValidationError" = err.name;
    return `${name}: bad ${err.field}: ${err.message}`;
  }
  if (err instanceof DioptraApiError) {
    const status: number = err.status;
    const type: string | null = err.errorType;
    const fields: Record<string, string[]> | null = err.fieldErrors;
    const name: "DioptraApiError" = err.name;
    const perField = fields ? Object.entries(fields).map(([f, msgs]) => `${f}: ${msgs.join("; ")}`) : [];
    return `${name} ${status} ${type ?? "-"} on ${err.method} ${err.path} ${perField.join(" | ")}`;
  }
  if (err instanceof DioptraNetworkError) {
    const name: "DioptraNetworkError" = err.name;
    return `${name}: no answer to ${err.method} ${err.path}`;
  }
  if (err instanceof DioptraTimeoutError) {
    const ms: number = err.timeoutMs;
    const name: "DioptraTimeoutError" = err.name;
    return `${name}: ${err.method} ${err.path} took over ${ms} ms`;
  }
  if (err instanceof DioptraAbortError) {
    const name: "DioptraAbortError" = err.name;
    return `${name}: ${err.method} ${err.path} was aborted`;
  }
  if (err instanceof DioptraDecodeError) {
    const name: "DioptraDecodeError" = err.name;
    return `${name}: unexpected body from ${err.method} ${err.path}`;
  }
  if (err instanceof DioptraQueueFullError) {
    const name: "DioptraQueueFullError" = err.name;
    return `${name}: ${err.maxQueue} points held`;
  }
  if (err instanceof DioptraLoggerClosedError) {
    const name: "DioptraLoggerClosedError" = err.name;
    return `${name}: ${err.message}`;
  }
  if (err instanceof DioptraFlushError) {
    const name: "DioptraFlushError" = err.name;
    const points: FailedPoint[] = err.points;
    const errors: DioptraError[] = err.errors;
    return `${name}: ${points.map((p) => `${p.name}@${p.step}=${p.value}: ${p.error.message}`).join("; ")} (${errors.length})`;
  }
  if (err instanceof DioptraError) {
    const base: Error = err;
    return `${base.name}: ${base.message}`;
  }
  return String(err);
}

main().catch((err: unknown) => {
  console.error(describe(err));
});

// Errors are Errors, and each class is a DioptraError.
const asBase: DioptraError = new DioptraValidationError();
const asError: Error = asBase;
type _Hierarchy = Exact<
  Equal<
    [DioptraApiError, DioptraNetworkError, DioptraTimeoutError, DioptraAbortError, DioptraDecodeError] extends DioptraError[]
      ? true
      : false,
    true
  >
>;
console.log(asError instanceof DioptraError);

// ---- The shapes, exactly (an `any` or a changed field fails here) -----------------------------

type _Shapes = [
  Exact<Equal<LoginResult, { username: string; status: string }>>,
  Exact<Equal<Metric, { name: string; value: number }>>,
  Exact<Equal<MetricSnapshot, { name: string; value: number; step: number; timestamp: Date }>>,
  Exact<Equal<JobMetrics, { id: number; metrics: Metric[] }>>,
  Exact<
    Equal<
      Page<Metric>,
      { index: number; isComplete: boolean; totalNumResults: number; first: string; next?: string; prev?: string; data: Metric[] }
    >
  >,
  Exact<Equal<ResourceId, number | string>>,
  Exact<Equal<MetricValueInput, number | string>>,
  Exact<Equal<CallOptions, { signal?: AbortSignal; timeoutMs?: number }>>,
  Exact<
    Equal<
      ClientOptions,
      {
        timeoutMs?: number;
        credentials?: "same-origin" | "include" | "omit";
        headers?: Record<string, string>;
        maxConcurrency?: number;
      }
    >
  >,
  Exact<Equal<Omit<AppendMetricOptions, keyof CallOptions>, { step?: number; timestamp?: Date | string }>>,
  Exact<Equal<Omit<SnapshotPageOptions, keyof CallOptions>, { index?: number; pageLength?: number }>>,
  Exact<
    Equal<
      Omit<ExperimentMetricsOptions, keyof CallOptions>,
      { index?: number; pageLength?: number; sortBy?: string; descending?: boolean; search?: string }
    >
  >,
  Exact<Equal<Omit<LogoutOptions, keyof CallOptions>, { everywhere?: boolean }>>,
  Exact<Equal<Omit<DioptraValidationError, keyof Error>, { readonly field: string }>>,
  Exact<
    Equal<
      Omit<DioptraApiError, keyof Error>,
      {
        readonly status: number;
        readonly errorType: string | null;
        readonly fieldErrors: Record<string, string[]> | null;
        readonly method: string;
        readonly path: string;
      }
    >
  >,
  Exact<Equal<Omit<DioptraNetworkError, keyof Error>, { readonly method: string; readonly path: string }>>,
  Exact<
    Equal<Omit<DioptraTimeoutError, keyof Error>, { readonly timeoutMs: number; readonly method: string; readonly path: string }>
  >,
  Exact<Equal<Omit<DioptraAbortError, keyof Error>, { readonly method: string; readonly path: string }>>,
  Exact<Equal<Omit<DioptraDecodeError, keyof Error>, { readonly method: string; readonly path: string }>>,
  Exact<Equal<DioptraApiError["name"], "DioptraApiError">>,
  Exact<Equal<Parameters<AuthCollection["login"]>, [username: string, password: string, options?: CallOptions]>>,
  Exact<Equal<Parameters<ExperimentsCollection["getMetricsById"]>, [experimentId: ResourceId, options?: ExperimentMetricsOptions]>>,
];

// ---- Misuse the types reject ----------------------------------------------------------------

async function misuse(): Promise<void> {
  // @ts-expect-error: the option is `timeoutMs`, not `timeout`
  new DioptraClient("http://localhost:5000", { timeout: 5_000 });
  // @ts-expect-error: credentials is "same-origin" | "include" | "omit"
  new DioptraClient("http://localhost:5000", { credentials: "always" });
  // @ts-expect-error: header values are strings
  new DioptraClient("http://localhost:5000", { headers: { "X-Retries": 3 } });
  // @ts-expect-error: a metric value is a number or a special value's name, not a boolean
  await client.jobs.appendMetricById(17, "loss", true);
  // @ts-expect-error: the metric value is missing
  await client.jobs.appendMetricById(17, "loss");
  // @ts-expect-error: the job id is missing
  await client.jobs.getMetricsById();
  // @ts-expect-error: the password is missing
  await client.auth.login("tester");
  // @ts-expect-error: the option is `pageLength`, not `pageSize`
  await client.jobs.getMetricsSnapshotsById(17, "loss", { pageSize: 10 });
  // @ts-expect-error: `step` is a number
  await client.jobs.appendMetricById(17, "loss", 1, { step: "3" });
  // @ts-expect-error: `descending` is a boolean
  await client.experiments.getMetricsById(5, { descending: "yes" });
  // @ts-expect-error a logger's step option is "auto" or nothing
  client.jobs.createLogger(17, { step: "manual" });
  // @ts-expect-error concurrency is a number
  client.jobs.iterMetricsSnapshots(17, "loss", { concurrency: "2" });
  // @ts-expect-error: a job id is a number or a string, not an object
  await client.jobs.getMetricsById({ id: 17 });
  // @ts-expect-error: baseUrl is read-only
  client.baseUrl = "http://elsewhere";
  const page = await client.jobs.getMetricsSnapshotsById(17, "loss");
  // @ts-expect-error: a timestamp is a Date, not a number
  page.data[0]?.timestamp.toFixed(0);
  try {
    await client.jobs.getMetricsById(17);
  } catch (err) {
    // @ts-expect-error: `status` needs narrowing to DioptraApiError first
    console.log(err.status);
    if (err instanceof DioptraValidationError) {
      // @ts-expect-error: a validation error has no status
      console.log(err.status);
    }
  }
}
void misuse;

async function chartMisuse(): Promise<void> {
  // @ts-expect-error: no such downsampling method
  await client.jobs.getMetricSeries(17, "loss", { downsample: "fast" });
  // @ts-expect-error: watchMetrics detects "tail" or "latest"
  client.jobs.watchMetrics(17, { detect: "all" });
  // @ts-expect-error: downsample returns indices, not points
  const points: number[] = downsample([1], [1], 3);
  void points;
}
void chartMisuse;
