// `dioptra-metrics COMMAND ...`: the command line of the package. Each command is a function
// `(argv, io) => exit code`; this file picks it, prints help, and turns errors into messages
// and exit codes: 0 ok, 1 failure (server, lost points), 2 bad usage, 130 interrupted.
import { UsageError } from "./args.js";
import { library, LoginError } from "./connect.js";
import { FIND_HELP, runExperiments, runJobs } from "./find.js";
import { LOG_HELP, runLog } from "./log.js";
import { PLOT_HELP, runPlot } from "./plot.js";
import { READ_HELP, runExport, runHistory, runLatest } from "./read.js";
import { WATCH_HELP, runReplay, runTail } from "./watch.js";

/** The commands, with their help. */
const COMMANDS = {
  log: { run: runLog, help: LOG_HELP, summary: "log the metrics in a program's output (stdin), passing it through" },
  latest: { run: runLatest, help: READ_HELP.latest, summary: "the latest value of each metric of a job or an experiment" },
  history: { run: runHistory, help: READ_HELP.history, summary: "every point of one metric, by step" },
  export: { run: runExport, help: READ_HELP.export, summary: "every point of a job or an experiment, as CSV or JSON lines" },
  tail: { run: runTail, help: WATCH_HELP.tail, summary: "print new points as they are stored" },
  plot: { run: runPlot, help: PLOT_HELP, summary: "a terminal chart of one metric's history" },
  experiments: { run: runExperiments, help: FIND_HELP.experiments, summary: "list experiments (find their ids)" },
  jobs: { run: runJobs, help: FIND_HELP.jobs, summary: "list an experiment's jobs (find their ids)" },
  replay: { run: runReplay, help: WATCH_HELP.replay, summary: "send the points a dead run left in its journal" },
};

/** The connection options, shown in the general help. */
const CONNECTION_HELP = `Connection (every command):
  --address URL       the Dioptra server (or DIOPTRA_ADDRESS), e.g. http://localhost:5000
  --username NAME     the user (or DIOPTRA_USERNAME)
  --password-stdin    read the password from the first line of stdin; otherwise it comes
                      from DIOPTRA_PASSWORD. It is never taken as a flag.
  --timeout DUR       time limit per request (default 30s)

Exit codes: 0 ok, 1 failure (server error, points lost), 2 bad usage, 130 interrupted.
Colours only on a terminal, never with NO_COLOR set.`;

/** The general help. */
function generalHelp() {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: dioptra-metrics COMMAND [options]   (dioptra-metrics COMMAND --help for its options)

Log and read the metrics of a Dioptra server (https://github.com/usnistgov/dioptra).

Commands:
${lines.join("\n")}

${CONNECTION_HELP}

Examples:
  export DIOPTRA_ADDRESS=http://localhost:5000 DIOPTRA_USERNAME=me DIOPTRA_PASSWORD=...
  python train.py | npx dioptra-metrics log --job 12
  npx dioptra-metrics export --experiment 3 -o metrics.csv
  npx dioptra-metrics plot --job 12 --metric loss
`;
}

/**
 * Replaces every occurrence of `secret` in `text` with "***": the last guard that a message
 * of this CLI never shows the password (whatever an error from elsewhere put in it).
 */
function redact(text, secret) {
  return secret ? String(text).replaceAll(secret, "***") : String(text);
}

/** A one-line message for an error of a command (never its stack, unless DEBUG is set). */
function describe(err, env) {
  if (env.DIOPTRA_METRICS_DEBUG && err?.stack) return err.stack;
  if (err instanceof library.DioptraApiError) return `the server answered ${err.status} to ${err.method} ${err.path}: ${err.message}`;
  if (err instanceof library.DioptraError || err instanceof LoginError) return err.message;
  if (err?.code && err?.syscall) return `${err.syscall} failed: ${err.message}`;
  return err?.message ?? String(err);
}

/**
 * Runs the CLI with `argv` (without node and the script) and `io` (`{ stdin, stdout, stderr,
 * env }`); resolves to the exit code.
 */
async function main(argv, io) {
  const err = (text) => io.stderr.write(`${redact(text, io.env.DIOPTRA_PASSWORD)}\n`);
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(generalHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    const { createRequire } = await import("node:module");
    io.stdout.write(`${createRequire(import.meta.url)("../../package.json").version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    err(`dioptra-metrics: unknown command ${JSON.stringify(name.slice(0, 40))} (commands: ${Object.keys(COMMANDS).join(", ")})`);
    return 2;
  }
  try {
    const code = await command.run(rest, io);
    if (code === "help") {
      io.stdout.write(`${command.help}\n${CONNECTION_HELP}\n`);
      return 0;
    }
    return code;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`dioptra-metrics ${name}: ${e.message}`);
      err(`(dioptra-metrics ${name} --help shows the options)`);
      return 2;
    }
    if (e?.code === "EPIPE") {
      // The reader of stdout went away (`| head`): what it wanted was written.
      return 0;
    }
    if (e instanceof library.DioptraValidationError) {
      err(`dioptra-metrics ${name}: ${describe(e, io.env)}`);
      return 2;
    }
    err(`dioptra-metrics ${name}: ${describe(e, io.env)}`);
    return 1;
  }
}

export { main, redact };
