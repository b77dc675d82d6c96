// Thinning a history for display: min/max per stretch, so that peaks survive.

/**
 * At most `n` (≥ 2) of `points` (ordered by step): the points are cut into n/2 stretches and
 * each gives its lowest and highest finite value (in step order); a stretch with no finite value
 * gives its first point (so a run of NaN stays visible).
 */
function thin(points, n) {
  if (points.length <= n) return points;
  const stretches = Math.max(1, Math.floor(n / 2));
  const out = [];
  for (let s = 0; s < stretches; s++) {
    const from = Math.floor((s * points.length) / stretches);
    const to = Math.floor(((s + 1) * points.length) / stretches);
    let lo = null;
    let hi = null;
    for (let i = from; i < to; i++) {
      const p = points[i];
      if (!Number.isFinite(p.value)) continue;
      if (lo === null || p.value < lo.value) lo = p;
      if (hi === null || p.value > hi.value) hi = p;
    }
    if (lo === null) {
      if (from < to) out.push(points[from]);
    } else if (lo === hi) out.push(lo);
    else out.push(...(lo.step <= hi.step ? [lo, hi] : [hi, lo]));
  }
  return out;
}

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

export { thin, columns };
