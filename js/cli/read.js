// `dioptra-metrics latest`, `history` and `export`: reading metrics back, for people (tables)
// and for programs (CSV, JSON lines), through the library's complete reads.
import fs from "node:fs";
import path from "node:path";

import { CONNECTION_OPTIONS, UsageError, connectionFrom, parseChoice, parseCommand, parseCount, parseId, parseNames } from "./args.js";
import { connect, library } from "./connect.js";
import { colours, csvLine, streamWriter, table, timeText, valueJson, valueText } from "./format.js";
import { progressBar } from "./progress.js";

/** The CSV header of the package's long format (toCSV's): `jobId,name,step,value,timestamp`. */
const csvHeader = () => library.toCSV([], { header: true });

/** Points of job `jobId` in the package's long format (toCSV / toJSONLines), without a header. */
function pointLines(format, points, jobId) {
  if (points.length === 0) return "";
  return format === "csv" ? library.toCSV(points, { header: false, jobId }) : library.toJSONLines(points, { jobId });
}

/** `--job ID` or `--experiment ID`, exactly one. */
function jobOrExperiment(values, command) {
  if ((values.job === undefined) === (values.experiment === undefined)) {
    throw new UsageError("give exactly one of --job ID and --experiment ID", command);
  }
  return values.job !== undefined
    ? { jobId: parseId(values.job, "--job", command) }
    : { experimentId: parseId(values.experiment, "--experiment", command) };
}

