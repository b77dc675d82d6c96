// This package and Dioptra's own Python client agree on every value, both ways.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";

import { DioptraClient } from "dioptra-metrics";
import { address, username, password, takeJob, pyclient } from "./support/env.mjs";

const client = new DioptraClient(address);
before(() => client.auth.login(username, password));

/** A value as pyclient.py prints it, as a JS number. */
function fromPython(point) {
  const special = { nan: NaN, inf: Infinity, "-inf": -Infinity };
  if (typeof point.value === "string") return special[point.value];
  // Python's repr is the shortest exact spelling; JS parses it to the same double.
  return Number(point.repr);
}

const VALUES = [0.1 + 0.2, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, -2.5, 1 / 3, 1e-300, 42];

describe("cross-client agreement", () => {
  it("what this package writes, Dioptra's Python client reads identically", async () => {
    const job = takeJob();
    for (const [step, value] of VALUES.entries()) {
      await client.jobs.appendMetricById(job, "written_by_js", value, { step });
    }
    const points = await pyclient(["history", job, "written_by_js"]);
    assert.equal(points.length, VALUES.length);
    for (const point of points) {
      assert.ok(Object.is(fromPython(point), VALUES[point.step]), `step ${point.step}: python read ${JSON.stringify(point)}`);
    }
    const [latest] = await pyclient(["latest", job]);
    assert.equal(fromPython(latest), 42);
  });

  it("what the Python client writes, this package reads identically", async () => {
    const job = takeJob();
    const spelled = ["0.30000000000000004", "nan", "inf", "-inf", "5e-324", "1.7976931348623157e+308", "-2.5", "0.3333333333333333", "1e-300", "42"];
    for (const [step, text] of spelled.entries()) {
      await pyclient(["append", job, "written_by_py", text, step]);
    }
    const page = await client.jobs.getMetricsSnapshotsById(job, "written_by_py", { pageLength: 100 });
    assert.equal(page.data.length, VALUES.length);
    for (const point of page.data) {
      assert.ok(Object.is(point.value, VALUES[point.step]), `step ${point.step}: read ${point.value}`);
    }
    const latest = await client.jobs.getMetricsById(job);
    assert.deepEqual(latest, [{ name: "written_by_py", value: 42 }]);
  });

  it("both see the same timestamps", async () => {
    const job = takeJob();
    const when = new Date("2026-11-27T05:41:08.250Z");
    await client.jobs.appendMetricById(job, "stamped", 1, { timestamp: when });
    const [point] = await pyclient(["history", job, "stamped"]);
    assert.equal(new Date(/[zZ]|[+-]\d\d:\d\d$/.test(point.timestamp) ? point.timestamp : `${point.timestamp}Z`).getTime(), when.getTime());
  });
});
