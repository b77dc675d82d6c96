// toCSV / toJSONLines: a series read from the real Dioptra, written out and read back by
// Python's csv and json modules: every point, values exact, special values and timestamps as
// Dioptra spells them.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { DioptraClient, DioptraValidationError, toCSV, toJSONLines } from "dioptra-metrics";
import { address, username, password, takeJob, venvPython } from "./support/env.mjs";
import { seedMetrics } from "./support/seeded.mjs";

const PARSER = fileURLToPath(new URL("./support/parse_export.py", import.meta.url));
const client = new DioptraClient(address);
let job;
let series;

/** Python's repr of a double (shortest round trip; nan, inf, -inf), from JS. */
function pyRepr(v) {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (Object.is(v, -0)) return "-0.0";
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  const s = String(v); // JS and Python both print the shortest round-trip digits
  return s.replace(/e\+?(-?)(\d)$/, "e$10$2").replace(/e\+/, "e+");
}

/** What Python reads back from `text` (`kind`: csv or jsonl). */
function parse(kind, text) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "export-")), `out.${kind}`);
  fs.writeFileSync(file, text);
  return JSON.parse(execFileSync(venvPython, [PARSER, kind, file], { maxBuffer: 64 * 1024 * 1024 }).toString());
}

before(async () => {
  await client.auth.login(username, password);
  job = takeJob();
  await seedMetrics(job, ["loss"], 0, 1200);
  // Exact values a text format could spoil, and a server-side timestamp with microseconds.
  await client.jobs.appendMetricById(job, "loss", 0.1 + 0.2, { step: 2000 });
  await client.jobs.appendMetricById(job, "loss", 5e-324, { step: 2001 });
  await client.jobs.appendMetricById(job, "loss", -1.7976931348623157e308, { step: 2002 });
  series = await client.jobs.getMetricSeries(job, "loss");
});

describe("toCSV and toJSONLines", () => {
  for (const [kind, write] of [["csv", toCSV], ["jsonl", toJSONLines]]) {
    it(`${kind}: Python reads back every point, values and timestamps exact`, () => {
      const back = parse(kind, write(series));
      assert.equal(back.length, series.steps.length);
      back.forEach((row, i) => {
        assert.equal(row.jobId, job);
        assert.equal(row.name, "loss");
        assert.equal(row.step, series.steps[i]);
        assert.equal(row.value, pyRepr(series.values[i]), `step ${row.step}`);
        assert.equal(row.timestamp, Math.round(series.timestamps[i] * 1000), `step ${row.step}`);
      });
      assert.ok(back.some((r) => r.value === "nan") && back.some((r) => r.value === "-inf"));
    });
  }

  it("the CSV has a header and spells special values as Dioptra does", () => {
    const csv = toCSV(series);
    assert.equal(csv.split("\n")[0], "jobId,name,step,value,timestamp");
    assert.match(csv, new RegExp(`^${job},loss,500,nan,2026-01-01T00:00:00\\.500Z$`, "m"));
    assert.match(csv, new RegExp(`^${job},loss,501,inf,`, "m"));
    assert.equal(toCSV(series, { header: false }).split("\n")[0].split(",")[2], "0");
  });

  it("watched snapshots export too (jobId from the options, overwrite kept in JSON Lines)", () => {
    const snaps = [{ name: "acc", value: 0.5, step: 3, timestamp: new Date(Date.UTC(2026, 0, 2)), overwrite: true }];
    assert.equal(toCSV(snaps, { jobId: 7 }), "jobId,name,step,value,timestamp\n7,acc,3,0.5,2026-01-02T00:00:00.000Z\n");
    assert.deepEqual(JSON.parse(toJSONLines(snaps, { jobId: 7 })), { jobId: 7, name: "acc", step: 3, value: 0.5, timestamp: "2026-01-02T00:00:00.000Z", overwrite: true });
  });

  it("bad input is a DioptraValidationError", () => {
    assert.throws(() => toCSV(42), DioptraValidationError);
    assert.throws(() => toCSV([{ x: 1 }]), DioptraValidationError);
    assert.throws(() => toJSONLines(series, { headr: false }), DioptraValidationError);
  });
});
