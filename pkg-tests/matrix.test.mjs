// The packaging matrix (issue 11): each bundler and runtime a new user may pick, in a fresh
// project that installs the packed tarball and changes no setting, builds with the tool's
// defaults and runs a login, an append of NaN and a read-back against the real Dioptra (pages
// in headless Chromium behind a same-origin server forwarding /api; runtimes as processes; the
// worker under miniflare). The tools are pinned and cached by scripts/setup-matrix.sh
// (~/.cache/dioptra-metrics/matrix). Each page row also reports, as a diagnostic, what its
// build emitted (raw and gzipped): the size each entry point costs a browser there.
//
//   node scripts/with-dioptra.mjs -- node --test --test-reporter=spec pkg-tests/matrix.test.mjs

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { gzipSync } from "node:zlib";
import { after, before, test } from "node:test";

import { launchChromium } from "./support/chromium.mjs";
import { address, password, takeJob, username } from "./support/env.mjs";
import { startFrontServer } from "./support/front-server.mjs";
import { packAndInstall, repoRoot, run } from "./support/pack.mjs";

const CACHE = process.env.DIOPTRA_MATRIX_CACHE ?? path.join(os.homedir(), ".cache/dioptra-metrics/matrix");
const APP = fileURLToPath(new URL("./matrix/", import.meta.url));
/** The executable `name` of the cached tool set `set`. */
const bin = (set, name) => path.join(CACHE, set, "node_modules/.bin", name);

let installed; // node_modules/dioptra-metrics of the packed install
let job;
let browser;
let root; // this run's temporary directory
const cleanups = [];

before(async () => {
  await run("bash", [path.join(repoRoot, "scripts/setup-matrix.sh")]);
  const { dir } = await packAndInstall();
  installed = path.join(dir, "node_modules/dioptra-metrics");
  root = fs.mkdtempSync(path.join(os.tmpdir(), "dioptra-matrix-"));
  job = takeJob();
  browser = await launchChromium();
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await browser?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** A fresh project for `row`: the app's files and the installed tarball (as `npm install <tgz>` left it). */
function project(row, files) {
  const dir = path.join(root, row);
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  fs.cpSync(installed, path.join(dir, "node_modules/dioptra-metrics"), { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `matrix-${row}`, private: true, type: "module" }));
  for (const [to, from] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
    fs.copyFileSync(path.join(APP, from), path.join(dir, to));
  }
  return dir;
}

/** What `dir` holds (every file, recursively): raw and gzipped bytes, and the .wasm files' share. */
function weigh(dir) {
  let raw = 0;
  let gz = 0;
  let wasm = 0;
  for (const rel of fs.readdirSync(dir, { recursive: true })) {
    const file = path.join(dir, rel);
    if (!fs.statSync(file).isFile() || file.endsWith(".html")) continue;
    const body = fs.readFileSync(file);
    raw += body.length;
    gz += gzipSync(body, { level: 9 }).length;
    if (file.endsWith(".wasm")) wasm += body.length;
  }
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  return `${kb(raw)} raw, ${kb(gz)} gzipped (of which .wasm files ${kb(wasm)} raw)`;
}

/** The metric each row writes (one per row, so the rows can share a job). */
const metricOf = (row) => `matrix_${row.replace(/\W/g, "_")}`;

/** Asserts the outcome an app reported: NaN stored and read back, from the expected base URL. */
function assertOutcome(result, row, baseUrl) {
  assert.equal(result.error, undefined, `${row}: ${result.error}`);
  assert.deepEqual(result.values, ["NaN"], `${row}: the history read back`);
  if (baseUrl) assert.equal(result.baseUrl, baseUrl);
}

/**
 * Opens `url` in a fresh browser context and waits for the app's window.__result; resolves to
 * it and to what the page loaded besides its HTML and /api (`{ raw, gz }` bytes, `files`).
 */
async function runPage(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  const bodies = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("response", (response) => {
    const { pathname } = new URL(response.url());
    if (pathname.startsWith("/api/") || pathname.endsWith(".html") || pathname === "/") return;
    bodies.push(response.body().then((body) => ({ pathname, body }), () => null));
  });
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 60_000 });
    const result = await page.evaluate(() => window.__result);
    const loaded = (await Promise.all(bodies)).filter(Boolean);
    const raw = loaded.reduce((n, { body }) => n + body.length, 0);
    const gz = loaded.reduce((n, { body }) => n + gzipSync(body, { level: 9 }).length, 0);
    return { result, loaded: { raw, gz, files: loaded.map((l) => l.pathname) } };
  } catch (err) {
    throw new Error(`${err.message}\npage errors: ${errors.join("\n")}`);
  } finally {
    await context.close();
  }
}

