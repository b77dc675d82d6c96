// `dioptra-metrics experiments` and `jobs`: finding the ids the other commands take.
import { CONNECTION_OPTIONS, UsageError, connectionFrom, parseChoice, parseCommand, parseId } from "./args.js";
import { connect } from "./connect.js";
import { colours, csvLine, table, timeText } from "./format.js";

/** Writes `rows` (objects with `columns` keys) as a table, CSV or JSON. */
function writeRows(io, format, columns, rows, { right = [], empty }) {
  if (format === "json") {
    io.stdout.write(`${JSON.stringify(rows)}\n`);
  } else if (format === "csv") {
    io.stdout.write(csvLine(columns) + rows.map((r) => csvLine(columns.map((c) => r[c] ?? ""))).join(""));
  } else if (rows.length === 0) {
    io.stderr.write(`${empty}\n`);
  } else {
    const cells = rows.map((r) => columns.map((c) => String(r[c] ?? "")));
    io.stdout.write(table(columns, cells, { right, colour: colours(io.stdout, io.env) }));
  }
}

/** `jobs`: the jobs of an experiment (experiments.getJobs), with the names of their metrics. */
async function runJobs(argv, io) {
  const values = parseCommand("jobs", argv, { ...CONNECTION_OPTIONS, experiment: { type: "string" }, format: { type: "string" } });
  if (values.help) return "help";
  if (values.experiment === undefined) throw new UsageError("--experiment ID is required", "jobs");
  const experimentId = parseId(values.experiment, "--experiment", "jobs");
  const format = parseChoice(values.format ?? "table", "--format", "jobs", ["table", "csv", "json"]);
  const { client } = await connect(connectionFrom(values, io.env, "jobs"), io);
  const names = new Map();
  for await (const job of client.experiments.iterMetrics(experimentId)) {
    names.set(job.id, job.metrics.map((m) => m.name).sort().join(" "));
  }
  const rows = (await client.experiments.getJobs(experimentId)).map((job) => ({
    id: job.id,
    status: job.status,
    createdOn: timeText(job.createdOn),
    metrics: names.get(job.id) ?? "",
  }));
  rows.sort((a, b) => a.id - b.id);
  writeRows(io, format, ["id", "status", "createdOn", "metrics"], rows, { right: [0], empty: `no jobs in experiment ${experimentId}` });
  return 0;
}

/** `experiments`: the experiments the user can see (experiments.list), optionally those matching a search. */
async function runExperiments(argv, io) {
  const values = parseCommand("experiments", argv, { ...CONNECTION_OPTIONS, search: { type: "string" }, format: { type: "string" } });
  if (values.help) return "help";
  const format = parseChoice(values.format ?? "table", "--format", "experiments", ["table", "csv", "json"]);
  const { client } = await connect(connectionFrom(values, io.env, "experiments"), io);
  const found = await client.experiments.list(values.search === undefined ? undefined : { search: values.search });
  const rows = found.map((e) => ({ id: e.id, name: e.name, description: e.description ?? "" }));
  rows.sort((a, b) => a.id - b.id);
  writeRows(io, format, ["id", "name", "description"], rows, { right: [0], empty: "no experiments" });
  return 0;
}

/** The help of each command of this file. */
const HELP = {
  experiments: `Usage: dioptra-metrics experiments [--search TEXT] [--format table|csv|json]

The experiments you can see (id, name, description), or those matching TEXT (Dioptra's
search: a word, or name:pattern).

Examples:
  dioptra-metrics experiments
  dioptra-metrics experiments --search mnist --format csv
`,
  jobs: `Usage: dioptra-metrics jobs --experiment ID [--format table|csv|json]

The jobs of an experiment: id, status, creation time, and the names of the metrics each has.

Examples:
  dioptra-metrics jobs --experiment 3
  dioptra-metrics jobs --experiment 3 --format json
`,
};

export { runJobs, runExperiments, HELP as FIND_HELP };
