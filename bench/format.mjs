// What every bench section prints with: medians, and numbers and tables formatted alike.

/** The median of `xs` (the mean of the middle two when there is an even number). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** The smallest of `xs`: the best run of a time. */
export const best = (xs) => Math.min(...xs);
/** Seconds, 3 decimals under 10 s, 2 above; "-" for a missing figure. */
export const fmtS = (s) => (s === undefined || Number.isNaN(s) ? "-" : s < 10 ? s.toFixed(3) : s.toFixed(2));
/** A ratio as "1.23x" ("123x" from 100 on); "-" for a missing or infinite one. */
export const fmtX = (x) => (x === undefined || !Number.isFinite(x) ? "-" : x >= 100 ? `${x.toFixed(0)}x` : `${x.toFixed(2)}x`);
/** An integer with thousands separators. */
export const fmtInt = (n) => n.toLocaleString("en-US");

/** A Markdown table; `align[i]` is "r" for a right-aligned column. */
export function table(headers, rows, align) {
  const cells = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) =>
    "| " + r.map((c, i) => ((align?.[i] ?? "l") === "r" ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ") + " |";
  const sep = "|" + widths.map((w, i) => ((align?.[i] ?? "l") === "r" ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  return [line(cells[0]), sep, ...cells.slice(1).map(line)].join("\n");
}
