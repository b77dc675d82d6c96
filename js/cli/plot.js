// `dioptra-metrics plot`: a terminal line chart of one metric's history, in Unicode braille
// (2 x 4 dots per character) or plain ASCII, NaN and infinities shown as gaps.
import { CONNECTION_OPTIONS, UsageError, connectionFrom, parseCommand, parseCount, parseId } from "./args.js";
import { connect } from "./connect.js";
import { grouped } from "./progress.js";

/** The braille bit of the dot at (x in 0..1, y in 0..3) of a character cell. */
const BRAILLE_BITS = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
];

/**
 * The values of `points` (ordered by step) in `width` columns by step: each column is
 * `{ min, max, first, last }` of its values, "gap" when it holds a NaN or an infinity (drawn
 * as a gap), or null when no point falls in it (drawn as the line between its neighbours).
 */
function columns(points, width) {
  const cols = Array.from({ length: width }, () => null);
  if (points.length === 0) return cols;
  const lo = points[0].step;
  const span = points[points.length - 1].step - lo;
  for (const p of points) {
    const x = span === 0 ? 0 : Math.min(width - 1, Math.floor(((p.step - lo) / span) * width));
    const c = cols[x];
    if (c === "gap") continue;
    if (!Number.isFinite(p.value)) cols[x] = "gap";
    else if (c === null) cols[x] = { min: p.value, max: p.value, first: p.value, last: p.value };
    else {
      c.min = Math.min(c.min, p.value);
      c.max = Math.max(c.max, p.value);
      c.last = p.value;
    }
  }
  return cols;
}

/** A label for an axis value: six significant digits at most. */
function label(v) {
  return String(Number(v.toPrecision(6)));
}

/**
 * Fills the columns no point fell in with the line between their neighbours (not across a
 * gap), so that a sparse history is drawn as a line.
 */
function interpolate(cols) {
  let left = -1;
  for (let x = 0; x < cols.length; x++) {
    const c = cols[x];
    if (c === "gap") left = -1;
    else if (c !== null) {
      if (left >= 0 && x - left > 1) {
        const a = cols[left].last;
        const b = c.first;
        for (let i = left + 1; i < x; i++) {
          const v = a + ((b - a) * (i - left)) / (x - left);
          cols[i] = { min: v, max: v, first: v, last: v };
        }
      }
      left = x;
    }
  }
  return cols;
}

/**
 * The chart of `points` (`{ step, value }` ordered by step) as lines of text: `width` x
 * `height` characters of plot, the highest and lowest value on the left axis, the last value
 * marked on the right, the step range below. `ascii`: '*' cells instead of braille.
 */
