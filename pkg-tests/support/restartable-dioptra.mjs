// A second REAL Dioptra that a test may SIGKILL and bring back on the same port, beside the
// run's server (which the other test files share and which this never touches).
//
//   const server = await startRestartableDioptra();            // same database as the run's
//   const empty = await startRestartableDioptra({ fresh: true }); // a new, empty database
//   server.address       "http://127.0.0.1:PORT" (the port stays the same across restarts)
//   await server.kill()  SIGKILLs its gunicorn (master and worker): connections are refused
//   await server.start() gunicorn again on the same port; resolves once /health answers
//   await server.stop()  kills it for good and removes its files
//
// It is its own gunicorn (one sync worker, like the run's) on the run's redis and, unless
// `fresh`, the run's SQLite database: the seeded user and jobs are there, and what it stores
// the run's server (and pyclient) reads. With `fresh: true` it gets a migrated empty database
// (from the schema cache of scripts/dioptra-server.mjs): no user, no job, so every seeded job is
// a 404 there (create a user first: createUser()).
// Needs the variables scripts/with-dioptra.mjs sets (DIOPTRA_SERVER_DIR, DIOPTRA_DB_PATH,
// DIOPTRA_MLFLOW_DB_PATH, DIOPTRA_REDIS_URI).
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

import {
  freePortOutsideEphemeralRange,
  killGroupSync,
  prepareDatabase,
  serverEnv,
  startGunicorn,
  startWatchdog,
  waitExit,
  waitHealthy,
} from "../../scripts/dioptra-server.mjs";

const live = new Set();
process.on("exit", () => {
  for (const server of live) server.hardKill();
});

/** Resolves once nothing accepts connections on 127.0.0.1:`port` (or after `timeoutMs`). */
async function waitRefused(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const accepted = await new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (!accepted || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function runVariable(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through scripts/with-dioptra.mjs (npm test)`);
  return value;
}

/**
 * Starts a restartable Dioptra and waits for its /health.
 * @param {{ fresh?: boolean }} [options] fresh: a new empty database instead of the run's
 * @returns {Promise<{ address: string, port: number, dir: string, dbPath: string, readonly running: boolean,
 *   kill(): Promise<void>, start(): Promise<void>, stop(): Promise<void> }>}
 */
export async function startRestartableDioptra({ fresh = false } = {}) {
  const runDir = runVariable("DIOPTRA_SERVER_DIR");
  const redisUri = runVariable("DIOPTRA_REDIS_URI");
  // Inside the run's dir: removed with it even if this process and its watchdog both vanish.
  const dir = fs.mkdtempSync(path.join(runDir, "restartable-"));
  let dbPath = runVariable("DIOPTRA_DB_PATH");
  let mlflowDbPath = runVariable("DIOPTRA_MLFLOW_DB_PATH");
  if (fresh) {
    dbPath = path.join(dir, "dioptra.db");
    mlflowDbPath = path.join(dir, "mlflow.db");
  }
  const env = serverEnv({ dbPath, redisUri, mlflowDbPath });
  if (fresh) await prepareDatabase({ dir, dbPath, mlflowDbPath, env });
  const port = await freePortOutsideEphemeralRange();
  const address = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, "gunicorn.log");

  let gunicorn = null;
  let watchdog = null;
  let stopped = false;

  const server = {
    address,
    port,
    dir,
    dbPath,
    /** Whether its gunicorn is up (started and not killed since). */
    get running() {
      return gunicorn !== null && gunicorn.exitCode === null && gunicorn.signalCode === null;
    },
    async start() {
      if (stopped) throw new Error("restartable Dioptra: start() after stop()");
      if (server.running) throw new Error("restartable Dioptra: start() while it runs");
      fs.appendFileSync(logFile, `--- start ${new Date().toISOString()}\n`);
      gunicorn = startGunicorn({ env, cwd: dir, port, logFile });
      killGroupSync(watchdog?.pid, "SIGKILL");
      watchdog = startWatchdog([gunicorn.pid], dir);
      await waitHealthy(address, gunicorn, { logFile });
    },
    async kill() {
      const g = gunicorn;
      if (!g) return;
      // The whole group: the master and its worker (a worker left alone would keep serving).
      killGroupSync(g.pid, "SIGKILL");
      await waitExit(g, 5000);
      // The worker holds the listening socket too, and dies a moment after the master.
      await waitRefused(port, 5000);
    },
    async stop() {
      stopped = true;
      await server.kill();
      killGroupSync(watchdog?.pid, "SIGKILL");
      live.delete(server);
      fs.rmSync(dir, { recursive: true, force: true });
    },
    hardKill() {
      killGroupSync(gunicorn?.pid, "SIGKILL");
      killGroupSync(watchdog?.pid, "SIGKILL");
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {}
    },
  };
  live.add(server);
  try {
    await server.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/**
 * Creates a user on the Dioptra at `address` (POST /users needs no session) and resolves to
 * `{ username, password }`. Every user is in the server's public group, so it may write the
 * metrics of the seeded jobs.
 */
export async function createUser(address, prefix = "user") {
  const username = `${prefix}_${crypto.randomBytes(4).toString("hex")}`;
  const password = crypto.randomBytes(12).toString("base64url");
  const res = await fetch(`${address}/api/v1/users`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, email: `${username}@example.org`, password, confirmPassword: password }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /users: HTTP ${res.status} ${text.slice(0, 500)}`);
  return { username, password };
}
