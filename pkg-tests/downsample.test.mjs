// downsample(): the rules on special values, and agreement with tsdownsample 0.1.5.1 (the Rust
// reference plotly-resampler uses, run in the test venv) on random finite series, including
// equal x values and constant y.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

import { downsample, DioptraValidationError } from "dioptra-metrics";
import { venvPython } from "./support/env.mjs";

const REF = fileURLToPath(new URL("./support/tsdownsample_ref.py", import.meta.url));

/** A small seeded PRNG (mulberry32), so a failure can be replayed from its seed. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random cases: lengths from tiny to 200,000, x integer steps, float steps or runs of equal x; y random walks, noise, constant. */
function cases(seed) {
  const r = rng(seed);
  const out = [];
  const lengths = [5, 10, 37, 100, 1000, 4099, 20_000, 200_000];
  for (let k = 0; k < 48; k++) {
    const n = lengths[k % lengths.length] + Math.floor(r() * 50);
    const nOut = 3 + Math.floor(r() * Math.min(n, 500));
    const xKind = k % 3;
    const yKind = Math.floor(k / 3) % 4;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    let at = r() * 100;
    let walk = 0;
    for (let i = 0; i < n; i++) {
      if (xKind === 0) at = i;
      else if (xKind === 1) at += r() * 3;
      else at += r() < 0.4 ? 0 : Math.floor(r() * 3); // runs of equal x
      x[i] = at;
      walk += r() - 0.5;
      y[i] = yKind === 0 ? walk : yKind === 1 ? r() * 1e3 - 500 : yKind === 2 ? 0.25 : Math.round(walk);
    }
    out.push({ x, y, nOut, label: `seed ${seed} case ${k}: n=${n} nOut=${nOut} x=${["int", "float", "equal runs"][xKind]} y=${["walk", "noise", "constant", "steps"][yKind]}` });
  }
  return out;
}

describe("downsample agrees with tsdownsample 0.1.5.1", () => {
  it("lttb and minmax-lttb keep exactly the reference's indices on random finite series", () => {
    const all = cases(20261127);
    const input = JSON.stringify(all.map(({ x, y, nOut }) => ({ x: Array.from(x), y: Array.from(y), nOut })));
    const ref = JSON.parse(execFileSync(venvPython, [REF], { input, maxBuffer: 512 * 1024 * 1024 }).toString());
    let compared = 0;
    all.forEach(({ x, y, nOut, label }, i) => {
      // The reference may repeat an index (a constant bin's min and max): the package keeps it once.
      const dedup = (a) => a.filter((v, j) => j === 0 || v !== a[j - 1]);
      assert.deepEqual(Array.from(downsample(x, y, nOut, { method: "lttb" })), dedup(ref[i].lttb), `lttb, ${label}`);
      assert.deepEqual(Array.from(downsample(x, y, nOut)), dedup(ref[i].minmaxLttb), `minmax-lttb, ${label}`);
      compared += 2;
    });
    assert.equal(compared, 96);
  });
});

describe("downsample rules", () => {
  const n = 50_000;
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 500));
  y[100] = NaN;
  y[30_000] = Infinity;
  y[30_001] = -Infinity;

  for (const method of ["lttb", "minmax-lttb", "m4", "minmax"]) {
    it(`${method}: first and last kept, at most maxPoints, ascending, special values shown`, () => {
      const kept = downsample(x, y, 200, { method });
      assert.ok(kept instanceof Uint32Array);
      assert.ok(kept.length <= 200 && kept.length > 100, `${kept.length} kept`);
      assert.equal(kept[0], 0);
      assert.equal(kept.at(-1), n - 1);
      for (let i = 1; i < kept.length; i++) assert.ok(kept[i] > kept[i - 1]);
      assert.ok(kept.includes(100), "the NaN is hidden");
      assert.ok(kept.includes(30_000), "the +Infinity is hidden");
    });
  }

  it("a short series comes back whole; plain arrays are accepted", () => {
    assert.deepEqual(Array.from(downsample([1, 2, 3], [NaN, 1, 2], 3)), [0, 1, 2]);
  });

  it("bad input is a DioptraValidationError", () => {
    assert.throws(() => downsample(x, y.subarray(1), 10), DioptraValidationError);
    assert.throws(() => downsample([2, 1, 3], [1, 2, 3], 3), (e) => e instanceof DioptraValidationError && e.field === "x");
    assert.throws(() => downsample(x, y, 2), (e) => e instanceof DioptraValidationError && e.field === "maxPoints");
    assert.throws(() => downsample(x, y, 10, { method: "fast" }), (e) => e instanceof DioptraValidationError && e.field === "method");
    assert.throws(() => downsample(x, y, 10, { methd: "lttb" }), DioptraValidationError);
    assert.throws(() => downsample("x", y, 10), DioptraValidationError);
  });
});
