// Command-line arguments of `dioptra-metrics`: Node's own util.parseArgs, with messages that
// say what is allowed and never repeat a value that could be a secret.
import { parseArgs } from "node:util";

/** Bad usage: the CLI prints the message and the command's usage line, and exits 2. */
class UsageError extends Error {
  constructor(message, command) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** The options every command that talks to a server takes. */
const CONNECTION_OPTIONS = {
  address: { type: "string" },
  username: { type: "string" },
  "password-stdin": { type: "boolean" },
  "timeout": { type: "string" },
};

/** Flag names that would carry a password on the command line: always refused. */
const PASSWORD_FLAGS = /^(--password|--pass|--passwd|--pwd|-p)(=|$)/;

/**
 * Parses `argv` against `options` (util.parseArgs shapes plus `help`), strictly: an unknown
 * option, a missing value, a repeated option or a stray argument is a UsageError naming the
 * option (not its value) and listing what is allowed.
 * @returns {Record<string, string|boolean|undefined>}
 */
function parseCommand(command, argv, options) {
  const all = { ...options, help: { type: "boolean", short: "h" } };
  for (const arg of argv) {
    if (arg === "--") break;
    if (PASSWORD_FLAGS.test(arg)) {
      throw new UsageError(
        "a password is never taken from the command line (it would show in `ps` and shell history): " +
          "set DIOPTRA_PASSWORD or pipe it with --password-stdin",
        command,
      );
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: all, strict: false, tokens: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`cannot parse the arguments (${err.code ?? "error"})`, command);
  }
  const allowed = Object.keys(all)
    .map((k) => `--${k}`)
    .join(", ");
  const seen = new Set();
  for (const token of parsed.tokens) {
    if (token.kind === "positional") {
      throw new UsageError(`unexpected argument ${JSON.stringify(clip(token.value))} (options: ${allowed})`, command);
    }
    if (token.kind !== "option") continue;
    const spec = all[token.name];
    if (spec === undefined) {
      throw new UsageError(`unknown option ${token.rawName} (allowed: ${allowed})`, command);
    }
    const swallowed = spec.type === "string" && !token.inlineValue && /^-./.test(token.value ?? "");
    if (spec.type === "string" && (token.value === undefined || token.value === "" || swallowed)) {
      throw new UsageError(`${token.rawName} needs a value`, command);
    }
    if (spec.type === "boolean" && token.inlineValue) {
      throw new UsageError(`${token.rawName} takes no value`, command);
    }
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given twice`, command);
    seen.add(token.name);
  }
  return parsed.values;
}

/** A value clipped for a message. */
function clip(text) {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** A job or experiment id: a positive integer written in digits. */
function parseId(value, flag, command) {
  if (!/^[0-9]{1,15}$/.test(value) || Number(value) < 1) {
    throw new UsageError(`${flag} must be a positive integer id, not ${JSON.stringify(clip(value))}`, command);
  }
  return Number(value);
}

/** A positive integer within [min, max]. */
function parseCount(value, flag, command, min, max) {
  const n = /^[0-9]{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, not ${JSON.stringify(clip(value))}`, command);
  }
  return n;
}

/** A duration: "500ms", "2s", "1.5m", "1h", or a plain number of seconds; within (0, 24 h]. */
function parseDuration(value, flag, command) {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(value);
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"] : NaN;
  if (!(ms > 0 && ms <= 86_400_000)) {
    throw new UsageError(`${flag} must be a duration such as 500ms, 2s, 1m (up to 24h), not ${JSON.stringify(clip(value))}`, command);
  }
  return ms;
}

/** One of `choices`. */
function parseChoice(value, flag, command, choices) {
  if (!choices.includes(value)) {
    throw new UsageError(`${flag} must be one of ${choices.join(", ")}, not ${JSON.stringify(clip(value))}`, command);
  }
  return value;
}

/** A comma-separated list of metric names (empty items are refused). */
function parseNames(value, flag, command) {
  const names = value.split(",").map((s) => s.trim());
  if (names.some((n) => n === "")) throw new UsageError(`${flag} must be names separated by commas`, command);
  return [...new Set(names)];
}

/**
 * The connection settings: `--address` or DIOPTRA_ADDRESS, `--username` or DIOPTRA_USERNAME,
 * and whether the password comes from stdin (else DIOPTRA_PASSWORD).
 */
function connectionFrom(values, env, command) {
  const address = values.address ?? env.DIOPTRA_ADDRESS;
  if (!address) throw new UsageError("no server address: give --address URL or set DIOPTRA_ADDRESS", command);
  const username = values.username ?? env.DIOPTRA_USERNAME;
  if (!username) throw new UsageError("no user name: give --username NAME or set DIOPTRA_USERNAME", command);
  const passwordStdin = values["password-stdin"] === true;
  if (!passwordStdin && !env.DIOPTRA_PASSWORD) {
    throw new UsageError("no password: set DIOPTRA_PASSWORD or pipe it with --password-stdin", command);
  }
  const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout, "--timeout", command);
  return { address, username, passwordStdin, timeoutMs };
}

export {
  UsageError,
  CONNECTION_OPTIONS,
  parseCommand,
  parseId,
  parseCount,
  parseDuration,
  parseChoice,
  parseNames,
  connectionFrom,
};
