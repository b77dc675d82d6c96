// What the logger says and how it calls its user: bounded messages naming the first few
// points, DioptraFlushError, user callbacks that cannot break the logger, and the checks of
// flush()/close() options.
import { toError, DioptraAbortError, DioptraFlushError, DioptraTimeoutError, DioptraValidationError } from "./errors.js";

/** How many points a message names before it says "and N more". */
const POINTS_NAMED = 5;

/** A metric name cut for a message (names may be 3,800 characters long). */
function shortName(name) {
  return name.length > 60 ? `${name.slice(0, 60)}…` : name;
}

/** `name@step` of the first few `points`, and how many more there are of `count`. */
function namePoints(points, count) {
  const named = points.slice(0, POINTS_NAMED).map((p) => `${shortName(p.name)}@${p.step}`);
  if (count > named.length) named.push(`... (${count - named.length} more)`);
  return named.join(", ");
}

/** What an error says, with the HTTP status where there is one. */
function describeError(error) {
  return typeof error.status === "number" ? `HTTP ${error.status}: ${error.message}` : error.message;
}

/**
 * The `flush()` error for `failures` (`{ name, step, value, error }` from wasm). Its message is
 * bounded: each distinct error once (three at most), with the first few points it hit.
 */
function flushError(failures, prefix = "") {
  const points = failures.map((f) => ({ ...f, error: toError(f.error) }));
  const byError = new Map();
  for (const point of points) {
    const said = describeError(point.error);
    if (!byError.has(said)) byError.set(said, []);
    byError.get(said).push(point);
  }
  const groups = [...byError].slice(0, 3).map(([said, hit]) => `${said} (${namePoints(hit, hit.length)})`);
  if (byError.size > 3) groups.push(`and ${byError.size - 3} other error(s)`);
  return new DioptraFlushError(`${prefix}${points.length} point(s) could not be stored: ${groups.join("; ")}`, {
    points,
    errors: points.map((p) => p.error),
  });
}

/**
 * Calls a user's callback; what it throws is shown (a warning in Node, the console elsewhere),
 * never left to break the logger's own bookkeeping.
 */
function callUser(callback, ...args) {
  try {
    const result = callback(...args);
    if (typeof result?.then === "function") result.then(undefined, warnCallback);
  } catch (err) {
    warnCallback(err);
  }
}

function warnCallback(err) {
  const message = `dioptra-metrics: a logger callback threw: ${err?.stack ?? err}`;
  if (typeof globalThis.process?.emitWarning === "function") globalThis.process.emitWarning(message);
  else console.error(message);
}

/** A timer that does not keep a Node process alive by itself. */
function unref(timer) {
  timer?.unref?.();
  return timer;
}

/** Checks the options of `flush()` and `close()`: `{ signal, timeoutMs }`. */
function deadlineOptions(method, options) {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) {
    throw new DioptraValidationError(`${method} options must be an object`, { field: "options" });
  }
  for (const key of Object.keys(options)) {
    if (key !== "signal" && key !== "timeoutMs") {
      throw new DioptraValidationError(`unknown option ${JSON.stringify(key)} in ${method} options (known: signal, timeoutMs)`, {
        field: key,
      });
    }
  }
  const { signal, timeoutMs } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs >= 0 && !Number.isNaN(timeoutMs))) {
    throw new DioptraValidationError(`timeoutMs must be a number of ms from 0 up, not ${String(timeoutMs)}`, {
      field: "timeoutMs",
    });
  }
  if (signal !== undefined && !(typeof signal?.aborted === "boolean" && typeof signal.addEventListener === "function")) {
    throw new DioptraValidationError("signal must be an AbortSignal", { field: "signal" });
  }
  return { signal, timeoutMs };
}

/**
 * Calls `giveUp(error)` once `timeoutMs` has passed (a `DioptraTimeoutError`) or `signal`
 * fires (a `DioptraAbortError`), whichever comes first (at once if the signal has fired
 * already), both stopped first; returns the function that stops both.
 */
function deadline({ signal, timeoutMs }, giveUp) {
  let timer = null;
  const onAbort = () => fire(new DioptraAbortError("the flush was aborted"));
  const cleanup = () => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
  // Stopped before `giveUp` runs: an already-aborted signal fires before the caller holds
  // `cleanup`.
  const fire = (error) => {
    cleanup();
    giveUp(error);
  };
  if (timeoutMs !== undefined) timer = setTimeout(() => fire(new DioptraTimeoutError(`not stored within ${timeoutMs} ms`, { timeoutMs })), timeoutMs);
  signal?.addEventListener("abort", onAbort);
  if (signal?.aborted) onAbort();
  return cleanup;
}

export { POINTS_NAMED, namePoints, flushError, callUser, deadline, deadlineOptions, unref };
