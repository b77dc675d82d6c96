// Starts a REAL local Dioptra REST API server (dioptra-platform 1.2.2 from PyPI) for tests:
// a private redis-server, a SQLite database in a temp dir, and gunicorn with one worker.
//
//   import { startDioptra } from "./dioptra-server.mjs";
//   const server = await startDioptra({ log: false });
//   // server.address === "http://127.0.0.1:PORT"; server.venvPython; server.dir
//   await server.stop();
//
// Its pieces are exported for a second gunicorn on the same (or a fresh) database, which
// pkg-tests/support/restartable-dioptra.mjs kills and restarts: serverEnv(), prepareDatabase(),
// startGunicorn(), waitHealthy(), startWatchdog(), freePortOutsideEphemeralRange().
//
// The Python side must be installed first: scripts/setup-server-deps.sh.
// Only Node built-in modules are used.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const DIOPTRA_VERSION = "1.2.2";

const HEALTH_TIMEOUT_MS = 60_000;
const MIGRATE_TIMEOUT_MS = 180_000;

export function cacheDir() {
  return process.env.DIOPTRA_METRICS_CACHE || path.join(os.homedir(), ".cache", "dioptra-metrics");
}

export function venvDir() {
  return path.join(cacheDir(), `venv-dioptra-${DIOPTRA_VERSION}`);
}

export function venvPythonPath() {
  return path.join(venvDir(), "bin", "python");
}

/** Returns a list of human-readable problems; empty when everything needed is installed. */
export function missingDeps() {
  const problems = [];
  if (!which("redis-server")) problems.push("redis-server is not on PATH");
  const py = venvPythonPath();
  if (!fs.existsSync(py)) problems.push(`no Dioptra venv at ${venvDir()}`);
  else if (!fs.existsSync(path.join(venvDir(), "bin", "gunicorn"))) problems.push(`no gunicorn in ${venvDir()}`);
  return problems;
}

