// The live Dioptra server that scripts/with-dioptra.mjs started for this test run.
//
//   import { address, username, password, seed, venvPython, takeJob, pyclient } from "./support/env.mjs";
//
// address     "http://127.0.0.1:PORT" (no trailing slash; the API is under /api/v1)
// username, password
// seed        parsed seed.py output: { username, password, group, queue, plugin, entrypoint,
//             experiments: { main: { id, jobIds: [3] }, pool: { id, jobIds: [96] }, many: { id, jobIds: [25] } } }
// venvPython  the Dioptra venv's python
// takeJob()   a job id from the "pool" experiment that no other test (in any process of this
//             run) gets: use it for tests that write metrics.
// pyclient(args)  runs scripts/pyclient.py (Dioptra's own Python client) and resolves to its JSON.

import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HOW =
  "run the tests via `npm test`, which starts a real local Dioptra server " +
  "(or: node scripts/with-dioptra.mjs -- node --test pkg-tests/)";

if (!process.env.DIOPTRA_ADDRESS) {
  throw new Error(`DIOPTRA_ADDRESS is not set: these tests need a live Dioptra server; ${HOW}.`);
}
for (const k of ["DIOPTRA_USERNAME", "DIOPTRA_PASSWORD", "DIOPTRA_SEED", "DIOPTRA_VENV_PYTHON"]) {
  if (!process.env[k]) throw new Error(`${k} is not set (DIOPTRA_ADDRESS is); ${HOW}.`);
}

export const address = process.env.DIOPTRA_ADDRESS.replace(/\/+$/, "");
export const username = process.env.DIOPTRA_USERNAME;
export const password = process.env.DIOPTRA_PASSWORD;
export const seed = JSON.parse(process.env.DIOPTRA_SEED);
export const venvPython = process.env.DIOPTRA_VENV_PYTHON;

const PYCLIENT = fileURLToPath(new URL("../../scripts/pyclient.py", import.meta.url));

/**
 * Claims a job id from the seeded "pool" experiment for this caller. Test files run in separate
 * processes in parallel: the claim is an atomic mkdir of `job-<id>` in DIOPTRA_JOB_ALLOC_DIR.
 * @returns {number}
 */
export function takeJob() {
  const dir = process.env.DIOPTRA_JOB_ALLOC_DIR;
  if (!dir) throw new Error(`DIOPTRA_JOB_ALLOC_DIR is not set; ${HOW}.`);
  const pool = seed.experiments?.pool?.jobIds ?? [];
  for (const id of pool) {
    try {
      fs.mkdirSync(path.join(dir, `job-${id}`));
      return id;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
    }
  }
  throw new Error(
    `takeJob(): all ${pool.length} jobs of the "pool" experiment are taken; ` +
      "raise its size in scripts/with-dioptra.mjs (EXPERIMENTS)",
  );
}

/**
 * Runs scripts/pyclient.py with the venv python, e.g. pyclient(["history", 17, "loss"]).
 * @param {(string|number)[]} args
 * @returns {Promise<any>} the parsed JSON output
 */
export function pyclient(args) {
  const argv = [PYCLIENT, ...args.map(String)];
  const env = {
    ...process.env,
    DIOPTRA_ADDRESS: address,
    DIOPTRA_USERNAME: username,
    DIOPTRA_PASSWORD: password,
  };
  return new Promise((resolve, reject) => {
    execFile(venvPython, argv, { env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const why = err.code !== undefined ? `exit ${err.code}` : err.message;
        reject(new Error(`pyclient.py ${args.join(" ")} failed (${why}):\n${stderr}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout));
      } catch (e) {
        reject(new Error(`pyclient.py ${args.join(" ")}: output is not JSON (${e.message}):\n${stdout}\n${stderr}`));
      }
    });
  });
}
