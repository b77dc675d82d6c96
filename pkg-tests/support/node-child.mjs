// Runs a Node script as a child process of a test: its stdout's JSON lines as they come, its
// stderr, and how it ended (exit code or signal).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const PKG_TESTS = fileURLToPath(new URL("..", import.meta.url));

/**
 * Starts `node script` (a path relative to pkg-tests/, so that "dioptra-metrics" resolves)
 * with `env` added to this process's environment. SIGKILLed after `timeoutMs`. `firstLine(pred)`
 * resolves to the first JSON line of its stdout (already seen or to come) that `pred` accepts.
 * @returns {{ child: import("node:child_process").ChildProcess, lines: any[],
 *   firstLine(pred?: (line: any) => boolean): Promise<any>,
 *   exited: Promise<{ code: number|null, signal: string|null, stdout: string, stderr: string }> }}
 */
export function startNode(script, env = {}, { timeoutMs = 120_000 } = {}) {
  const child = spawn(process.execPath, [fileURLToPath(new URL(`../${script}`, import.meta.url))], {
    cwd: PKG_TESTS,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = [];
  const waiters = [];
  let stdout = "";
  let stderr = "";
  let partial = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
    partial += chunk;
    let nl;
    while ((nl = partial.indexOf("\n")) >= 0) {
      const text = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      let line;
      try {
        line = JSON.parse(text);
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const exited = new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w.reject(new Error(`the child ended (${code ?? signal}) first:\n${stderr.slice(-2000)}`));
      resolve({ code, signal, stdout, stderr });
    });
  });
  const firstLine = (pred = () => true) => {
    const seen = lines.find(pred);
    if (seen) return Promise.resolve(seen);
    if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`the child has ended:\n${stderr.slice(-2000)}`));
    return new Promise((resolve, reject) => waiters.push({ pred, resolve, reject }));
  };
  return { child, lines, firstLine, exited };
}

/**
 * Runs `source` as an ES module in a Node child process (in pkg-tests/, so that
 * "dioptra-metrics" resolves) with `env` added and `nodeFlags` before it; resolves to its
 * output and run time once it exits 0, rejects with both outputs otherwise. SIGKILLed after
 * `timeoutMs`.
 * @returns {Promise<{ stdout: string, stderr: string, ms: number }>}
 */
export function runModule(source, env = {}, { nodeFlags = [], timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [...nodeFlags, "--input-type=module", "-e", source], {
      cwd: PKG_TESTS,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr, ms: Date.now() - started });
      else reject(new Error(`child exited ${code ?? signal}: ${stdout}${stderr}`));
    });
  });
}
