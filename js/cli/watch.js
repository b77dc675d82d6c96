// `dioptra-metrics tail` and `replay`: new points as they are stored (jobs.watchMetrics), and a
// dead run's journal (replayJournal).
import { CONNECTION_OPTIONS, UsageError, connectionFrom, parseChoice, parseCommand, parseDuration, parseId, parseNames } from "./args.js";
import { connect, library } from "./connect.js";
import { colours, dim, timeText, valueText } from "./format.js";
import { lossReason } from "./log.js";

/** `tail`: prints points as they are stored, until Ctrl-C (exit 130). */
async function runTail(argv, io) {
  const values = parseCommand("tail", argv, {
    ...CONNECTION_OPTIONS,
    job: { type: "string" },
    metrics: { type: "string" },
    interval: { type: "string" },
    format: { type: "string" },
  });
  if (values.help) return "help";
  if (values.job === undefined) throw new UsageError("--job ID is required", "tail");
  const jobId = parseId(values.job, "--job", "tail");
  const names = values.metrics === undefined ? undefined : parseNames(values.metrics, "--metrics", "tail");
  const intervalMs = values.interval === undefined ? 2000 : parseDuration(values.interval, "--interval", "tail");
  const format = parseChoice(values.format ?? "text", "--format", "tail", ["text", "csv", "jsonl"]);
  const { client } = await connect(connectionFrom(values, io.env, "tail"), io);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const colour = colours(io.stdout, io.env);
  if (format === "csv") io.stdout.write(library.toCSV([], { header: true }));
  io.stderr.write(`dioptra-metrics tail: watching job ${jobId} every ${intervalMs} ms (Ctrl-C to stop)\n`);
  try {
    for await (const p of client.jobs.watchMetrics(jobId, { names, intervalMs, signal: stop.signal })) {
      if (format === "csv") io.stdout.write(library.toCSV([p], { header: false, jobId }));
      else if (format === "jsonl") io.stdout.write(library.toJSONLines([p], { jobId }));
      else {
        const again = p.overwrite ? " (overwrites an earlier value)" : "";
        io.stdout.write(`${dim(timeText(p.timestamp), colour)}  ${p.name}  step ${p.step}  ${valueText(p.value)}${again}\n`);
      }
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (!stop.signal.aborted) return 0;
  return 130;
}

/** `replay`: sends the points a journal holds (left by a dead run) and removes it. */
async function runReplay(argv, io) {
  const values = parseCommand("replay", argv, { ...CONNECTION_OPTIONS, journal: { type: "string" } });
  if (values.help) return "help";
  if (values.journal === undefined) throw new UsageError("--journal FILE is required", "replay");
  const { client, relogin } = await connect(connectionFrom(values, io.env, "replay"), io);
  const r = await library.replayJournal(client, values.journal, { onUnauthorized: relogin });
  if (r.jobId === null) {
    io.stderr.write(`dioptra-metrics replay: no journal at ${values.journal} (nothing to send)\n`);
    return 0;
  }
  io.stderr.write(
    `dioptra-metrics replay: job ${r.jobId}: ${r.journaled} point(s) in the journal, ${r.sent} stored, ` +
      `${r.failed} given up, ${r.left} left in ${r.path}\n`,
  );
  for (const p of r.failures.slice(0, 20)) io.stderr.write(`  lost ${p.name}@${p.step} = ${valueText(p.value)}: ${lossReason(p.error)}\n`);
  return r.failed === 0 && r.left === 0 ? 0 : 1;
}

/** The help of each command of this file. */
const HELP = {
  tail: `Usage: dioptra-metrics tail --job ID [--metrics a,b] [--interval 2s] [--format text|csv|jsonl]

Prints each point stored in the job from now on (new steps, and new values of old steps, with
the package's jobs.watchMetrics) until Ctrl-C (exit 130). Formats: text (default), csv and
jsonl (the package's toCSV / toJSONLines: jobId,name,step,value,timestamp).

Examples:
  dioptra-metrics tail --job 12
  dioptra-metrics tail --job 12 --metrics loss,accuracy --interval 5s --format jsonl
`,
  replay: `Usage: dioptra-metrics replay --journal FILE [connection options]

Sends the points a journal holds (left by a log run that died before the server had them) to
the job it was written for, then removes the journal. Exit 0 when every point was stored.

Example:
  dioptra-metrics replay --journal run12.journal
`,
};

export { runTail, runReplay, HELP as WATCH_HELP };
