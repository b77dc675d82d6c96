// The metric logger's JavaScript side: timers, flushes, callbacks and the process or page
// lifecycle. What to send, when to retry and when to give up is decided in Rust
// (src/core/sender.rs); this layer pumps it and reports what it decided.
import {
  toError,
  checkArity,
  DioptraValidationError,
  DioptraQueueFullError,
  DioptraLoggerClosedError,
  DioptraFlushError,
  DioptraTimeoutError,
  DioptraAbortError,
} from "./errors.js";
import { LoggerJournal } from "./journal.js";

/** How many points a message names before it says "and N more". */
const POINTS_NAMED = 5;
const DEFAULT_FLUSH_INTERVAL_MS = 1000;
const DEFAULT_EXIT_FLUSH_MS = 3000;

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

const asyncDispose = Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose");

/** Frees a logger's wasm state once the logger is garbage-collected (it then holds nothing). */
const finalizer =
  typeof FinalizationRegistry === "function" ? new FinalizationRegistry((wasm) => wasm.free()) : undefined;

/**
 * The loggers that hold points, failures nobody was told of, or flushes waiting: strongly
 * held (so that what they hold is sent or reported) while they do, and only then. One shared
 * timer pumps them; an idle logger costs nothing and can be garbage-collected.
 */
const activeLoggers = new Set();
let ticker = null;
let tickerPeriod = Infinity;

function activate(logger, intervalMs) {
  if (!activeLoggers.has(logger)) {
    activeLoggers.add(logger);
    hookLifecycle();
  }
  if (intervalMs > 0 && (ticker === null || intervalMs < tickerPeriod)) {
    clearInterval(ticker);
    tickerPeriod = intervalMs;
    ticker = unref(setInterval(tick, intervalMs));
  }
}

function deactivate(logger) {
  activeLoggers.delete(logger);
  if (activeLoggers.size === 0) {
    clearInterval(ticker);
    ticker = null;
    tickerPeriod = Infinity;
    unhookSignals();
  }
}

function tick() {
  const now = Date.now();
  for (const logger of activeLoggers) logger._tick(now);
}

const proc = globalThis.process;
const isNode = typeof proc?.on === "function" && typeof proc.versions?.node === "string";
let lifecycleHooked = false;

function hookLifecycle() {
  if (isNode) hookSignals();
  if (lifecycleHooked) return;
  lifecycleHooked = true;
  if (isNode) {
    // The event loop is empty: send what is left (requests keep the process alive until then).
    proc.on("beforeExit", () => {
      for (const logger of activeLoggers) logger._drainBeforeExit();
    });
    // Any exit (process.exit, an uncaught exception, the end of the event loop): say what
    // was not stored. Synchronous, as an exit handler must be.
    proc.on("exit", () => {
      for (const logger of activeLoggers) logger._reportAtExit("the process is exiting");
    });
  }
  if (typeof globalThis.addEventListener === "function") {
    const hide = () => {
      for (const logger of activeLoggers) logger._sendWithKeepalive();
    };
    globalThis.addEventListener("pagehide", hide);
    globalThis.document?.addEventListener?.("visibilitychange", () => {
      if (globalThis.document.visibilityState === "hidden") hide();
    });
  }
}

/**
 * SIGINT and SIGTERM while loggers hold points: flush for at most `exitFlushMs`, say what is
 * still unsent, then end the process as the signal would have (by re-raising it), unless the
 * process has listeners of its own for that signal: then only flush, and leave the exit to them.
 */
const EXIT_SIGNALS = ["SIGINT", "SIGTERM"];
let signalsHooked = false;
let exitingOn = null;

function hookSignals() {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of EXIT_SIGNALS) proc.on(signal, onExitSignal);
}

function unhookSignals() {
  if (!signalsHooked || exitingOn !== null) return;
  signalsHooked = false;
  for (const signal of EXIT_SIGNALS) proc.off(signal, onExitSignal);
}

