// A history in the columns of a terminal chart: min/max per column, NaN as a gap.

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

export { columns };
