// A progress bar on stderr (TTY only): points read / total, rate, ETA.

/** Redraws at most this often. */
const REDRAW_MS = 100;

/** "1,234,567". */
function grouped(n) {
  return Math.round(n).toLocaleString("en-US");
}

/** "42s", "3m05s", "1h02m". */
function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * The bar's text for `done` of `total` points after `seconds`, `width` characters of bar:
 * `[########------------]  12,000 / 50,000 points  8,100/s  ETA 5s`.
 */
function progressLine(done, total, seconds, width = 24) {
  const shown = Math.max(total, done);
  const fraction = shown > 0 ? done / shown : 0;
  const full = Math.round(fraction * width);
  const rate = seconds > 0 ? done / seconds : 0;
  const eta = rate > 0 ? (shown - done) / rate : NaN;
  return `[${"#".repeat(full)}${"-".repeat(width - full)}] ${grouped(done)} / ${grouped(shown)} points  ${grouped(rate)}/s  ETA ${duration(eta)}`;
}

/**
 * A progress bar on `stream` when it is a TTY, else one that draws nothing. `update(done,
 * total)` redraws (throttled), `finish()` draws the last state and ends the line.
 */
function progressBar(stream) {
  if (!stream.isTTY) return { update() {}, finish() {} };
  const started = performance.now();
  let last = 0;
  let state = [0, 0];
  const draw = () => stream.write(`\r${progressLine(state[0], state[1], (performance.now() - started) / 1000)}\u001b[K`);
  return {
    update(done, total) {
      state = [done, total];
      const now = performance.now();
      if (now - last >= REDRAW_MS) {
        last = now;
        draw();
      }
    },
    finish() {
      draw();
      stream.write("\n");
    },
  };
}

export { progressBar, progressLine, grouped };