function renderPlot(points, { width, height, ascii = false, title = "", total = points.length }) {
  const sub = ascii ? 1 : 2;
  const subY = ascii ? 1 : 4;
  const px = width * sub;
  const py = height * subY;
  const cols = interpolate(columns(points, px));
  const finite = cols.filter((c) => c !== null && c !== "gap");
  const nonFinite = points.filter((p) => !Number.isFinite(p.value)).length;
  // Downsampled, a run of NaN is one point: then only say there are some.
  const specials = total === points.length ? `, ${nonFinite} NaN/inf (gaps)` : ", NaN/inf among them (gaps)";
  const head = `${title}${grouped(total)} point(s)${nonFinite ? specials : ""}${total === points.length ? "" : `, ${grouped(points.length)} drawn`}`;
  if (finite.length === 0) return [head, "(nothing to plot: no finite value)"];
  let lo = Math.min(...finite.map((c) => c.min));
  let hi = Math.max(...finite.map((c) => c.max));
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) / 10;
    lo -= pad;
    hi += pad;
  }
  const rowOf = (v) => Math.round(((hi - v) / (hi - lo)) * (py - 1));
  const grid = Array.from({ length: height }, () => new Array(width).fill(0));
  const set = (x, y) => {
    const cx = Math.floor(x / sub);
    const cy = Math.floor(y / subY);
    grid[cy][cx] |= ascii ? 1 : BRAILLE_BITS[x % 2][y % 4];
  };
  let prev = null;
  for (let x = 0; x < px; x++) {
    const c = cols[x];
    if (c === null || c === "gap") {
      prev = null;
      continue;
    }
    const top = rowOf(Math.max(c.max, prev ?? c.max));
    const bottom = rowOf(Math.min(c.min, prev ?? c.min));
    for (let y = top; y <= bottom; y++) set(x, y);
    prev = c.last;
  }
  const last = points.findLast((p) => Number.isFinite(p.value));
  const lastRow = Math.floor(rowOf(last.value) / subY);
  const hiText = label(hi);
  const loText = label(lo);
  const margin = Math.max(hiText.length, loText.length);
  const [tick, rule, corner, mark, blank] = ascii ? ["+", "|", "+", "<", " "] : ["┤", "│", "└", "◂", "\u2800"];
  const lines = [head];
  for (let r = 0; r < height; r++) {
    const text = r === 0 ? hiText : r === height - 1 ? loText : "";
    const cells = grid[r].map((bits) => (ascii ? (bits ? "*" : " ") : bits ? String.fromCodePoint(0x2800 + bits) : blank)).join("");
    const note = r === lastRow ? ` ${mark} last ${label(last.value)}` : "";
    lines.push(`${text.padStart(margin)} ${text ? tick : rule}${cells}${note}`.trimEnd());
  }
  const first = String(points[0].step);
  const end = String(points[points.length - 1].step);
  lines.push(`${" ".repeat(margin)} ${corner}${(ascii ? "-" : "─").repeat(width)}`);
  lines.push(`${" ".repeat(margin + 2)}${first}${end.padStart(Math.max(1, width - first.length))} (step)`);
  return lines;
}

/** `plot`: the chart of one metric's history. */
async function runPlot(argv, io) {
  const values = parseCommand("plot", argv, {
    ...CONNECTION_OPTIONS,
    job: { type: "string" },
    metric: { type: "string" },
    width: { type: "string" },
    height: { type: "string" },
    ascii: { type: "boolean" },
  });
  if (values.help) return "help";
  if (values.job === undefined) throw new UsageError("--job ID is required", "plot");
  if (values.metric === undefined) throw new UsageError("--metric NAME is required", "plot");
  const jobId = parseId(values.job, "--job", "plot");
  const termWidth = io.stdout.isTTY && io.stdout.columns ? io.stdout.columns - 28 : 60;
  const width = values.width === undefined ? Math.max(20, termWidth) : parseCount(values.width, "--width", "plot", 10, 1000);
  const height = values.height === undefined ? 12 : parseCount(values.height, "--height", "plot", 3, 200);
  const { client } = await connect(connectionFrom(values, io.env, "plot"), io);
  // M4 (first, last, lowest, highest of each of `4 * columns` bins) keeps all a column draws.
  const columnsDrawn = values.ascii === true ? width : width * 2;
  const series = await client.jobs.getMetricSeries(jobId, values.metric, { maxPoints: 4 * columnsDrawn, downsample: "m4" });
  if (series.steps.length === 0) {
    io.stderr.write(`no history for ${values.metric} in job ${jobId}\n`);
    return 1;
  }
  const points = Array.from(series.steps, (step, i) => ({ step, value: series.values[i] }));
  const lines = renderPlot(points, { width, height, ascii: values.ascii === true, title: `${values.metric}, job ${jobId}: `, total: series.total });
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** The help of `plot`. */
const HELP = `Usage: dioptra-metrics plot --job ID --metric NAME [--width N] [--height N] [--ascii]

A terminal line chart of a metric's whole history: Unicode braille (2 x 4 dots a character),
or '*' with --ascii. The history is downsampled to the width with the package's downsample
(M4); each column shows the lowest to highest value of its stretch of steps, and a NaN or an
infinity leaves a gap. The left axis shows the highest and lowest value, the last
value is marked on the right.

Options:
  --width N    characters of plot (default: the terminal's width, or 60)
  --height N   lines of plot (default: 12)
  --ascii      plain ASCII instead of braille

Examples:
  dioptra-metrics plot --job 12 --metric loss
  dioptra-metrics plot --job 12 --metric accuracy --width 40 --height 8 --ascii
`;

export { runPlot, renderPlot, HELP as PLOT_HELP };