function which(cmd) {
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function distinctFreePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** The kernel's range of ephemeral (client) ports, [low, high]. */
function ephemeralRange() {
  try {
    const [low, high] = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {}
  return [32768, 60999];
}

function canListen(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/**
 * A free loopback port OUTSIDE the kernel's ephemeral range, for a server that is killed and
 * restarted on the same port: while it is down, a client connecting again and again to an
 * ephemeral port can be given that very port as its own source port (a TCP self-connect),
 * which then holds the port and keeps the server from coming back.
 */
export async function freePortOutsideEphemeralRange() {
  const [low, high] = ephemeralRange();
  const candidates = [];
  if (low > 10_000) candidates.push([10_000, low - 1]);
  if (high < 65_000) candidates.push([high + 1, 65_000]);
  for (let attempt = 0; attempt < 200 && candidates.length; attempt++) {
    const [a, b] = candidates[attempt % candidates.length];
    const port = a + Math.floor(Math.random() * (b - a + 1));
    if (await canListen(port)) return port;
  }
  return freePort();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tail(file, maxChars = 6000) {
  try {
    const text = fs.readFileSync(file, "utf8");
    return text.length > maxChars ? "...\n" + text.slice(-maxChars) : text;
  } catch {
    return "(no output)";
  }
}

function waitForPort(port, timeoutMs, child, what, errFile) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return reject(new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening:\n${tail(errFile)}`));
      }
      const sock = net.connect({ port, host: "127.0.0.1" });
      sock.once("connect", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`${what} did not listen on ${port} within ${timeoutMs} ms:\n${tail(errFile)}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function runToCompletion(cmd, args, opts, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

// ---- cleanup of children if this node process goes away --------------------------------

const live = new Set(); // servers not yet stopped

/** Sends `sig` to the process group `pid` leads (and to `pid`); ignores what is gone. */
export function killGroupSync(pid, sig) {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {}
  try {
    process.kill(pid, sig);
  } catch {}
}

function hardCleanupAll() {
  for (const s of live) s.hardKill();
}

let handlersInstalled = false;
function installProcessHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", hardCleanupAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    const onSignal = () => {
      hardCleanupAll();
      // If nobody else handles the signal, behave like the default: die by it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.once(sig, onSignal);
  }
}

// -----------------------------------------------------------------------------------------

// SQLite fsyncs every commit: on a RAM disk job creation and metric writes are much faster.
export function tempBase() {
  if (process.env.DIOPTRA_SERVER_TMPDIR) return process.env.DIOPTRA_SERVER_TMPDIR;
  try {
    fs.accessSync("/dev/shm", fs.constants.W_OK);
    if (fs.statSync("/dev/shm").isDirectory()) return "/dev/shm";
  } catch {}
  return os.tmpdir();
}

const sitePackagesMemo = new Map();
function sitePackages(venvPython) {
  if (sitePackagesMemo.has(venvPython)) return sitePackagesMemo.get(venvPython);
  const r = spawnSync(venvPython, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`cannot query ${venvPython} for site-packages: ${r.stderr || r.error}`);
  const dir = r.stdout.trim();
  sitePackagesMemo.set(venvPython, dir);
  return dir;
}

// Recent gunicorn (27.0.1 here) opens a control socket at a fixed path (~/.gunicorn/gunicorn.ctl),
// shared by every gunicorn on the machine: turn it off where the option exists.
function gunicornControlSocketArgs(venvPython) {
  try {
    const cfg = path.join(sitePackages(venvPython), "gunicorn", "config.py");
    if (fs.readFileSync(cfg, "utf8").includes("--no-control-socket")) return ["--no-control-socket"];
  } catch {}
  return [];
}

/**
 * The environment Dioptra's REST API (and `flask db upgrade`) runs with: the dev config on the
 * SQLite database `dbPath`, RQ on `redisUri`, MLflow's database `mlflowDbPath`.
 * @param {{ dbPath: string, redisUri: string, mlflowDbPath: string }} where
 * @returns {Record<string, string>}
 */
export function serverEnv({ dbPath, redisUri, mlflowDbPath }) {
  const venv = venvDir();
  const env = {
    ...process.env,
    PATH: `${path.join(venv, "bin")}${path.delimiter}${process.env.PATH || ""}`,
    VIRTUAL_ENV: venv,
    DIOPTRA_RESTAPI_ENV: "dev",
    DIOPTRA_RESTAPI_DEV_DATABASE_URI: `sqlite:///${dbPath}`,
    RQ_REDIS_URI: redisUri,
    FLASK_APP: "dioptra.restapi:create_app('dev')",
    // The REST API builds an MlflowClient at start-up (artifacts only; metrics don't use it).
    // Without a URI, MLflow 3 creates and migrates ./mlflow.db. Keep it in our temp dir.
    MLFLOW_TRACKING_URI: `sqlite:///${mlflowDbPath}`,
    PYTHONUNBUFFERED: "1",
    PYTHONDONTWRITEBYTECODE: "1",
  };
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  return env;
}

/**
 * Creates a migrated, empty Dioptra database at `dbPath` (and MLflow's at `mlflowDbPath`):
 * copies of this venv's cached migrated databases when present, else `flask db upgrade`
 * (whose result is then cached for the next start).
 * @param {{ dir: string, dbPath: string, mlflowDbPath: string, env: Record<string, string>, log?: boolean }} where
 */
export async function prepareDatabase({ dir, dbPath, mlflowDbPath, env, log = false }) {
  const venv = venvDir();
  const schemaCache = path.join(venv, ".dioptra-metrics-schema.db");
  const mlflowCache = path.join(venv, ".dioptra-metrics-mlflow.db");
  const useCache = process.env.DIOPTRA_SCHEMA_CACHE !== "0";
  if (useCache && fs.existsSync(schemaCache)) {
    fs.copyFileSync(schemaCache, dbPath);
    if (fs.existsSync(mlflowCache)) fs.copyFileSync(mlflowCache, mlflowDbPath);
    return;
  }
  const venvPython = venvPythonPath();
  const alembicDir = path.join(sitePackages(venvPython), "dioptra", "restapi", "db", "alembic");
  const r = await runToCompletion(venvPython, ["-m", "flask", "db", "upgrade", "-d", alembicDir], { cwd: dir, env }, MIGRATE_TIMEOUT_MS);
  if (log) process.stderr.write(r.out);
  else fs.writeFileSync(path.join(dir, "migrate.log"), r.out);
  if (r.code !== 0 || !fs.existsSync(dbPath) || fs.statSync(dbPath).size === 0) {
    throw new Error(`flask db upgrade failed (exit ${r.code ?? r.signal}):\n${r.out.slice(-6000)}`);
  }
  if (useCache) {
    // mlflow's first, so that a schema cache never exists without it
    for (const [from, to] of [[mlflowDbPath, mlflowCache], [dbPath, schemaCache]]) {
      try {
        if (!fs.existsSync(from)) continue;
        const tmp = `${to}.${process.pid}.tmp`;
        fs.copyFileSync(from, tmp);
        fs.renameSync(tmp, to);
      } catch {}
    }
  }
}

/**
 * Spawns `cmd args` detached (its own process group, so that killing the group reaches every
 * process it forks), output to `logFile` (or to this process's stderr with `log`).
 */
function spawnDetached(cmd, args, { cwd, env, log, logFile }) {
  let stdio;
  if (log) stdio = ["ignore", process.stderr, process.stderr];
  else {
    const fd = fs.openSync(logFile, "a");
    stdio = ["ignore", fd, fd];
  }
  const child = spawn(cmd, args, { cwd, env, stdio, detached: true });
  if (typeof stdio[1] === "number") fs.closeSync(stdio[1]);
  child.on("error", () => {});
  return child;
}

/**
 * Starts gunicorn (one sync worker) serving Dioptra's REST API on 127.0.0.1:`port`, in its own
 * process group; does not wait for it (see waitHealthy()).
 * @param {{ env: Record<string, string>, cwd: string, port: number, log?: boolean, logFile: string }} how
 * @returns {import("node:child_process").ChildProcess}
 */
export function startGunicorn({ env, cwd, port, log = false, logFile }) {
  const venvPython = venvPythonPath();
  return spawnDetached(
    venvPython,
    [
      "-m", "gunicorn",
      "-w", "1",
      "-b", `127.0.0.1:${port}`,
      // the history endpoint re-reads all points per page: slow pages must not kill the worker
      "--timeout", "300",
      ...gunicornControlSocketArgs(venvPython),
      "dioptra.restapi:create_app('dev')",
    ],
    { cwd, env, log, logFile },
  );
}

/**
 * Resolves once `address`/health answers `{"status": "healthy"}`; rejects if `child` exits
 * first or after `timeoutMs`, with the end of `logFile` in the message.
 */
export async function waitHealthy(address, child, { timeoutMs = HEALTH_TIMEOUT_MS, logFile } = {}) {
  const deadline = Date.now() + timeoutMs;
  const output = () => (logFile ? tail(logFile) : "(see output above)");
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gunicorn exited (${child.exitCode ?? child.signalCode}) before /health answered:\n${output()}`);
    }
    try {
      const res = await fetch(`${address}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) {
        const body = await res.json().catch(() => ({}));
        if (body.status === "healthy") return;
      } else await res.arrayBuffer().catch(() => {});
    } catch {}
    if (Date.now() > deadline) {
      throw new Error(`Dioptra did not answer ${address}/health within ${timeoutMs / 1000} s:\n${output()}`);
    }
    await sleep(100);
  }
}

/** Resolves once `child` has exited (or after `timeoutMs`). */
export async function waitExit(child, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (child && child.exitCode === null && child.signalCode === null && Date.now() < deadline) await sleep(25);
}

/**
 * A detached shell that, once this Node process is gone (even SIGKILLed, when no exit handler
 * runs), SIGKILLs the process groups `pids` lead and removes `dir`. Kill it (SIGKILL its pid)
 * and start another when the pids change.
 */
export function startWatchdog(pids, dir) {
  const script =
    'me="$1"; dir="$2"; shift 2; while kill -0 "$me" 2>/dev/null; do sleep 1; done; ' +
    'for p in "$@"; do kill -9 -"$p" "$p" 2>/dev/null; done; rm -rf "$dir"';
  const child = spawn("sh", ["-c", script, "watchdog", String(process.pid), dir, ...pids.filter(Boolean).map(String)], {
    detached: true,
    stdio: "ignore",
  });
  child.on("error", () => {});
  child.unref();
  return child;
}

/**
 * Start redis + a migrated SQLite DB + gunicorn running Dioptra's REST API.
 * @param {{ log?: boolean }} [opts] log: true sends the servers' output to this process's stderr.
 * @returns {Promise<{ address: string, venvPython: string, dir: string, dbPath: string,
 *   mlflowDbPath: string, redisUri: string, stop: () => Promise<void> }>}
 */
export async function startDioptra({ log = false } = {}) {
  const problems = missingDeps();
  if (problems.length) {
    throw new Error(`Dioptra server dependencies missing (${problems.join("; ")}). Run: bash scripts/setup-server-deps.sh`);
  }
  installProcessHandlers();

  const venvPython = venvPythonPath();
  const dir = fs.mkdtempSync(path.join(tempBase(), "dioptra-server-"));
  const [redisPort, apiPort] = await distinctFreePorts(2);
  const address = `http://127.0.0.1:${apiPort}`;
  const dbPath = path.join(dir, "dioptra.db");
  const mlflowDbPath = path.join(dir, "mlflow.db");
  const redisUri = `redis://127.0.0.1:${redisPort}/0`;
  const env = serverEnv({ dbPath, redisUri, mlflowDbPath });

  const children = { redis: null, gunicorn: null, watchdog: null };
  let stopPromise = null;

  const server = {
    hardKill() {
      // synchronous, for process exit / signals
      killGroupSync(children.gunicorn?.pid, "SIGKILL");
      killGroupSync(children.redis?.pid, "SIGKILL");
      killGroupSync(children.watchdog?.pid, "SIGKILL");
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {}
      live.delete(server);
      // stop() may still be awaited afterwards: it then just waits for the exits (reaping).
    },
  };
  live.add(server);

  const outFile = (name) => path.join(dir, `${name}.log`);

  async function stopImpl() {
    const procs = [children.gunicorn, children.redis].filter(Boolean);
    // gunicorn: its graceful (TERM) and quick (QUIT) shutdowns both take 1.5-2 s here (the
    // worker's exit handlers); its data is thrown away anyway, so kill its group outright.
    killGroupSync(children.gunicorn?.pid, "SIGKILL");
    killGroupSync(children.redis?.pid, "SIGTERM");
    for (const p of procs) await waitExit(p, 3000);
    for (const p of procs) killGroupSync(p.pid, "SIGKILL"); // also reaps stragglers in the group
    // give SIGKILLed processes a moment to be reaped
    for (const p of procs) await waitExit(p, 2000);
    killGroupSync(children.watchdog?.pid, "SIGKILL");
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {}
    live.delete(server);
  }

  const stop = () => {
    if (!stopPromise) stopPromise = stopImpl();
    return stopPromise;
  };

  // Watchdog: if this node process dies without running its exit handlers (SIGKILL),
  // kill the servers' process groups and remove the temp dir.
  const watch = () => {
    killGroupSync(children.watchdog?.pid, "SIGKILL");
    children.watchdog = startWatchdog([children.redis?.pid, children.gunicorn?.pid], dir);
  };

  try {
    // 1. redis
    children.redis = spawnDetached(
      "redis-server",
      ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
      { cwd: dir, env, log, logFile: outFile("redis") },
    );
    watch();

    // 2. schema (alembic via Flask-Migrate), from the cached migrated DBs when present
    await prepareDatabase({ dir, dbPath, mlflowDbPath, env, log });

    await waitForPort(redisPort, 10_000, children.redis, "redis-server", outFile("redis"));

    // 3. gunicorn, 4. wait for /health
    children.gunicorn = startGunicorn({ env, cwd: dir, port: apiPort, log, logFile: outFile("gunicorn") });
    watch();
    await waitHealthy(address, children.gunicorn, { logFile: log ? undefined : outFile("gunicorn") });
  } catch (err) {
    await stop();
    throw err;
  }

  return { address, venvPython, dir, dbPath, mlflowDbPath, redisUri, stop };
}