/**
 * Serves `dir` (the built files) behind a same-origin front and runs the app page `page` there;
 * reports (diagnostic) what the browser loaded.
 */
async function servePage(t, row, dir, page = "index.html", upstream = undefined) {
  const front = await startFrontServer({ apiAddress: address, root: dir, upstream });
  cleanups.push(() => front.close());
  const q = new URLSearchParams({ u: username, p: password, job: String(job), name: metricOf(row) });
  const { result, loaded } = await runPage(`${front.origin}/${page}?${q}`);
  await front.close();
  if (!upstream) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    t.diagnostic(`${row}: the browser loaded ${kb(loaded.raw)} raw, ${kb(loaded.gz)} gzipped: ${loaded.files.join(", ")}`);
  }
  assertOutcome(result, row, `${front.origin}/api/v1`);
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts Vite's dev server (`vite`, no config) in `dir`; resolves to its origin once it listens. */
async function viteDev(set, dir) {
  const port = await freePort();
  const child = spawn(bin(set, "vite"), ["--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
    cwd: dir,
    // CI machines set `CI`, which turns Vite's colours on even without a terminal.
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", resolve);
        child.kill();
      }),
  );
  let output = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vite dev did not start:\n${output}`)), 60_000);
    const seen = (chunk) => {
      output += stripVTControlCharacters(String(chunk));
      if (output.includes(`127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.once("exit", (code) => reject(new Error(`vite dev exited (${code}):\n${output}`)));
  });
  return `http://127.0.0.1:${port}`;
}

/** Runs an app process; resolves to the JSON it printed. */
async function runApp(cmd, args, cwd, env = {}) {
  const config = { address, username, password, job, name: metricOf(path.basename(cwd)) };
  const stdout = await run(cmd, args, {
    cwd,
    timeout: 60_000,
    env: { ...process.env, ...env, MATRIX_CONFIG: JSON.stringify(config) },
  });
  const line = stdout.trim().split("\n").at(-1);
  return JSON.parse(line);
}

// ---- Pages: each bundler with its defaults, in headless Chromium -------------------------

for (const set of ["vite6", "vite7", "vite8"]) {
  test(`${set} build (no config)`, async (t) => {
    const row = `${set}-build`;
    const dir = project(row, { "index.html": "index.html", "app.js": "app.js" });
    await run(bin(set, "vite"), ["build", "--logLevel", "warn"], { cwd: dir, timeout: 120_000 });
    t.diagnostic(`${row} emitted ${weigh(path.join(dir, "dist"))}`);
    await servePage(t, row, path.join(dir, "dist"));
  });

  test(`${set} dev server (no config)`, async (t) => {
    const row = `${set}-dev`;
    const dir = project(row, { "index.html": "index.html", "app.js": "app.js" });
    const upstream = await viteDev(set, dir);
    await servePage(t, row, dir, "index.html", upstream);
  });
}

test("webpack 5 build (no config)", async (t) => {
  const row = "webpack";
  const dir = project(row, { "src/index.js": "app.js" });
  fs.mkdirSync(path.join(dir, "dist"), { recursive: true });
  fs.writeFileSync(path.join(dir, "dist/index.html"), '<!doctype html><script src="main.js"></script>\n');
  await run(bin("webpack", "webpack"), ["--no-stats"], { cwd: dir, timeout: 120_000 });
  t.diagnostic(`${row} emitted ${weigh(path.join(dir, "dist"))}`);
  await servePage(t, row, path.join(dir, "dist"));
});

/** A page that loads `out/app.js` as a module (or a classic script, for an iife bundle). */
function bundlePage(dir, module) {
  fs.mkdirSync(path.join(dir, "out"), { recursive: true });
  const tag = module ? '<script type="module" src="app.js"></script>' : '<script src="app.js"></script>';
  fs.writeFileSync(path.join(dir, "out/index.html"), `<!doctype html>${tag}\n`);
}

test("esbuild --bundle --format=esm", async (t) => {
  const row = "esbuild-esm";
  const dir = project(row, { "app.js": "app.js" });
  bundlePage(dir, true);
  await run(bin("esbuild", "esbuild"), ["app.js", "--bundle", "--format=esm", "--outfile=out/app.js", "--log-level=error"], { cwd: dir });
  t.diagnostic(`${row} emitted ${weigh(path.join(dir, "out"))}`);
  await servePage(t, row, path.join(dir, "out"));
});

test("esbuild --bundle (default format: iife)", async (t) => {
  const row = "esbuild-iife";
  const dir = project(row, { "app.js": "app.js" });
  bundlePage(dir, false);
  await run(bin("esbuild", "esbuild"), ["app.js", "--bundle", "--outfile=out/app.js", "--log-level=error"], { cwd: dir });
  t.diagnostic(`${row} emitted ${weigh(path.join(dir, "out"))}`);
  await servePage(t, row, path.join(dir, "out"));
});

