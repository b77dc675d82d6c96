#!/usr/bin/env node
// Runs a command against a fresh, seeded, REAL local Dioptra REST API server.
//
//   node scripts/with-dioptra.mjs [--log] -- <command> [args...]
//
// Starts redis + gunicorn (scripts/dioptra-server.mjs), seeds it with scripts/seed.py
// (user "tester" with a random password; experiments main:3, pool:112, many:25, cli:3), runs the
// command with inherited stdio and these variables:
//   DIOPTRA_ADDRESS       http://127.0.0.1:PORT
//   DIOPTRA_USERNAME      tester
//   DIOPTRA_PASSWORD      the random password
//   DIOPTRA_SEED          seed.py's JSON line
//   DIOPTRA_VENV_PYTHON   the Dioptra venv's python (for scripts/pyclient.py)
//   DIOPTRA_JOB_ALLOC_DIR an empty dir, for pkg-tests/support/env.mjs takeJob()
// and, for a test that runs ANOTHER gunicorn on the same database and redis (a server it may
// kill and restart: pkg-tests/support/restartable-dioptra.mjs):
//   DIOPTRA_SERVER_DIR    the server's temp dir (removed at the end of the run)
//   DIOPTRA_DB_PATH       its SQLite database
//   DIOPTRA_MLFLOW_DB_PATH  MLflow's SQLite database (the REST API opens it at start-up)
//   DIOPTRA_REDIS_URI     redis://127.0.0.1:PORT/0
// then stops the server and exits with the command's exit status.
// --log shows the servers' own output on stderr. If the Python side is missing it runs
// scripts/setup-server-deps.sh first.

import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { missingDeps, startDioptra } from "./dioptra-server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const EXPERIMENTS = ["main:3", "pool:112", "many:25", "cli:3"];
const USERNAME = "tester";

function usage(msg) {
  if (msg) console.error(`with-dioptra: ${msg}`);
  console.error("usage: node scripts/with-dioptra.mjs [--log] -- <command> [args...]");
  process.exit(2);
}

const argv = process.argv.slice(2);
let log = false;
let i = 0;
for (; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--") {
    i++;
    break;
  }
  if (a === "--log") log = true;
  else if (a === "-h" || a === "--help") usage();
  else if (a.startsWith("-")) usage(`unknown option ${a}`);
  else break; // command without "--"
}
const command = argv.slice(i);
if (command.length === 0) usage("no command given");

function runCapture(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const sigNum = (sig) => os.constants.signals[sig] ?? 0;

let server = null;
let child = null;
let exiting = false;

async function finish(code) {
  if (exiting) return;
  exiting = true;
  try {
    if (server) await server.stop();
  } catch (e) {
    console.error(`with-dioptra: stopping the server failed: ${e?.message ?? e}`);
  }
  process.exit(code);
}

let signalled = 0;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    signalled++;
    if (child && child.exitCode === null && child.signalCode === null) {
      // Forward it; we exit when the command does. A second signal: stop waiting.
      if (signalled === 1) child.kill(sig);
      else {
        child.kill("SIGKILL");
        finish(128 + sigNum(sig));
      }
    } else {
      finish(128 + sigNum(sig));
    }
  });
}

try {
  const problems = missingDeps();
  if (problems.length) {
    console.error(`with-dioptra: ${problems.join("; ")}: running scripts/setup-server-deps.sh`);
    const r = spawnSync("bash", [path.join(here, "setup-server-deps.sh")], { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) throw new Error(`scripts/setup-server-deps.sh failed (exit ${r.status ?? r.signal})`);
  }

  const t0 = performance.now();
  server = await startDioptra({ log });
  const t1 = performance.now();

  const password = crypto.randomBytes(12).toString("base64url");
  const seedArgs = [
    path.join(here, "seed.py"),
    "--address", server.address,
    "--username", USERNAME,
    // One argument: a base64url password may start with "-", which argparse would take for an option.
    `--password=${password}`,
    ...EXPERIMENTS.flatMap((e) => ["--experiment", e]),
  ];
  const seeded = await runCapture(server.venvPython, seedArgs, { cwd: server.dir, env: process.env });
  if (seeded.code !== 0) {
    throw new Error(`seed.py failed (exit ${seeded.code ?? seeded.signal}):\n${seeded.stderr}${seeded.stdout}`);
  }
  const seedLine = seeded.stdout.trim().split("\n").pop();
  const seed = JSON.parse(seedLine);
  const t2 = performance.now();

  const allocDir = path.join(server.dir, "job-alloc");
  fs.mkdirSync(allocDir);

  const njobs = Object.values(seed.experiments).reduce((n, e) => n + e.jobIds.length, 0);
  console.error(
    `with-dioptra: Dioptra 1.2.2 at ${server.address} ready in ${((t2 - t0) / 1000).toFixed(1)} s ` +
      `(server ${((t1 - t0) / 1000).toFixed(1)} s, seed ${((t2 - t1) / 1000).toFixed(1)} s, ${njobs} jobs)`,
  );

  if (signalled) await finish(130);

  const env = {
    ...process.env,
    DIOPTRA_ADDRESS: server.address,
    DIOPTRA_USERNAME: USERNAME,
    DIOPTRA_PASSWORD: password,
    DIOPTRA_SEED: seedLine,
    DIOPTRA_VENV_PYTHON: server.venvPython,
    DIOPTRA_JOB_ALLOC_DIR: allocDir,
    DIOPTRA_SERVER_DIR: server.dir,
    DIOPTRA_DB_PATH: server.dbPath,
    DIOPTRA_MLFLOW_DB_PATH: server.mlflowDbPath,
    DIOPTRA_REDIS_URI: server.redisUri,
  };
  child = spawn(command[0], command.slice(1), { stdio: "inherit", env });
  const code = await new Promise((resolve) => {
    child.on("error", (e) => {
      console.error(`with-dioptra: cannot run ${command[0]}: ${e.message}`);
      resolve(127);
    });
    child.on("exit", (c, sig) => resolve(c ?? 128 + sigNum(sig)));
  });
  await finish(code);
} catch (e) {
  console.error(`with-dioptra: ${e?.stack ?? e}`);
  await finish(1);
}
