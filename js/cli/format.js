// Output of `dioptra-metrics`: values spelled exactly, aligned tables for people, CSV and JSON
// lines for programs, and writers that respect a stream's backpressure.

/**
 * A value as text, as the package's toCSV spells it: the shortest decimal that reads back to
 * the same double ("-0.0" kept), and the special values as the server spells them: "nan",
 * "inf", "-inf".
 */
function valueText(value) {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Object.is(value, -0)) return "-0.0";
  return String(value);
}

/** A value for JSON: a number, or "nan" / "inf" / "-inf" (JSON has no NaN or Infinity). */
function valueJson(value) {
  return Number.isFinite(value) ? value : valueText(value);
}

/** A timestamp as ISO 8601 in UTC with milliseconds, or "" when it is missing or invalid. */
function timeText(timestamp) {
  const ms = timestamp instanceof Date ? timestamp.getTime() : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : "";
}

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
function csvField(text) {
  const s = String(text);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV record with its line end. */
function csvLine(fields) {
  return `${fields.map(csvField).join(",")}\n`;
}

/** Whether colours may be used on `stream`: a TTY, and NO_COLOR unset or empty. */
function colours(stream, env) {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

/** `text` in bold (ANSI) when `on`. */
function bold(text, on) {
  return on ? `\u001b[1m${text}\u001b[22m` : text;
}

/** `text` dimmed (ANSI) when `on`. */
function dim(text, on) {
  return on ? `\u001b[2m${text}\u001b[22m` : text;
}

/**
 * An aligned table: `header` (strings) and `rows` (arrays of strings); columns listed in
 * `right` are right-aligned (numbers). The header is bold when `colour`.
 */
function table(header, rows, { right = [], colour = false } = {}) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const pad = (cells) =>
    cells
      .map((c, i) => (right.includes(i) ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  const lines = [bold(pad(header), colour), ...rows.map(pad)];
  return `${lines.join("\n")}\n`;
}

/**
 * A writer over a stream that waits for `drain` when the stream's buffer is full, so that
 * output is written as it is produced without piling up in memory. `write(text)` returns a
 * promise only when it has to wait.
 */
function streamWriter(stream) {
  let failed = null;
  stream.on("error", (err) => {
    failed = err;
  });
  return {
    write(text) {
      if (failed) throw failed;
      if (stream.write(text)) return undefined;
      return new Promise((resolve, reject) => {
        const done = (err) => {
          stream.off("drain", done);
          stream.off("error", done);
          if (err) reject(err);
          else resolve();
        };
        stream.on("drain", done);
        stream.on("error", done);
      });
    },
  };
}

export { valueText, valueJson, timeText, csvLine, colours, bold, dim, table, streamWriter };
