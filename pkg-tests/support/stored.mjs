// Reads back what the issue-8 tests logged with Dioptra's own Python client and checks it.
import assert from "node:assert/strict";

import { pyclient } from "./env.mjs";
import { valueOf } from "./points.mjs";

const SPECIAL = { nan: NaN, inf: Infinity, "-inf": -Infinity };

/** The stored history of `name` on `job` (Python client): `[{ step, value, time }]` in step order. */
export async function storedHistory(job, name) {
  const points = await pyclient(["history", job, name]);
  return points
    .map((p) => ({
      step: p.step,
      value: typeof p.value === "string" ? SPECIAL[p.value] : Number(p.repr),
      time: Date.parse(p.timestamp),
    }))
    .sort((a, b) => a.step - b.step);
}

/**
 * Asserts that `job` holds, for each of `names`, steps 0..steps-1 exactly once each with
 * valueOf(name, step), and (unless `timestampsInStepOrder` is false) timestamps that never go
 * back as the step goes up. Messages say how many points were lost.
 */
export async function assertStoredExactly(job, names, steps, { timestampsInStepOrder = true } = {}) {
  const total = names.length * steps;
  let stored = 0;
  const problems = [];
  for (const name of names) {
    const history = await storedHistory(job, name);
    stored += history.length;
    const seen = new Set();
    for (const p of history) {
      if (seen.has(p.step)) problems.push(`${name}@${p.step} stored twice`);
      seen.add(p.step);
      if (!(p.step >= 0 && p.step < steps)) problems.push(`${name}@${p.step} was never logged`);
      else if (!Object.is(p.value, valueOf(name, p.step))) problems.push(`${name}@${p.step} is ${p.value}, logged ${valueOf(name, p.step)}`);
    }
    const missing = [];
    for (let step = 0; step < steps; step++) if (!seen.has(step)) missing.push(step);
    if (missing.length) problems.push(`${name}: ${missing.length} of ${steps} steps lost (first: ${missing.slice(0, 5).join(", ")})`);
    if (timestampsInStepOrder) {
      let back = 0;
      for (let i = 1; i < history.length; i++) if (history[i].time < history[i - 1].time) back += 1;
      if (back) problems.push(`${name}: the timestamp goes back ${back} time(s) as the step goes up`);
    }
  }
  assert.deepEqual(problems, [], `${total - stored} of ${total} points lost; ${problems.slice(0, 8).join("; ")}`);
}
