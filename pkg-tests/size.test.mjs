// The weight budget of the built package (dist/), per entry point: what a runtime loads when it
// imports the package, each file gzipped alone as a server sends it (scripts/sizes.mjs, the
// same figures `npm run build` prints). The build is deterministic, so the budget is exact
// enough to hold: a change that makes the package heavier must raise it here, on purpose.
// Timings are not tested; they live in `npm run bench`.
//
//   node --test pkg-tests/size.test.mjs        (after node scripts/build.mjs)
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { entrySizes } from "../scripts/sizes.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Gzipped bytes each entry point may weigh, by file: ~1.5 KB above this build's figures, so a
 * regression of the weight fails here. The browser entry (default condition) is the one users
 * download.
 */
const BUDGET_GZIP = {
  "./dist/index.js": 155_100,
  "./dist/index.cjs": 157_300,
  "./dist/workerd.js": 154_700,
  "./dist/inlined.js": 155_800,
  "./dist/slim.js": 26_000,
};

const entries = entrySizes(root);

test("every entry point of package.json's exports is within its gzipped budget", () => {
  assert.deepEqual(entries.map((e) => e.entry).sort(), Object.keys(BUDGET_GZIP).sort(), "an entry point without a budget (or a budget without an entry)");
  for (const e of entries) {
    const detail = e.files.map((f) => `${f.file} ${f.gzip}`).join(", ");
    assert.ok(e.gzip <= BUDGET_GZIP[e.entry], `${e.entry} weighs ${e.gzip} B gzipped, over its budget of ${BUDGET_GZIP[e.entry]} B (${detail})`);
  }
});

test("each entry point loads the .wasm (or its bytes inlined) and the wasm-bindgen glue", () => {
  for (const e of entries) {
    const files = e.files.map((f) => f.file);
    // dioptra-metrics/slim is handed the wasm by its user (init()): it must not load any.
    if (e.entry === "./dist/slim.js") {
      assert.ok(!files.some((f) => /^dist\/wasm\/(dioptra_metrics_bg\.wasm|inline\.c?js)$/.test(f)), `/slim loads wasm bytes itself: ${files.join(", ")}`);
      assert.ok(files.includes("dist/wasm/dioptra_metrics.js"), `/slim does not reach the glue: ${files.join(", ")}`);
      continue;
    }
    const wasm = files.includes("dist/wasm/dioptra_metrics_bg.wasm") || files.some((f) => /^dist\/wasm\/inline\.c?js$/.test(f));
    assert.ok(wasm, `${e.entry} reaches neither the .wasm nor its inlined bytes: ${files.join(", ")}`);
    assert.ok(files.some((f) => /^dist\/wasm\/dioptra_metrics\.c?js$/.test(f)), `${e.entry} does not reach the glue: ${files.join(", ")}`);
  }
});

test("the shipped .wasm has no debug, name or producers sections", () => {
  const module = new WebAssembly.Module(fs.readFileSync(path.join(root, "dist/wasm/dioptra_metrics_bg.wasm")));
  for (const section of ["name", "producers", ".debug_info", "target_features"]) {
    assert.equal(WebAssembly.Module.customSections(module, section).length, 0, `custom section ${section} ships`);
  }
});

test("the shipped JavaScript is minified (no comments, no indentation)", () => {
  for (const e of entries) {
    for (const { file } of e.files.filter((f) => /\.c?js$/.test(f.file))) {
      const text = fs.readFileSync(path.join(root, file), "utf8");
      assert.doesNotMatch(text, /^\s*\/\/ /m, `${file} keeps line comments`);
      assert.doesNotMatch(text, /^ {2,}\S/m, `${file} keeps indentation`);
    }
  }
});