/** `latest`: the latest value of each metric of a job, or of each job of an experiment. */
async function runLatest(argv, io) {
  const values = parseCommand("latest", argv, { ...CONNECTION_OPTIONS, job: { type: "string" }, experiment: { type: "string" }, format: { type: "string" } });
  if (values.help) return "help";
  const which = jobOrExperiment(values, "latest");
  const format = parseChoice(values.format ?? "table", "--format", "latest", ["table", "csv", "json"]);
  const { client } = await connect(connectionFrom(values, io.env, "latest"), io);
  const rows = [];
  if (which.jobId !== undefined) {
    for (const m of await client.jobs.getMetricsById(which.jobId)) rows.push({ jobId: which.jobId, name: m.name, value: m.value });
  } else {
    for await (const job of client.experiments.iterMetrics(which.experimentId)) {
      for (const m of job.metrics) rows.push({ jobId: job.id, name: m.name, value: m.value });
    }
  }
  rows.sort((a, b) => a.jobId - b.jobId || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (format === "json") {
    io.stdout.write(`${JSON.stringify(rows.map((r) => ({ ...r, value: valueJson(r.value) })))}\n`);
  } else if (format === "csv") {
    io.stdout.write(csvLine(["jobId", "name", "value"]) + rows.map((r) => csvLine([r.jobId, r.name, valueText(r.value)])).join(""));
  } else if (rows.length === 0) {
    io.stderr.write("no metrics\n");
  } else {
    const cells = rows.map((r) => [String(r.jobId), r.name, valueText(r.value)]);
    io.stdout.write(table(["job", "metric", "value"], cells, { right: [0, 2], colour: colours(io.stdout, io.env) }));
  }
  return 0;
}

/** `history`: one metric's whole history, ordered by step (optionally downsampled to N points). */
async function runHistory(argv, io) {
  const values = parseCommand("history", argv, {
    ...CONNECTION_OPTIONS,
    job: { type: "string" },
    metric: { type: "string" },
    format: { type: "string" },
    "max-points": { type: "string" },
  });
  if (values.help) return "help";
  if (values.job === undefined) throw new UsageError("--job ID is required", "history");
  if (values.metric === undefined) throw new UsageError("--metric NAME is required", "history");
  const jobId = parseId(values.job, "--job", "history");
  const format = parseChoice(values.format ?? "table", "--format", "history", ["table", "csv", "jsonl"]);
  const maxPoints = values["max-points"] === undefined ? undefined : parseCount(values["max-points"], "--max-points", "history", 3, 100_000_000);
  const { client } = await connect(connectionFrom(values, io.env, "history"), io);
  const series = await client.jobs.getMetricSeries(jobId, values.metric, maxPoints === undefined ? undefined : { maxPoints });
  const points = Array.from(series.steps, (step, i) => ({ name: series.name, step, value: series.values[i], timestamp: new Date(series.timestamps[i]) }));
  const out = streamWriter(io.stdout);
  if (format === "table") {
    if (points.length === 0) io.stderr.write(`no history for ${values.metric} in job ${jobId}\n`);
    else {
      const cells = points.map((p) => [String(p.step), valueText(p.value), timeText(p.timestamp)]);
      await out.write(table(["step", "value", "timestamp"], cells, { right: [0, 1], colour: colours(io.stdout, io.env) }));
    }
    return 0;
  }
  if (format === "csv") await out.write(csvHeader());
  await out.write(pointLines(format, points, jobId));
  return 0;
}

/**
 * A file written atomically: the text goes to a temporary file beside `target`, which is
 * synced and renamed over `target` by `commit()`; `abort()` removes it.
 */
async function atomicFile(target) {
  const dir = path.dirname(path.resolve(target));
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.tmp`);
  const stream = fs.createWriteStream(temp, { mode: 0o644 });
  await new Promise((resolve, reject) => {
    stream.once("open", resolve);
    stream.once("error", reject);
  });
  return {
    stream,
    async commit() {
      await new Promise((resolve, reject) => {
        stream.once("close", resolve);
        stream.once("error", reject);
        stream.end();
      });
      const handle = await fs.promises.open(temp, "r+");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.promises.rename(temp, target);
    },
    async abort() {
      stream.destroy();
      await fs.promises.rm(temp, { force: true });
    },
  };
}

/** The (job, metric) pairs an export reads: every metric of the job(s), or those of --metrics. */
async function exportTargets(client, which, names) {
  const jobs = [];
  if (which.jobId !== undefined) {
    jobs.push({ id: which.jobId, metrics: await client.jobs.getMetricsById(which.jobId) });
  } else {
    for await (const job of client.experiments.iterMetrics(which.experimentId)) jobs.push({ id: job.id, metrics: job.metrics });
  }
  const targets = [];
  for (const job of jobs) {
    const have = job.metrics.map((m) => m.name).sort();
    for (const name of have) if (!names || names.includes(name)) targets.push({ jobId: job.id, name });
  }
  return targets;
}

/** `export`: every point of every (selected) metric, streamed as CSV or JSON lines. */
async function runExport(argv, io) {
  const values = parseCommand("export", argv, {
    ...CONNECTION_OPTIONS,
    job: { type: "string" },
    experiment: { type: "string" },
    metrics: { type: "string" },
    format: { type: "string" },
    output: { type: "string", short: "o" },
  });
  if (values.help) return "help";
  const which = jobOrExperiment(values, "export");
  const format = parseChoice(values.format ?? "csv", "--format", "export", ["csv", "jsonl"]);
  const names = values.metrics === undefined ? undefined : parseNames(values.metrics, "--metrics", "export");
  const { client } = await connect(connectionFrom(values, io.env, "export"), io);
  const targets = await exportTargets(client, which, names);
  for (const name of names ?? []) {
    if (!targets.some((t) => t.name === name)) io.stderr.write(`dioptra-metrics export: no metric ${JSON.stringify(name)} found\n`);
  }
  const bar = progressBar(io.stderr);
  const totals = new Map();
  if (io.stderr.isTTY) {
    for (const t of targets) {
      const page = await client.jobs.getMetricsSnapshotsById(t.jobId, t.name, { pageLength: 1 });
      totals.set(t, page.totalNumResults);
    }
  }
  const file = values.output === undefined ? null : await atomicFile(values.output);
  // Ctrl-C: stop reading, remove the temporary file, exit 130.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const out = streamWriter(file ? file.stream : io.stdout);
    if (format === "csv") await out.write(csvHeader());
    let done = 0;
    let total = [...totals.values()].reduce((a, b) => a + b, 0);
    for (const t of targets) {
      let seen = 0;
      for await (const page of client.jobs.iterMetricsSnapshots(t.jobId, t.name, { signal: stop.signal }).pages()) {
        await out.write(pointLines(format, page.data, t.jobId));
        done += page.data.length;
        seen += page.data.length;
        // The server's count can grow while the read goes on.
        if (page.total > (totals.get(t) ?? 0)) {
          total += page.total - (totals.get(t) ?? 0);
          totals.set(t, page.total);
        }
        bar.update(done, total);
      }
      if (seen < (totals.get(t) ?? 0)) total -= totals.get(t) - seen;
    }
    bar.finish();
    if (file) await file.commit();
    io.stderr.write(`dioptra-metrics export: ${done} point(s) of ${targets.length} metric(s)${file ? ` written to ${values.output}` : ""}\n`);
  } catch (err) {
    if (file) await file.abort();
    if (stop.signal.aborted) {
      io.stderr.write("\ndioptra-metrics export: interrupted\n");
      return 130;
    }
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return 0;
}

/** The help of each command of this file. */
const HELP = {
  latest: `Usage: dioptra-metrics latest (--job ID | --experiment ID) [--format table|csv|json]

The latest (highest-step) value of each metric of a job, or of each job of an experiment.
Formats: table (default, for people), csv (jobId,name,value), json (an array of
{"jobId","name","value"}). NaN and infinities are written "nan", "inf", "-inf".

Examples:
  dioptra-metrics latest --job 12
  dioptra-metrics latest --experiment 3 --format csv > latest.csv
`,
  history: `Usage: dioptra-metrics history --job ID --metric NAME [--format table|csv|jsonl] [--max-points N]

Every point of one metric, ordered by step (complete despite Dioptra 1.2.2's paging defect).
--max-points N (at least 3) downsamples it to at most N points with the package's downsample
(MinMaxLTTB: peaks and dips survive; NaN and infinities kept). Formats: table (default), csv
and jsonl (the package's toCSV / toJSONLines: jobId,name,step,value,timestamp; values "nan",
"inf", "-inf" for the special values; timestamps RFC 3339 UTC).

Examples:
  dioptra-metrics history --job 12 --metric loss
  dioptra-metrics history --job 12 --metric loss --format jsonl --max-points 500
`,
  export: `Usage: dioptra-metrics export (--job ID | --experiment ID) [--metrics a,b] [--format csv|jsonl] [-o FILE]

Every point of every metric (or of the --metrics listed) of a job or of each job of an
experiment, in long format (the package's toCSV / toJSONLines): jobId,name,step,value,timestamp.
Complete despite Dioptra 1.2.2's paging defect. Streams: memory does not grow with the history.
-o FILE writes a temporary file and renames it over FILE at the end, so FILE is never left half
written (Ctrl-C removes it and exits 130). A progress bar goes to stderr when it is a terminal.

Options:
  --metrics a,b      only these metrics
  --format csv|jsonl csv (default, with a header line) or one JSON object per line
  -o, --output FILE  write to FILE (atomically) instead of stdout

Examples:
  dioptra-metrics export --job 12 -o job12.csv
  dioptra-metrics export --experiment 3 --metrics loss,accuracy --format jsonl | gzip > exp3.jsonl.gz
`,
};

export { runLatest, runHistory, runExport, atomicFile, HELP as READ_HELP };