test("Rollup + @rollup/plugin-node-resolve", async (t) => {
  const row = "rollup";
  const dir = project(row, { "app.js": "app.js" });
  bundlePage(dir, true);
  await run(bin("rollup", "rollup"), ["app.js", "-p", "node-resolve", "-o", "out/app.js", "--silent"], { cwd: dir });
  t.diagnostic(`${row} emitted ${weigh(path.join(dir, "out"))}`);
  await servePage(t, row, path.join(dir, "out"));
});

test("bun build --target browser", async (t) => {
  const row = "bun-build";
  const dir = project(row, { "app.js": "app.js" });
  bundlePage(dir, true);
  await run(bin("bun", "bun"), ["build", "./app.js", "--target", "browser", "--outdir", "out"], { cwd: dir });
  t.diagnostic(`${row} emitted ${weigh(path.join(dir, "out"))}`);
  await servePage(t, row, path.join(dir, "out"));
});

// ---- Runtimes as processes ------------------------------------------------------------------

test("Node ESM (import)", async () => {
  const dir = project("node-esm", { "run.mjs": "run.mjs" });
  assertOutcome(await runApp(process.execPath, ["run.mjs"], dir), "node-esm", `${address}/api/v1`);
});

test("Node CommonJS (require)", async () => {
  const dir = project("node-cjs", { "run.cjs": "run.cjs" });
  assertOutcome(await runApp(process.execPath, ["run.cjs"], dir), "node-cjs", `${address}/api/v1`);
});

test("bun run", async () => {
  const dir = project("bun-run", { "run.mjs": "run.mjs" });
  assertOutcome(await runApp(bin("bun", "bun"), ["run", "run.mjs"], dir), "bun-run", `${address}/api/v1`);
});

test("deno run -A", async () => {
  const dir = project("deno-run", { "run.mjs": "run.mjs" });
  const env = { DENO_DIR: path.join(CACHE, "deno-dir"), DENO_NO_UPDATE_CHECK: "1" };
  assertOutcome(await runApp(bin("deno", "deno"), ["run", "-A", "run.mjs"], dir, env), "deno-run", `${address}/api/v1`);
});

for (const format of ["cjs", "esm"]) {
  test(`esbuild --platform=node bundle, ${format}`, async (t) => {
    const row = `esbuild-node-${format}`;
    // The CommonJS app for the cjs bundle (esbuild's cjs output refuses top-level await).
    const app = format === "esm" ? "run.mjs" : "run.cjs";
    const dir = project(row, { [app]: app });
    const out = `out/app.${format === "esm" ? "mjs" : "cjs"}`;
    const args = [app, "--bundle", "--platform=node", `--outfile=${out}`, "--log-level=error"];
    if (format === "esm") args.push("--format=esm");
    await run(bin("esbuild", "esbuild"), args, { cwd: dir });
    // The bundle must not need the package beside it.
    fs.rmSync(path.join(dir, "node_modules"), { recursive: true });
    t.diagnostic(`${row} emitted ${weigh(path.join(dir, "out"))}`);
    assertOutcome(await runApp(process.execPath, [out], dir), row, `${address}/api/v1`);
  });
}

// ---- A Cloudflare-style worker under miniflare -------------------------------------------------

test("Cloudflare-style worker (miniflare / workerd)", async (t) => {
  const row = "workerd";
  const dir = project(row, { "worker.js": "worker.js" });
  // Bundled as wrangler does: the workerd/worker/browser conditions, .wasm kept as a module.
  await run(
    bin("esbuild", "esbuild"),
    [
      "worker.js",
      "--bundle",
      "--format=esm",
      "--platform=neutral",
      "--conditions=workerd,worker,browser",
      "--main-fields=browser,module,main",
      "--loader:.wasm=copy",
      "--outdir=out",
      "--log-level=error",
    ],
    { cwd: dir },
  );
  t.diagnostic(`${row} emitted ${weigh(path.join(dir, "out"))}`);
  const { Miniflare } = await import(path.join(CACHE, "miniflare/node_modules/miniflare/dist/src/index.js"));
  const mf = new Miniflare({
    modules: true,
    scriptPath: path.join(dir, "out/worker.js"),
    modulesRoot: path.join(dir, "out"),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2025-01-01",
  });
  cleanups.push(() => mf.dispose());
  const config = { address, username, password, job, name: metricOf(row) };
  const response = await mf.dispatchFetch(`http://worker.test/?config=${encodeURIComponent(JSON.stringify(config))}`);
  assertOutcome(await response.json(), row, `${address}/api/v1`);
});