function onExitSignal(signal) {
  const othersListen = proc.listenerCount(signal) > 1;
  const reraise = () => {
    for (const logger of activeLoggers) logger._reportAtExit(`the process got ${signal}`);
    exitingOn = null;
    unhookSignals();
    proc.kill(proc.pid, signal);
  };
  if (exitingOn !== null) {
    // A second signal while flushing: stop waiting.
    if (!othersListen) reraise();
    return;
  }
  exitingOn = signal;
  const flushes = [...activeLoggers].map((logger) => logger._flushForExit());
  Promise.allSettled(flushes).then(() => {
    if (othersListen) {
      exitingOn = null;
      if (activeLoggers.size === 0) unhookSignals();
    } else {
      reraise();
    }
  });
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
 * The callback the wasm side keeps to say a request is over. It holds the logger only weakly
 * (made here, outside the constructor, so that its closure captures nothing else): a logger
 * nobody holds can be collected, and its wasm state freed.
 */
function notifier(ref) {
  return () => MetricLogger._notify(ref);
}

/**
 * A metric logger for one job: `log()` validates and queues at once, requests go out in the
 * background with retries, `flush()` and `close()` settle when the server has everything.
 */
class MetricLogger {
  #wasm;
  #jobId;
  #flushIntervalMs;
  #exitFlushMs;
  #onError;
  #onProgress;
  #onUnauthorized;
  #lastPump = 0;
  #retryTimer = null;
  #retryAt = Infinity;
  #flushes = [];
  #roomWaiters = [];
  #closing = null;
  #pumpQueued = false;
  #journal = null;
  #exitDrainGaveUp = false;

  /** `openJournalFile`: the journal storage (Node's js/journal-file.js), for the `journal` option. */
  constructor(create, options, openJournalFile) {
    this.#flushIntervalMs = options?.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.#exitFlushMs = options?.exitFlushMs ?? DEFAULT_EXIT_FLUSH_MS;
    this.#onError = options?.onError;
    this.#onProgress = options?.onProgress;
    this.#onUnauthorized = options?.onUnauthorized;
    try {
      this.#wasm = create(notifier(new WeakRef(this)));
    } catch (raw) {
      throw toError(raw);
    }
    this.#jobId = this.#wasm.jobId;
    if (options?.journal !== undefined) this.#openJournal(options.journal, openJournalFile);
    finalizer?.register(this, this.#wasm);
  }

  /** Opens the journal and queues what it holds, before anything new (see js/journal.js). */
  #openJournal(journal, openJournalFile) {
    const report = (error, info) => {
      if (typeof this.#onError === "function") callUser(this.#onError, error, info);
      else console.error(error.message);
    };
    try {
      ({ journal: this.#journal } = LoggerJournal.open(this.#wasm, journal, openJournalFile, report));
    } catch (err) {
      this.#wasm.free();
      throw toError(err);
    }
    // Points read back from an IndexedDB journal (asynchronously) go out at once.
    this.#journal.onRefill = () => this.#pump();
    // Replayed (and, for IndexedDB, deferred) points go out once the journal is read.
    this.#journal.ready.then(() => {
      if (!this.#wasm.busy) return;
      activate(this, this.#closing ? 0 : this.#flushIntervalMs);
      this.#pump();
    });
  }

  /** Queues `metrics` (`{ name: value }`) with `{ step, timestamp }`. Synchronous; throws on bad input or a full queue. */
  log(metrics, options) {
    checkArity("logger.log", 2, arguments);
    if (this.#closing) throw new DioptraLoggerClosedError("log() after close(): this logger takes no more points");
    if (this.#journal?.loading) return this.#journal.defer(metrics, options);
    try {
      this.#wasm.log(metrics, options);
    } catch (raw) {
      throw toError(raw);
    }
    this.#journal?.append();
    activate(this, this.#flushIntervalMs);
    if (this.#flushIntervalMs === 0 && !this.#pumpQueued) {
      // One pump for a burst of log() calls, however long.
      this.#pumpQueued = true;
      queueMicrotask(() => {
        this.#pumpQueued = false;
        this.#pump();
      });
    }
  }

  /** Like `log()`, but waits for room in a full queue instead of throwing. */
  async logAsync(metrics, options) {
    checkArity("logger.logAsync", 2, arguments);
    for (;;) {
      try {
        return this.log(metrics, options);
      } catch (err) {
        if (!(err instanceof DioptraQueueFullError)) throw err;
      }
      const room = new Promise((resolve) => this.#roomWaiters.push(resolve));
      this.#pump();
      await room;
    }
  }

  /**
   * Resolves when every point logged before the call is stored; rejects with DioptraFlushError
   * listing those given up on, or those still unsent when `timeoutMs` passes or `signal` fires.
   */
  flush(options) {
    checkArity("logger.flush", 1, arguments);
    let deadline;
    try {
      deadline = deadlineOptions("flush()", options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#journal?.loading) return this.#journal.ready.then(() => this.#flush(deadline, false));
    return this.#flush(deadline, false);
  }

  /** Flushes (with the same options), then stops the logger: later `log()` calls throw. Past the deadline the unsent points are given up. */
  close(options) {
    checkArity("logger.close", 1, arguments);
    let deadline;
    try {
      deadline = deadlineOptions("close()", options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#closing) {
      // Closing already: a deadline given now still holds (a shutdown path after `await using`).
      return deadline.timeoutMs === undefined && deadline.signal === undefined
        ? this.#closing
        : this.#flush(deadline, true).then(() => this.#closing);
    }
    const flush = () => this.#flush(deadline, true);
    this.#closing = (this.#journal?.loading ? this.#journal.ready.then(flush) : flush()).finally(() => {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
      this.#retryAt = Infinity;
      this.#journal?.close();
      this.#updateActive();
    });
    return this.#closing;
  }

  /** `await using logger = client.jobs.createLogger(...)`: closes it at the end of the scope. */
  [asyncDispose]() {
    return this.close();
  }

  /** `{ queued, inFlight, sent, retried, coalesced, failed, requests, state }`. */
  get stats() {
    const stats = this.#wasm.stats();
    if (this.#journal) {
      stats.journaled = this.#wasm.journaled;
      stats.spilled = this.#wasm.spilled;
      stats.journalPending = this.#journal.pending;
    }
    return stats;
  }

  #flush({ signal, timeoutMs }, closing) {
    const mark = this.#wasm.mark();
    // Points kept on disk only (journal) count too: the flush waits until they are read back and settled.
    const spill = this.#journal ? this.#wasm.spillMark : 0;
    const settled = new Promise((resolve, reject) => {
      const entry = { mark, spill, resolve, reject, cleanup: () => {} };
      this.#flushes.push(entry);
      const giveUp = (error) => {
        if (!this.#flushes.includes(entry)) return;
        this.#flushes = this.#flushes.filter((f) => f !== entry);
        entry.cleanup();
        reject(this.#unsentError(mark, error, closing));
        this.#changed();
      };
      const timer =
        timeoutMs === undefined
          ? null
          : setTimeout(
              () => giveUp(new DioptraTimeoutError(`not stored within ${timeoutMs} ms`, { timeoutMs })),
              timeoutMs,
            );
      const onAbort = () => giveUp(new DioptraAbortError("the flush was aborted"));
      signal?.addEventListener("abort", onAbort);
      entry.cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      if (signal?.aborted) onAbort();
    });
    activate(this, this.#flushIntervalMs);
    // A deadline is near: an outage's next probe goes now, not after its backoff.
    if (timeoutMs !== undefined) this.#wasm.probeNow();
    this.#retryTimer?.ref?.(); // Somebody waits now: a pending retry keeps the process alive.
    this.#pump();
    this.#changed();
    return settled;
  }

  /** The error for a flush whose deadline passed: what was given up, and what is still unsent. */
  #unsentError(mark, reason, closing) {
    const count = this.#wasm.unsentCount(mark);
    // Closing: the points not yet in a request are given up (they join the failures); those
    // in a request are listed as of unknown outcome, and not tried again.
    if (closing) this.#wasm.abandon(reason.timeoutMs ?? 0, reason instanceof DioptraAbortError);
    const unsent = this.#wasm.unsent(mark, 0xffffffff).map((p) => ({ ...p, error: reason }));
    const failures = [...this.#failuresFor(mark), ...unsent];
    if (closing) this.#report();
    return flushError(failures, `${reason.message}: ${count} point(s) not yet stored; `);
  }

  #pump(keepalive = false) {
    this.#lastPump = Date.now();
    this.#journal?.refill();
    const dueInMs = this.#wasm.pump(keepalive);
    if (dueInMs >= 0 && Date.now() + dueInMs < this.#retryAt) {
      clearTimeout(this.#retryTimer);
      this.#retryAt = Date.now() + dueInMs;
      this.#retryTimer = setTimeout(() => {
        this.#retryAt = Infinity;
        this.#retryTimer = null;
        this.#pump();
      }, dueInMs);
      // A retry keeps the process alive only while somebody waits for it.
      if (this.#flushes.length === 0) unref(this.#retryTimer);
    }
  }

  #afterRequest() {
    this.#journal?.sync();
    this.#pump();
    if (this.#wasm.takeLoginRequest()) this.#logInAgain();
    this.#changed();
    // User code last: the logger's own bookkeeping is done whatever it does.
    this.#report();
    if (this.#onProgress) {
      const { sent, queued, inFlight } = this.#wasm.stats();
      callUser(this.#onProgress, { sent, queued: queued + inFlight });
    }
  }

  /** After anything that may have settled points: flushes, waiters for room, the timer. */
  #changed() {
    this.#settleFlushes();
    const waiting = this.#roomWaiters.splice(0);
    for (const resolve of waiting) resolve();
    this.#updateActive();
  }

  /** The session expired: `onUnauthorized()` logs in again, then the queue goes on. */
  async #logInAgain() {
    try {
      await this.#onUnauthorized();
      this.#wasm.resume();
    } catch (err) {
      this.#wasm.loginFailed(String(err?.message ?? err));
    }
    this.#pump();
    this.#changed();
    this.#report();
  }

  /** Hands the points given up since the last call to `onError`. */
  #report() {
    if (typeof this.#onError !== "function") return;
    for (const failure of this.#wasm.takeNewFailures()) {
      const error = toError(failure.error);
      callUser(this.#onError, error, { ...failure, error });
    }
  }

  #settleFlushes() {
    for (const entry of this.#flushes) {
      if (entry.spill > 0) entry.queueMark = this.#wasm.flushMark(entry.mark, entry.spill);
    }
    const markOf = (entry) => entry.queueMark ?? entry.mark;
    const settled = this.#flushes.filter((entry) => markOf(entry) >= 0 && this.#wasm.isSettled(markOf(entry)));
    if (settled.length === 0) return;
    this.#flushes = this.#flushes.filter((entry) => !settled.includes(entry));
    const outcomes = settled.map((entry) => [entry, this.#wasm.peekFailures(markOf(entry))]);
    this.#failuresFor(Math.max(...settled.map(markOf)));
    for (const [entry, failures] of outcomes) {
      entry.cleanup();
      if (failures.length === 0) entry.resolve();
      else entry.reject(flushError(failures));
    }
  }

  /**
   * The failures a flush up to `mark` reports. Each is reported by every flush waiting when it
   * happened (all of them cover it: a flush waits for every point logged before it), then
   * forgotten once no flush waits any more.
   */
  #failuresFor(mark) {
    const failures = this.#wasm.peekFailures(mark);
    const waiting = this.#flushes.some((entry) => entry.mark >= mark);
    if (!waiting) this.#wasm.takeFailures(mark);
    return failures;
  }

  /** `_afterRequest()` of the logger behind `ref`, if it is still alive. */
  static _notify(ref) {
    ref.deref()?.#afterRequest();
  }

  /** Held strongly (and pumped by the shared timer) only while there is something to do. */
  #updateActive() {
    const needed = this.#wasm.busy || this.#flushes.length > 0 || (!this.#onError && this.#wasm.hasFailures);
    if (needed) activate(this, this.#closing ? 0 : this.#flushIntervalMs);
    else deactivate(this);
  }

  /** The shared timer: pump when this logger's interval has passed. */
  _tick(now) {
    if (this.#flushIntervalMs > 0 && now - this.#lastPump >= this.#flushIntervalMs) this.#pump();
  }

  /**
   * Node's `beforeExit`: send what is left; and say what was given up on and never reported
   * (no `onError`, no `flush()`), so that nothing is lost silently.
   */
  _drainBeforeExit() {
    // `beforeExit` comes again each time the loop empties: a drain that gave up once lets the
    // process end (the exit line names what is unsent).
    if (this.#closing || this.#exitDrainGaveUp) return;
    const report = (err) => console.error(`dioptra-metrics: at exit, ${err.message}`);
    if (this.#wasm.busy) {
      // Send what is left, in rounds of `exitFlushMs`: while the server takes points the next
      // round follows (`beforeExit` comes again); once it is down or the session expired the
      // process may end, and the exit line names what is unsent.
      this.flush({ timeoutMs: this.#exitFlushMs }).catch((err) => {
        if (!err.points?.every((p) => p.error instanceof DioptraTimeoutError)) report(err);
        else if (this.#wasm.stats().state !== "sending") this.#exitDrainGaveUp = true;
      });
    } else if (!this.#onError) {
      const failures = this.#wasm.takeFailures(this.#wasm.mark());
      if (failures.length > 0) report(flushError(failures));
      this.#updateActive();
    }
  }

  /** A signal is ending the process: flush for at most `exitFlushMs`, reporting failures. */
  _flushForExit() {
    return this.#flush({ timeoutMs: this.#exitFlushMs }, false).catch((err) => {
      if (!err.points?.every((p) => p.error instanceof DioptraTimeoutError)) {
        proc.stderr.write(`dioptra-metrics: at exit, ${err.message}\n`);
      }
    });
  }

  /** The process is exiting (synchronously): one line on stderr for what was never stored. */
  _reportAtExit(why) {
    const mark = this.#wasm.mark();
    const count = this.#wasm.unsentCount(mark);
    const lines = [];
    if (count > 0) {
      const points = namePoints(this.#wasm.unsent(mark, POINTS_NAMED), count);
      const kept = this.#journal ? `; they are kept in the journal ${this.#journal.path}` : "";
      lines.push(`dioptra-metrics: ${count} point(s) logged for job ${this.#jobId} were not stored (${why}${kept}): ${points}\n`);
    }
    if (!this.#onError && this.#wasm.hasFailures) {
      lines.push(`dioptra-metrics: at exit, ${flushError(this.#wasm.takeFailures(mark)).message}\n`);
    }
    if (lines.length > 0) proc.stderr.write(lines.join(""));
  }

  /** A page going away: send everything waiting with `keepalive`, at once. */
  _sendWithKeepalive() {
    if (this.#wasm.busy) this.#pump(true);
  }
}

export { MetricLogger };
