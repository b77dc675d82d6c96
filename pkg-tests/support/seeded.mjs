// Big histories seeded fast (scripts/seed_metrics.py writes the rows into the running server's
// SQLite database in one transaction; every read goes through the real REST API).
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

import { venvPython } from "./env.mjs";

const SEEDER = fileURLToPath(new URL("../../scripts/seed_metrics.py", import.meta.url));

/** The value seed_metrics.py stores at `step` (NaN, ±Infinity at steps 500, 501, 502 mod 1000). */
export function seededValue(step) {
  const r = step % 1000;
  if (r === 500) return NaN;
  if (r === 501) return Infinity;
  if (r === 502) return -Infinity;
  return ((step * 37) % 1009) / 7 - 50;
}

/** The timestamp (ms since the epoch) seed_metrics.py stores at `step`. */
export function seededTime(step) {
  return Date.UTC(2026, 0, 1) + step;
}

/** Stores steps `from`..`to-1` of each of `names` on `job`, straight into the database. */
export function seedMetrics(job, names, from, to) {
  const db = process.env.DIOPTRA_DB_PATH;
  if (!db) throw new Error("DIOPTRA_DB_PATH is not set: run the tests via scripts/with-dioptra.mjs");
  const args = [SEEDER, "--db", db, "--job", String(job), "--names", names.join(","), "--steps", `${from}:${to}`];
  return new Promise((resolve, reject) => {
    execFile(venvPython, args, (err, stdout, stderr) => (err ? reject(new Error(`seed_metrics.py failed: ${stderr}`)) : resolve(JSON.parse(stdout))));
  });
}
