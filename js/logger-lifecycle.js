// The loggers' shared lifecycle: one timer pumps every logger that holds something, and the
// process's or page's end (beforeExit, exit, SIGINT/SIGTERM, pagehide) reaches each of them.
import { unref } from "./logger-messages.js";

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

export { activate, deactivate, proc };
