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
import { numbersToLog } from "./exchange.js";

import { POINTS_NAMED, namePoints, flushError, callUser, deadline, deadlineOptions, unref } from "./logger-messages.js";
import { activate, deactivate, proc } from "./logger-lifecycle.js";

const DEFAULT_FLUSH_INTERVAL_MS = 1000;
const DEFAULT_EXIT_FLUSH_MS = 3000;

const asyncDispose = Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose");

/** Frees a logger's wasm state once the logger is garbage-collected (it then holds nothing). */
const finalizer =
  typeof FinalizationRegistry === "function" ? new FinalizationRegistry((wasm) => wasm.free()) : undefined;

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
  /** While the wasm module loads: the `log()` calls made so far; null once it is ready. */
  #held = null;
  /** Settles when the wasm logger is made (or could not be). */
  #attached = null;
  /** Why the wasm logger could not be made, if it could not. */
  #loadError = null;
  /** Held points the wasm refused, for the next flush() or close() (when there is no onError). */
  #lateFailures = [];

  /**
   * `openJournalFile`: the journal storage (Node's js/journal-file.js), for the `journal` option.
   * `whenReady`: where the wasm module is still loading (a browser's first moments), a promise
   * of it; until it settles `log()` checks only the shape of its arguments and holds the points
   * (see #replay).
   */
  constructor(create, options, openJournalFile, whenReady) {
    this.#flushIntervalMs = options?.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.#exitFlushMs = options?.exitFlushMs ?? DEFAULT_EXIT_FLUSH_MS;
    this.#onError = options?.onError;
    this.#onProgress = options?.onProgress;
    this.#onUnauthorized = options?.onUnauthorized;
    if (whenReady === undefined) {
      this.#attach(create, options, openJournalFile);
      return;
    }
    this.#held = [];
    this.#attached = whenReady
      .then(() => this.#attach(create, options, openJournalFile))
      .then(
        () => this.#replay(undefined),
        (err) => this.#replay(toError(err)),
      );
  }

  /** Makes the wasm logger (its constructor validates the job id and the options). */
  #attach(create, options, openJournalFile) {
    try {
      this.#wasm = create(notifier(new WeakRef(this)));
    } catch (raw) {
      throw toError(raw);
    }
    this.#jobId = this.#wasm.jobId;
    if (options?.journal !== undefined) this.#openJournal(options.journal, openJournalFile);
    finalizer?.register(this, this.#wasm);
  }

  /**
   * Logs the points held while the wasm loaded, in order. One that the wasm refuses (or all of
   * them, when `failure` says the logger could not be made) is never dropped silently: it goes
   * to `onError(err, point)`, or else makes the next `flush()`/`close()` reject with a
   * DioptraFlushError that lists it.
   */
  #replay(failure) {
    const held = this.#held;
    this.#held = null;
    this.#loadError = failure ?? null;
    for (const { metrics, options } of held) {
      let error = failure;
      if (error === undefined) {
        try {
          this.#logNow(metrics, options);
        } catch (err) {
          error = toError(err);
        }
      }
      if (error === undefined) continue;
      for (const [name, value] of Object.entries(metrics)) {
        const point = { name, step: options?.step ?? null, value };
        if (typeof this.#onError === "function") callUser(this.#onError, error, point);
        else this.#lateFailures.push({ ...point, error });
      }
    }
  }

  /**
   * `start()` (a flush), then, if points held while loading could not be logged, a rejection
   * listing them (once). Without a wasm logger (it could not be made) there is nothing to flush.
   */
  #withLate(start, prefix) {
    const late = this.#takeLateFailures(prefix);
    const flushed = this.#wasm === undefined ? Promise.resolve() : start();
    if (late === null) return flushed;
    return flushed.then(() => Promise.reject(late));
  }

  /** The error for the points held while loading that could not be logged, once; or null. */
  #takeLateFailures(prefix) {
    const late = this.#lateFailures;
    if (late.length === 0) return null;
    this.#lateFailures = [];
    return flushError(late, prefix);
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
    if (this.#held !== null || this.#loadError !== null) {
      if (metrics === null || typeof metrics !== "object" || Array.isArray(metrics)) {
        throw new DioptraValidationError("metrics must be an object of { name: value }", { field: "metrics" });
      }
      if (options !== undefined && (options === null || typeof options !== "object")) {
        throw new DioptraValidationError("options must be an object", { field: "options" });
      }
      if (this.#loadError !== null) throw this.#loadError;
      this.#held.push({ metrics: { ...metrics }, options: options && { ...options } });
      return;
    }
    this.#logNow(metrics, options);
  }

  /** `log()` once the wasm logger exists. */
  #logNow(metrics, options) {
    if (this.#journal?.loading) return this.#journal.defer(metrics, options);
    try {
      const numbers = numbersToLog(metrics, options);
      if (numbers === null) this.#wasm.log(metrics, options);
      else this.#wasm.logNumbers(numbers[0], numbers[1], numbers[2]);
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
    if (this.#held !== null) return this.#attached.then(() => this.flush(options));
    const start = () =>
      this.#journal?.loading ? this.#journal.ready.then(() => this.#flush(deadline, false)) : this.#flush(deadline, false);
    return this.#withLate(start, "");
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
      return (deadline.timeoutMs === undefined && deadline.signal === undefined) || this.#wasm === undefined
        ? this.#closing
        : this.#flush(deadline, true).then(() => this.#closing);
    }
    const flush = () => this.#flush(deadline, true);
    const start = () => (this.#journal?.loading ? this.#journal.ready.then(flush) : flush());
    // While loading: close once the held points are logged or reported.
    const closing = this.#held !== null ? this.#attached.then(() => this.#withLate(start, "close(): ")) : this.#withLate(start, "close(): ");
    this.#closing = closing.finally(() => {
      if (this.#wasm === undefined) return;
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
    if (this.#wasm === undefined) {
      // The wasm is loading (state "loading") or could not be loaded ("failed").
      const queued = this.#held?.length ?? 0;
      const state = this.#held !== null ? "loading" : "failed";
      return { queued, inFlight: 0, sent: 0, retried: 0, coalesced: 0, failed: 0, requests: 0, state };
    }
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
      entry.cleanup = deadline({ signal, timeoutMs }, (error) => {
        if (!this.#flushes.includes(entry)) return;
        this.#flushes = this.#flushes.filter((f) => f !== entry);
        entry.cleanup();
        reject(this.#unsentError(mark, error, closing));
        this.#changed();
      });
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
