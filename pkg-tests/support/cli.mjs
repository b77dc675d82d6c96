// Runs the `dioptra-metrics` command (bin/dioptra-metrics.mjs) as a child process, the way a
// shell would, and checks that the password never shows in anything it printed.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

import { address, password, username } from "./env.mjs";

/** The bin script. */
export const BIN = fileURLToPath(new URL("../../bin/dioptra-metrics.mjs", import.meta.url));

/** The environment a user would set: the run's server and credentials. */
export const cliEnv = { DIOPTRA_ADDRESS: address, DIOPTRA_USERNAME: username, DIOPTRA_PASSWORD: password, NO_COLOR: "" };

/** Fails when `text` (stdout or stderr of the CLI) holds the password. */
export function assertNoPassword(text, what = "output") {
  assert.ok(!String(text).includes(password), `the password appears in the CLI's ${what}`);
}

/**
 * Starts `dioptra-metrics ...args` with `env` over cliEnv (a key set to undefined is removed),
 * stdin a pipe. `result` resolves to `{ code, signal, stdout: Buffer, stderr: string }` once it
 * has ended, after checking that neither output holds the password. SIGKILLed after `timeoutMs`.
 */
export function startCli(args, { env = {}, timeoutMs = 60_000, cwd } = {}) {
  const fullEnv = { ...process.env, ...cliEnv, ...env };
  for (const [k, v] of Object.entries(fullEnv)) if (v === undefined) delete fullEnv[k];
  const child = spawn(process.execPath, [BIN, ...args], { env: fullEnv, cwd, stdio: ["pipe", "pipe", "pipe"] });
  const out = [];
  let stderr = "";
  child.stdout.on("data", (c) => out.push(c));
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (c) => (stderr += c));
  child.stdin.on("error", () => {});
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const result = new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      assertNoPassword(stdout, "stdout");
      assertNoPassword(stderr, "stderr");
      resolve({ code, signal, stdout, stderr });
    });
  });
  let ended = false;
  child.on("close", () => (ended = true));
  const stdoutSoFar = () => Buffer.concat(out).toString("utf8");
  /** Resolves once `pred(stdout so far, stderr so far)` holds; rejects if the CLI ends first. */
  const waitUntil = async (pred) => {
    for (;;) {
      if (pred(stdoutSoFar(), stderr)) return;
      if (ended) throw new Error(`the CLI ended first (exit ${child.exitCode ?? child.signalCode}):\n${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, result, stdoutSoFar, stderrSoFar: () => stderr, waitUntil };
}

/** Runs `dioptra-metrics ...args` with `input` on stdin (a string or Buffer, or none). */
export function runCli(args, { input, ...options } = {}) {
  const run = startCli(args, options);
  if (input !== undefined) run.child.stdin.end(input);
  else run.child.stdin.end();
  return run.result;
}

/** Parses CSV text with Python's csv module: resolves to its rows (arrays of strings). */
export function pythonCsv(text) {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "python3",
      ["-c", "import csv, json, sys; json.dump(list(csv.reader(sys.stdin)), sys.stdout)"],
      { maxBuffer: 512 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`python csv failed: ${stderr}`)) : resolve(JSON.parse(stdout))),
    );
    child.stdin.end(text);
  });
}

/** A value as the CLI spells it in CSV ("nan", "inf", "-inf", or what reads back to it). */
export function parseValue(text) {
  return { nan: NaN, inf: Infinity, "-inf": -Infinity }[text] ?? Number(text);
}
