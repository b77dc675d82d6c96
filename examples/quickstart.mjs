// Quickstart: log a short training curve to a Dioptra job, then read it back.
//
//   npm run demo
//       starts a local Dioptra 1.2.2, seeds it, runs this file against it, stops it.
//
//   DIOPTRA_ADDRESS=http://localhost:5000 DIOPTRA_USERNAME=me DIOPTRA_PASSWORD=... \
//   DIOPTRA_JOB_ID=17 node examples/quickstart.mjs
//       runs it against your own server (the job must exist; its metrics are overwritten
//       at steps 0 to 7 for "loss" and "accuracy").
//
// Inside this repository "dioptra-metrics" resolves to the package itself (build it first:
// `npm run build`); elsewhere, `npm install dioptra-metrics`.

import { DioptraClient, DioptraError } from "dioptra-metrics";

const address = process.env.DIOPTRA_ADDRESS ?? "http://localhost:5000";
const username = process.env.DIOPTRA_USERNAME;
const password = process.env.DIOPTRA_PASSWORD;
const jobId = process.env.DIOPTRA_JOB_ID ?? JSON.parse(process.env.DIOPTRA_SEED ?? "null")?.experiments.main.jobIds[0];

if (!username || !password || !jobId) {
  console.error("Set DIOPTRA_USERNAME, DIOPTRA_PASSWORD and DIOPTRA_JOB_ID (or run `npm run demo`).");
  process.exit(2);
}

// A made-up training run: one loss went NaN at step 4.
const curve = {
  loss: [2.31, 1.62, 1.18, 0.87, NaN, 0.55, 0.47, 0.42],
  accuracy: [0.11, 0.42, 0.61, 0.72, 0.78, 0.83, 0.86, 0.88],
};

/** Prints `rows` (arrays of strings) under `header`: first column left-aligned, the rest right. */
function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

const client = new DioptraClient(address, { timeoutMs: 10_000 });

try {
  const session = await client.auth.login(username, password);
  console.log(`${session.status} as ${session.username} at ${client.baseUrl}, job ${jobId}\n`);

  for (const [name, values] of Object.entries(curve)) {
    for (const [step, value] of values.entries()) {
      await client.jobs.appendMetricById(jobId, name, value, { step });
    }
  }
  console.log(`logged ${curve.loss.length} steps of ${Object.keys(curve).join(" and ")}\n`);

  // The latest value of each metric: the one at its highest step.
  console.log("latest values");
  const latest = await client.jobs.getMetricsById(jobId);
  printTable(["metric", "value"], latest.map((m) => [m.name, String(m.value)]));

  // The whole history of each metric (8 points fit on one page of 100).
  for (const name of Object.keys(curve)) {
    const page = await client.jobs.getMetricsSnapshotsById(jobId, name, { pageLength: 100 });
    const points = page.data.toSorted((a, b) => a.step - b.step);
    console.log(`\nhistory of ${name} (${page.totalNumResults} points)`);
    printTable(
      ["step", "value", "timestamp"],
      points.map((p) => [String(p.step), String(p.value), p.timestamp.toISOString()]),
    );
  }
} catch (err) {
  if (!(err instanceof DioptraError)) throw err;
  console.error(`${err.name}: ${err.message}`);
  process.exitCode = 1;
} finally {
  await client.auth.logout().catch(() => {});
}
