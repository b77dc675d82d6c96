// Starts a REAL local Dioptra REST API server (dioptra-platform 1.2.2 from PyPI) for tests:
// a private redis-server, a SQLite database in a temp dir, and gunicorn with one worker.
//
//   import { startDioptra } from "./dioptra-server.mjs";
//   const server = await startDioptra({ log: false });
//   // server.address === "http://127.0.0.1:PORT"; server.venvPython; server.dir
//   await server.stop();
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

function killGroupSync(pid, sig) {
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
function tempBase() {
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
 * Start redis + a migrated SQLite DB + gunicorn running Dioptra's REST API.
 * @param {{ log?: boolean }} [opts] log: true sends the servers' output to this process's stderr.
 * @returns {Promise<{ address: string, venvPython: string, dir: string, stop: () => Promise<void> }>}
 */
export async function startDioptra({ log = false } = {}) {
  const problems = missingDeps();
  if (problems.length) {
    throw new Error(`Dioptra server dependencies missing (${problems.join("; ")}). Run: bash scripts/setup-server-deps.sh`);
  }
  installProcessHandlers();

  const venv = venvDir();
  const venvPython = venvPythonPath();
  const venvBin = path.join(venv, "bin");
  const dir = fs.mkdtempSync(path.join(tempBase(), "dioptra-server-"));
  const [redisPort, apiPort] = await distinctFreePorts(2);
  const address = `http://127.0.0.1:${apiPort}`;
  const dbPath = path.join(dir, "dioptra.db");

  const env = {
    ...process.env,
    PATH: `${venvBin}${path.delimiter}${process.env.PATH || ""}`,
    VIRTUAL_ENV: venv,
    DIOPTRA_RESTAPI_ENV: "dev",
    DIOPTRA_RESTAPI_DEV_DATABASE_URI: `sqlite:///${dbPath}`,
    RQ_REDIS_URI: `redis://127.0.0.1:${redisPort}/0`,
    FLASK_APP: "dioptra.restapi:create_app('dev')",
    // The REST API builds an MlflowClient at start-up (artifacts only; metrics don't use it).
    // Without a URI, MLflow 3 creates and migrates ./mlflow.db. Keep it in our temp dir.
    MLFLOW_TRACKING_URI: `sqlite:///${path.join(dir, "mlflow.db")}`,
    PYTHONUNBUFFERED: "1",
    PYTHONDONTWRITEBYTECODE: "1",
  };
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;

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
  const stdioFor = (name) => {
    if (log) return ["ignore", process.stderr, process.stderr];
    const fd = fs.openSync(outFile(name), "a");
    return ["ignore", fd, fd];
  };
  const spawnDetached = (name, cmd, args) => {
    const stdio = stdioFor(name);
    const child = spawn(cmd, args, { cwd: dir, env, stdio, detached: true });
    if (typeof stdio[1] === "number") fs.closeSync(stdio[1]);
    child.on("error", () => {});
    return child;
  };

  async function stopImpl() {
    const procs = [children.gunicorn, children.redis].filter(Boolean);
    // gunicorn: its graceful (TERM) and quick (QUIT) shutdowns both take 1.5-2 s here (the
    // worker's exit handlers); its data is thrown away anyway, so kill its group outright.
    killGroupSync(children.gunicorn?.pid, "SIGKILL");
    killGroupSync(children.redis?.pid, "SIGTERM");
    const deadline = Date.now() + 3000;
    for (const p of procs) {
      while (p.exitCode === null && p.signalCode === null && Date.now() < deadline) await sleep(25);
    }
    for (const p of procs) killGroupSync(p.pid, "SIGKILL"); // also reaps stragglers in the group
    // give SIGKILLed processes a moment to be reaped
    for (const p of procs) {
      const d2 = Date.now() + 2000;
      while (p.exitCode === null && p.signalCode === null && Date.now() < d2) await sleep(25);
    }
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

  try {
    // 1. redis
    children.redis = spawnDetached("redis", "redis-server", [
      "--port", String(redisPort),
      "--bind", "127.0.0.1",
      "--save", "",
      "--appendonly", "no",
      "--dir", dir,
    ]);

    // Watchdog: if this node process dies without running its exit handlers (SIGKILL),
    // kill the servers' process groups and remove the temp dir.
    const wdScript =
      'while kill -0 "$1" 2>/dev/null; do sleep 1; done; ' +
      'kill -9 -"$2" -"$3" 2>/dev/null; kill -9 "$2" "$3" 2>/dev/null; rm -rf "$4"';
    const startWatchdog = () => {
      killGroupSync(children.watchdog?.pid, "SIGKILL");
      children.watchdog = spawn(
        "sh",
        ["-c", wdScript, "watchdog", String(process.pid), String(children.redis?.pid ?? 0), String(children.gunicorn?.pid ?? 0), dir],
        { detached: true, stdio: "ignore" },
      );
      children.watchdog.on("error", () => {});
      children.watchdog.unref();
    };
    startWatchdog();

    // 2. schema (alembic via Flask-Migrate), using a cached migrated DB for this venv if present
    // (and MLflow's database, which create_app() makes), so later starts skip both migrations.
    const mlflowDb = path.join(dir, "mlflow.db");
    const schemaCache = path.join(venv, ".dioptra-metrics-schema.db");
    const mlflowCache = path.join(venv, ".dioptra-metrics-mlflow.db");
    const useCache = process.env.DIOPTRA_SCHEMA_CACHE !== "0";
    if (useCache && fs.existsSync(schemaCache)) {
      fs.copyFileSync(schemaCache, dbPath);
      if (fs.existsSync(mlflowCache)) fs.copyFileSync(mlflowCache, mlflowDb);
    } else {
      const alembicDir = path.join(sitePackages(venvPython), "dioptra", "restapi", "db", "alembic");
      const r = await runToCompletion(venvPython, ["-m", "flask", "db", "upgrade", "-d", alembicDir], { cwd: dir, env }, MIGRATE_TIMEOUT_MS);
      if (log) process.stderr.write(r.out);
      else fs.writeFileSync(outFile("migrate"), r.out);
      if (r.code !== 0 || !fs.existsSync(dbPath) || fs.statSync(dbPath).size === 0) {
        throw new Error(`flask db upgrade failed (exit ${r.code ?? r.signal}):\n${r.out.slice(-6000)}`);
      }
      if (useCache) {
        // mlflow's first, so that a schema cache never exists without it
        for (const [from, to] of [[mlflowDb, mlflowCache], [dbPath, schemaCache]]) {
          try {
            if (!fs.existsSync(from)) continue;
            const tmp = `${to}.${process.pid}.tmp`;
            fs.copyFileSync(from, tmp);
            fs.renameSync(tmp, to);
          } catch {}
        }
      }
    }

    await waitForPort(redisPort, 10_000, children.redis, "redis-server", outFile("redis"));

    // 3. gunicorn
    children.gunicorn = spawnDetached("gunicorn", venvPython, [
      "-m", "gunicorn",
      "-w", "1",
      "-b", `127.0.0.1:${apiPort}`,
      // the history endpoint re-reads all points per page: slow pages must not kill the worker
      "--timeout", "300",
      ...gunicornControlSocketArgs(venvPython),
      "dioptra.restapi:create_app('dev')",
    ]);
    startWatchdog();

    // 4. wait for /health
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    const g = children.gunicorn;
    for (;;) {
      if (g.exitCode !== null || g.signalCode !== null) {
        throw new Error(`gunicorn exited (${g.exitCode ?? g.signalCode}) before /health answered:\n${log ? "(see output above)" : tail(outFile("gunicorn"))}`);
      }
      try {
        const res = await fetch(`${address}/health`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) {
          const body = await res.json().catch(() => ({}));
          if (body.status === "healthy") break;
        }
      } catch {}
      if (Date.now() > deadline) {
        throw new Error(`Dioptra did not answer ${address}/health within ${HEALTH_TIMEOUT_MS / 1000} s:\n${log ? "(see output above)" : tail(outFile("gunicorn"))}`);
      }
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return { address, venvPython, dir, stop };
}
