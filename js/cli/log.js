// `dioptra-metrics log`: metrics from a program's output on stdin, through the library's
// logger, with every input byte passed through to stdout unchanged.
import { CONNECTION_OPTIONS, UsageError, connectionFrom, parseCommand, parseDuration, parseId } from "./args.js";
import { connect, library } from "./connect.js";
import { valueText } from "./format.js";
import { metricsOfLine } from "./lines.js";

/** The options of `log`. */
const OPTIONS = {
  ...CONNECTION_OPTIONS,
  job: { type: "string" },
  journal: { type: "string" },
  "step-key": { type: "string" },
  prefix: { type: "string" },
  "give-up-after": { type: "string" },
};

/** Metric names the server takes. */
const METRIC_NAME = /^([A-Za-z]|[A-Za-z_][A-Za-z0-9_]+)$/;

/** At most this many lost points are listed one by one. */
const LIST_AT_MOST = 20;

/** How long an interrupted `log` still tries to send what it holds. */
const INTERRUPT_FLUSH_MS = 3000;

/**
 * Runs `log`; resolves to the exit code: 0 when every metric read was stored, 1 otherwise
 * (what was lost is listed on stderr), 130 when interrupted.
 */
async function runLog(argv, io) {
  const values = parseCommand("log", argv, OPTIONS);
  if (values.help) return "help";
  if (values.job === undefined) throw new UsageError("--job ID is required", "log");
  const jobId = parseId(values.job, "--job", "log");
  if (values["password-stdin"]) {
    throw new UsageError("log reads metrics from stdin: give the password with DIOPTRA_PASSWORD instead of --password-stdin", "log");
  }
  const stepKey = values["step-key"] ?? "step";
  const prefix = values.prefix ?? "";
  if (prefix !== "" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
    throw new UsageError("--prefix must be letters, digits and _ (starting with a letter or _)", "log");
  }
  const giveUpAfterMs = values["give-up-after"] === undefined ? undefined : parseDuration(values["give-up-after"], "--give-up-after", "log");
  const conn = connectionFrom(values, io.env, "log");
  const { client, relogin } = await connect(conn, io);

  const lost = [];
  const refusedNames = new Map();
  let read = 0;
  const logger = client.jobs.createLogger(jobId, {
    step: "auto",
    journal: values.journal,
    retry: giveUpAfterMs === undefined ? undefined : { giveUpAfterMs },
    onUnauthorized: relogin,
    onError(error, point) {
      if (point && typeof point.name === "string") lost.push({ name: point.name, step: point.step, value: point.value, why: why(error) });
      else io.stderr.write(`dioptra-metrics log: ${error.message}\n`);
    },
  });

  /** Queues the metrics of one line. */
  const logLine = async (line) => {
    const found = metricsOfLine(line);
    if (found === null) return;
    let step;
    if (found.fields.has(stepKey)) {
      step = found.fields.get(stepKey);
      found.fields.delete(stepKey);
      if (!Number.isSafeInteger(step)) {
        for (const [name, value] of found.fields) lost.push({ name: prefix + name, step: null, value, why: `its ${stepKey} ${valueText(step)} is not an integer` });
        read += found.fields.size;
        return;
      }
    }
    const metrics = {};
    for (const [key, value] of found.fields) {
      const name = prefix + key;
      read += 1;
      if (!METRIC_NAME.test(name)) {
        refusedNames.set(name, (refusedNames.get(name) ?? 0) + 1);
        if (refusedNames.get(name) === 1) {
          io.stderr.write(`dioptra-metrics log: ${JSON.stringify(name)} is not a metric name Dioptra takes (letters, digits, _); its values are not logged\n`);
        }
        continue;
      }
      metrics[name] = value;
    }
    if (Object.keys(metrics).length === 0) return;
    try {
      await logger.logAsync(metrics, step === undefined ? undefined : { step });
    } catch (err) {
      if (!(err instanceof library.DioptraValidationError)) throw err;
      for (const [name, value] of Object.entries(metrics)) lost.push({ name, step: step ?? null, value, why: err.message });
    }
  };

  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    io.stdin.destroy();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  const out = passthrough(io.stdout);
  try {
    let pending = Buffer.alloc(0);
    try {
      for await (const chunk of io.stdin) {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        let nl;
        while ((nl = pending.indexOf(10)) >= 0) {
          await logLine(pending.subarray(0, nl).toString("utf8"));
          pending = pending.subarray(nl + 1);
        }
        // Passed through once its whole lines are logged (journaled, with --journal).
        await out.write(chunk);
      }
    } catch (err) {
      if (!interrupted) throw err;
    }
    if (pending.length && !interrupted) await logLine(pending.toString("utf8"));
    try {
      await logger.close(interrupted ? { timeoutMs: INTERRUPT_FLUSH_MS } : undefined);
    } catch (err) {
      if (!(err instanceof library.DioptraFlushError)) throw err;
      const listed = new Set(lost.map((l) => `${l.name}@${l.step}`));
      for (const p of err.points) {
        if (!listed.has(`${p.name}@${p.step}`)) lost.push({ name: p.name, step: p.step, value: p.value, why: why(p.error ?? err) });
      }
    }
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
  const refused = [...refusedNames.values()].reduce((a, b) => a + b, 0);
  const { sent } = logger.stats;
  report(io.stderr, { jobId, read, sent, lost, refused, journal: values.journal, interrupted });
  if (interrupted) return 130;
  return lost.length === 0 && refused === 0 ? 0 : 1;
}

/** Why a point was lost: the error's message, after the HTTP status when the server answered. */
function why(error) {
  return typeof error?.status === "number" ? `HTTP ${error.status}: ${error.message}` : String(error?.message ?? error);
}

/** Writes to stdout, byte for byte; once stdout is gone (a closed pipe) input is still logged. */
function passthrough(stdout) {
  let gone = false;
  stdout.on("error", () => {
    gone = true;
  });
  return {
    write(chunk) {
      if (gone || stdout.write(chunk)) return undefined;
      return new Promise((resolve) => {
        const done = () => {
          stdout.off("drain", done);
          stdout.off("error", done);
          resolve();
        };
        stdout.on("drain", done);
        stdout.on("error", done);
      });
    },
  };
}

/** The summary on stderr: what was stored, and each point lost (the first LIST_AT_MOST). */
function report(stderr, { jobId, read, sent, lost, refused, journal, interrupted }) {
  const head = interrupted ? "interrupted: " : "";
  if (lost.length === 0 && refused === 0) {
    stderr.write(`dioptra-metrics log: ${head}${read} point(s) read, ${sent} stored in job ${jobId}\n`);
    return;
  }
  stderr.write(
    `dioptra-metrics log: ${head}${read} point(s) read, ${sent} stored in job ${jobId}, ` +
      `${lost.length + refused} NOT stored (${lost.length} lost, ${refused} with a name Dioptra refuses)\n`,
  );
  for (const p of lost.slice(0, LIST_AT_MOST)) {
    const step = p.step === null ? "" : `@${p.step}`;
    stderr.write(`  lost ${p.name}${step} = ${valueText(p.value)}: ${p.why}\n`);
  }
  if (lost.length > LIST_AT_MOST) stderr.write(`  ... and ${lost.length - LIST_AT_MOST} more\n`);
  if (journal && lost.length) stderr.write(`  points left in the journal are sent by: dioptra-metrics replay --journal ${journal}\n`);
}

/** The help of `log`. */
const HELP = `Usage: dioptra-metrics log --job ID [--journal FILE] [--step-key step] [--prefix NAME_]
                           [--give-up-after 15m] [connection options]

Reads a program's output on stdin and logs the metrics in it to job ID, passing every line
through to stdout unchanged. A metric line is a JSON object ({"loss": 0.31, "step": 12}, with
NaN/Infinity tokens allowed) or key=value pairs (epoch=3 loss=0.31 acc=nan). Other lines are
only passed through. The step comes from the field named by --step-key (default "step");
without it each metric gets its next step (0, 1, 2, ...).

At the end it waits until every point is stored: exit 0 when all were, else exit 1 with the
points lost listed on stderr. Ctrl-C: sends what it can for 3 s, then exits 130.

Options:
  --job ID              the job (required)
  --journal FILE        keep points in FILE until the server has them (survives a crash;
                        dioptra-metrics replay --journal FILE sends what a dead run left)
  --step-key NAME       the field holding the step (default: step)
  --prefix TEXT         put TEXT before each metric name (e.g. train_)
  --give-up-after DUR   give a point up after this long failing (default: 15m)

Examples:
  python train.py | npx dioptra-metrics log --job 12
  python train.py 2>&1 | npx dioptra-metrics log --job 12 --journal run12.journal --prefix train_
`;

export { runLog, why as lossReason, HELP as LOG_HELP };
