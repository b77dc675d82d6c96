// Section "weight" of bench/bench.mjs (issue 10): what the package weighs and what each call
// costs beside a plain-JavaScript client with the same features (bench/plain-client.mjs), both
// against an instant in-process fetch (bench/fast-stub.mjs), so the figures are the clients'
// own CPU. It needs no server:
//
//   node bench/weight.mjs                  (after node scripts/build.mjs; the whole section)
//   BENCH_SECTIONS=weight npm run bench    (the same, inside the bench)
//
// Each measurement runs in a fresh Node process (a child of this one: no JIT state, wasm
// memory or fetch wrapper shared with other sections), BENCH_WEIGHT_RUNS times (default 5);
// within a process each series keeps its fastest of 3 interleaved rounds; tables give min /
// median / max over the processes. Figures:
//   - weight: a Vite production build of a one-line app that imports the package and calls one
//     method, gzipped, minus the same app without it; and each entry point (scripts/sizes.mjs);
//   - start-up: `import` in Node, the package beside the plain module; in Chromium (the system
//     one, fresh context each load: no HTTP or code cache), ms from navigation to a page's module
//     having imported the package (page "import"), and to its first client's first call answered
//     (page "call": module load + wasm fetch and streaming compile + one getMetricsById against
//     an instant local answer), each beside the same page with the plain module;
//   - CPU per call above the fetch floor (the stub's own cost, measured alone): appendMetricById,
//     getMetricsById, a 1,000-point snapshots page, the logger per point; getMetricHistory of
//     100,000 points (whole time);
//   - wasm memory after 100,000 calls and after a 100,000-point history read.
// Knobs: BENCH_WEIGHT_ONLY=startup (only the start-up figures), BENCH_WEIGHT_RUNS, BENCH_WEIGHT_CALLS (calls per per-call measurement, default 3000),
// BENCH_WEIGHT_LOG_POINTS (logger points, default 20000).

import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

import { entrySizes } from "../scripts/sizes.mjs";
import { median } from "./format.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const ADDRESS = "http://127.0.0.1:9";

const stats = (xs) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs), runs: xs });
const KiB = (b) => `${(b / 1024).toFixed(1)} KiB`;
const MiB = (b) => `${(b / 1048576).toFixed(2)} MiB`;

function intEnv(name, dflt) {
  const n = Number(process.env[name] ?? dflt);
  return Number.isSafeInteger(n) && n > 0 ? n : dflt;
}

// ---------------------------------------------------------------------------------------------
// Child processes: `node bench/weight.mjs child <what>` prints one JSON line.

/** Mean µs per call of `call(i)` over `n` sequential calls, after `n / 10` of warm-up. */
async function perCall(n, call) {
  for (let i = 0; i < Math.max(50, n / 10); i++) await call(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await call(i);
  return ((performance.now() - t0) * 1000) / n;
}

/** Mean µs per point of logging `points` points (two metrics a step) and closing. */
async function perPoint(points, logger) {
  const t0 = performance.now();
  for (let step = 0; step < points / 2; step++) logger.log({ loss: step / 7, acc: 1 - step / 7 }, { step });
  await logger.close();
  return ((performance.now() - t0) * 1000) / points;
}

async function child(what) {
  const { makeFastFetch } = await import("./fast-stub.mjs");
  const calls = intEnv("BENCH_WEIGHT_CALLS", 3000);
  const logPoints = intEnv("BENCH_WEIGHT_LOG_POINTS", 20000);
  const historyPoints = what === "history" || what === "memory" ? 100_000 : 1000;
  const fastFetch = makeFastFetch({ historyPoints });
  globalThis.fetch = fastFetch;
  const pkg = await import("dioptra-metrics");
  const { PlainClient } = await import("./plain-client.mjs");
  const client = new pkg.DioptraClient(ADDRESS);
  const plain = new PlainClient(ADDRESS);
  await client.auth.login("bench", "bench-password");
  await plain.login("bench", "bench-password");
  const base = `${ADDRESS}/api/v1`;
  const out = {};
  if (what === "calls") {
    // Each series (the fetch floor: the stub's own cost for the same request read as text;
    // plain JS; the package) is measured in ROUNDS interleaved rounds after a warm-up of all
    // of them, and its fastest round kept: the least disturbed by the other processes of a
    // shared machine and by the order of the series.
    const ROUNDS = 3;
    const pageUrl = `${base}/jobs/1/metrics/loss/snapshots?index=0&pageLength=1000`;
    const series = {
      append: {
        n: calls,
        floor: async (i) => (await fastFetch(`${base}/jobs/1/metrics`, { method: "POST", body: JSON.stringify({ name: "loss", value: i / 7, step: i }) })).text(),
        plain: (i) => plain.appendMetricById(1, "loss", i / 7, { step: i }),
        package: (i) => client.jobs.appendMetricById(1, "loss", i / 7, { step: i }),
      },
      latest: {
        n: calls,
        floor: async () => (await fastFetch(`${base}/jobs/1/metrics`, { method: "GET" })).text(),
        plain: () => plain.getMetricsById(1),
        package: () => client.jobs.getMetricsById(1),
      },
      page: {
        n: Math.max(10, Math.round(calls / 10)),
        floor: async () => (await fastFetch(pageUrl, { method: "GET" })).text(),
        plain: () => plain.getMetricsSnapshotsById(1, "loss", { index: 0, pageLength: 1000 }),
        package: () => client.jobs.getMetricsSnapshotsById(1, "loss", { index: 0, pageLength: 1000 }),
      },
    };
    const best = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [key, s] of Object.entries(series)) {
        for (const who of ["floor", "plain", "package"]) {
          const us = await perCall(s.n, s[who]);
          best[key] ??= {};
          best[key][who] = Math.min(best[key][who] ?? Infinity, us);
        }
      }
    }
    const logger = { plain: Infinity, package: Infinity };
    for (let round = 0; round < ROUNDS; round++) {
      logger.plain = Math.min(logger.plain, await perPoint(logPoints, plain.createLogger(1)));
      logger.package = Math.min(logger.package, await perPoint(logPoints, client.jobs.createLogger(1)));
    }
    out.floor = { append: best.append.floor, latest: best.latest.floor, page: best.page.floor };
    for (const who of ["plain", "package"]) {
      out[who] = {
        append: best.append[who] - best.append.floor,
        latest: best.latest[who] - best.latest.floor,
        page: best.page[who] - best.page.floor,
        logger: logger[who] - best.append.floor,
      };
    }
  } else if (what === "history") {
    const time = async (read) => {
      const t0 = performance.now();
      const points = await read();
      if (points.length !== historyPoints) throw new Error(`read ${points.length} points, not ${historyPoints}`);
      return performance.now() - t0;
    };
    // A warm-up read each, then the fastest of three interleaved reads each.
    out.plain = Infinity;
    out.package = Infinity;
    for (let round = 0; round < 4; round++) {
      const p = await time(() => plain.getMetricHistory(1, "loss"));
      const q = await time(() => client.jobs.getMetricHistory(1, "loss"));
      if (round > 0) {
        out.plain = Math.min(out.plain, p);
        out.package = Math.min(out.package, q);
      }
    }
  } else if (what === "memory") {
    out.start = pkg.wasmMemoryBytes();
    for (let i = 0; i < 100_000; i++) await client.jobs.appendMetricById(1, "loss", i / 7, { step: i });
    out.afterCalls = pkg.wasmMemoryBytes();
    const points = await client.jobs.getMetricHistory(1, "loss");
    if (points.length !== historyPoints) throw new Error(`read ${points.length} points`);
    out.afterHistory = pkg.wasmMemoryBytes();
  } else {
    throw new Error(`unknown child ${what}`);
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

function runNode(args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root, maxBuffer: 1 << 24, timeout: 600_000, ...options }, (err, stdout, stderr) => {
      if (err) reject(new Error(`node ${args.join(" ")}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
const childJson = async (what) => JSON.parse((await runNode([fileURLToPath(import.meta.url), "child", what])).trim().split("\n").pop());

// ---------------------------------------------------------------------------------------------
// Weight through Vite, and Node start-up.

/**
 * Gzipped bytes a Vite production build of `main` emits (html, js, wasm): `emitted`, every
 * file; `loaded`, without the chunk of the wasm's inlined bytes (js/wasm/inline.js), which a
 * page fetches only when the emitted .wasm cannot be fetched.
 */
async function viteWeight(dir, main) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  fs.symlinkSync(root, path.join(dir, "node_modules/dioptra-metrics"), "dir");
  fs.writeFileSync(path.join(dir, "index.html"), `<!doctype html>\n<html><body><script type="module" src="./main.js"></script></body></html>\n`);
  fs.writeFileSync(path.join(dir, "main.js"), main);
  fs.writeFileSync(path.join(dir, "package.json"), `{"name":"weight-app","private":true,"type":"module"}\n`);
  await runNode([path.join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: dir });
  const files = fs.readdirSync(path.join(dir, "dist"), { recursive: true }).map((f) => path.join(dir, "dist", f)).filter((f) => fs.statSync(f).isFile());
  const gz = (f) => gzipSync(fs.readFileSync(f), { level: 9 }).length;
  const emitted = files.reduce((n, f) => n + gz(f), 0);
  const fallback = files.filter((f) => /^inline-[\w-]+\.js$/.test(path.basename(f)));
  return { emitted, loaded: emitted - fallback.reduce((n, f) => n + gz(f), 0) };
}

/** ms to `import` a module (a URL) in a fresh Node process. */
async function importMs(specifier, cwd = root) {
  const code = `const t0 = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t0));`;
  return Number(await runNode(["--input-type=module", "-e", code], { cwd }));
}

/** A consumer project in `dir`: node_modules/dioptra-metrics (this package) and
 * node_modules/plain-client (bench/plain-client.mjs as a package), both imported by name. */
function consumerProject(dir) {
  fs.mkdirSync(path.join(dir, "node_modules/plain-client"), { recursive: true });
  fs.symlinkSync(root, path.join(dir, "node_modules/dioptra-metrics"), "dir");
  fs.copyFileSync(path.join(here, "plain-client.mjs"), path.join(dir, "node_modules/plain-client/index.mjs"));
  const manifest = { name: "plain-client", version: "1.0.0", type: "module", exports: { ".": "./index.mjs" } };
  fs.writeFileSync(path.join(dir, "node_modules/plain-client/package.json"), JSON.stringify(manifest));
  fs.writeFileSync(path.join(dir, "package.json"), `{"name":"startup-app","private":true,"type":"module"}\n`);
}

// ---------------------------------------------------------------------------------------------
// Start-up in Chromium.

const STARTUP_PAGES = {
  // `window.ms`: ms from navigation start to the point the page waits for.
  "pkg-import": `import { DioptraClient } from "/dist/index.js";\nwindow.ms = performance.now(); window.ok = typeof DioptraClient === "function";`,
  "plain-import": `import { PlainClient } from "/bench/plain-client.mjs";\nwindow.ms = performance.now(); window.ok = typeof PlainClient === "function";`,
  "pkg-call": `import { DioptraClient } from "/dist/index.js";\nconst m = await new DioptraClient().jobs.getMetricsById(1);\nwindow.ms = performance.now(); window.ok = m.length === 4;`,
  "plain-call": `import { PlainClient } from "/bench/plain-client.mjs";\nconst m = await new PlainClient(location.origin).getMetricsById(1);\nwindow.ms = performance.now(); window.ok = m.length === 4;`,
};
const CONTENT_TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

/** A loopback server for the start-up pages: /dist/ (the build), /bench/plain-client.mjs, the
 * pages (/NAME.html) and /api/... answered at once by bench/fast-stub.mjs. */
async function startupServer() {
  const http = await import("node:http");
  const { makeFastFetch } = await import("./fast-stub.mjs");
  const fastFetch = makeFastFetch();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    const send = (status, type, body) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    const page = /^\/([\w-]+)\.html$/.exec(url.pathname)?.[1];
    if (page !== undefined && STARTUP_PAGES[page] !== undefined) {
      return send(200, "text/html", `<!doctype html><html><body><script type="module">\n${STARTUP_PAGES[page]}\n</script></body></html>\n`);
    }
    if (url.pathname.startsWith("/api/")) {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = chunks.length > 0 ? Buffer.concat(chunks).toString() : undefined;
      const answer = await fastFetch(`http://127.0.0.1${url.pathname}${url.search}`, { method: req.method, body });
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
      return res.end(await answer.text());
    }
    const file = url.pathname === "/bench/plain-client.mjs" ? path.join(here, "plain-client.mjs") : url.pathname.startsWith("/dist/") ? path.join(root, url.pathname) : null;
    if (file === null || !file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return send(404, "text/plain", "not found");
    return send(200, CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream", fs.readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** ms to each start-up page's point (min / median / max of `runs` loads, pages interleaved),
 * and which .wasm requests each page made (the same every run). */
async function chromiumStartup(runs) {
  const { launchChromium } = await import("../pkg-tests/support/chromium.mjs");
  const server = await startupServer();
  const browser = await launchChromium();
  const ms = Object.fromEntries(Object.keys(STARTUP_PAGES).map((k) => [k, []]));
  const wasmFetches = {};
  try {
    // A warm-up load of each (the browser's own start), then `runs` rounds.
    for (let round = -1; round < runs; round++) {
      for (const name of Object.keys(STARTUP_PAGES)) {
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          const requests = [];
          page.on("request", (r) => requests.push(new URL(r.url()).pathname));
          await page.goto(`${server.origin}/${name}.html`);
          await page.waitForFunction(() => window.ms !== undefined, null, { timeout: 30_000 });
          const { ms: t, ok } = await page.evaluate(() => ({ ms: window.ms, ok: window.ok }));
          if (!ok) throw new Error(`start-up page ${name} did not get what it asked for`);
          if (round >= 0) ms[name].push(t);
          wasmFetches[name] = requests.filter((p) => /\.wasm$|\/inline\.js$/.test(p)).length;
        } finally {
          await context.close();
        }
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return { ms: Object.fromEntries(Object.entries(ms).map(([k, xs]) => [k, stats(xs)])), wasmFetches };
}

/** Node `import` and Chromium start-up, package and plain module side by side (table, targets). */
async function startupFigures({ h, say, runs, results }) {
  say("weight: Node start-up");
  // The package by name; the plain module by path (as before), and, like for like, both as
  // installed packages imported by name (resolving a package name costs ~1.5 ms by itself).
  const pkgImport = [];
  const plainImport = [];
  const pkgByName = [];
  const plainByName = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dioptra-startup-"));
  try {
    consumerProject(tmp);
    for (let i = 0; i < runs; i++) {
      pkgImport.push(await importMs("dioptra-metrics"));
      plainImport.push(await importMs(pathToFileURL(path.join(here, "plain-client.mjs")).href));
      pkgByName.push(await importMs("dioptra-metrics", tmp));
      plainByName.push(await importMs("plain-client", tmp));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  results.nodeImportMs = { package: stats(pkgImport), plain: stats(plainImport) };
  results.nodeImportInstalledMs = { package: stats(pkgByName), plain: stats(plainByName) };
  say("weight: Chromium start-up");
  results.chromium = await chromiumStartup(runs);
  const c = results.chromium.ms;
  const fmt = (s) => `${s.min.toFixed(1)} / ${s.median.toFixed(1)} / ${s.max.toFixed(1)}`;
  const diff = (a, b) => `+${(a.median - b.median).toFixed(1)}`;
  const ip = results.nodeImportMs.package;
  const iq = results.nodeImportMs.plain;
  console.log(
    h.table(
      ["start-up, ms (min / median / max)", "package", "plain JS", "difference (medians)"],
      [
        ["Node `import` (the plain module by path)", fmt(ip), fmt(iq), diff(ip, iq)],
        ["Node `import`, both installed packages imported by name", fmt(results.nodeImportInstalledMs.package), fmt(results.nodeImportInstalledMs.plain), diff(results.nodeImportInstalledMs.package, results.nodeImportInstalledMs.plain)],
        [`Chromium: navigation to module imported (.wasm fetches: ${results.chromium.wasmFetches["pkg-import"]})`, fmt(c["pkg-import"]), fmt(c["plain-import"]), diff(c["pkg-import"], c["plain-import"])],
        [`Chromium: navigation to a client's first call answered (.wasm fetches: ${results.chromium.wasmFetches["pkg-call"]})`, fmt(c["pkg-call"]), fmt(c["plain-call"]), diff(c["pkg-call"], c["plain-call"])],
      ],
      ["l", "r", "r", "r"],
    ),
  );
  const np = results.nodeImportInstalledMs.package;
  const nq = results.nodeImportInstalledMs.plain;
  h.target(
    np.median - nq.median <= 3,
    `Node import <= 3 ms more than a plain module (median, both installed packages): +${(np.median - nq.median).toFixed(1)} ms (the plain module by path: +${(ip.median - iq.median).toFixed(1)} ms)`,
  );
  const callMore = c["pkg-call"].median - c["plain-call"].median;
  h.target(callMore <= 20, `Chromium module + wasm compile + first call <= 20 ms more than a plain module (median): +${callMore.toFixed(1)} ms`);
}

// ---------------------------------------------------------------------------------------------
// The section.

/**
 * Runs the section and prints its tables; resolves to its figures. `h`: the bench's table and
 * target helpers (`table(headers, rows, align)`, `target(ok, text)`); `say` for progress.
 */
async function weightSection({ h, say }) {
  const runs = intEnv("BENCH_WEIGHT_RUNS", 5);
  const results = {};
  console.log(`\n## 7. Weight, start-up, CPU per call and memory (instant in-process fetch; min / median / max of ${runs} runs)`);
  if (process.env.BENCH_WEIGHT_ONLY === "startup") {
    await startupFigures({ h, say, runs, results });
    return results;
  }

  say("weight: Vite builds");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dioptra-weight-"));
  try {
    const withPackage = await viteWeight(
      path.join(tmp, "with"),
      `import { DioptraClient } from "dioptra-metrics";\nnew DioptraClient("http://localhost:5000").jobs.getMetricsById(1).then((m) => { document.body.textContent = JSON.stringify(m); });\n`,
    );
    const without = await viteWeight(path.join(tmp, "without"), `Promise.resolve([]).then((m) => { document.body.textContent = JSON.stringify(m); });\n`);
    results.vite = {
      withPackage,
      without,
      package: withPackage.loaded - without.loaded,
      emitted: withPackage.emitted - without.emitted,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  results.entries = entrySizes(root).map(({ entry, conditions, raw, gzip }) => ({ entry, conditions, raw, gzip }));
  console.log(
    h.table(
      ["what", "raw", "gzip"],
      [
        ["Vite build of a one-line app, minus the app without the package: what a page loads", "", KiB(results.vite.package)],
        ["the same, every file emitted (with the inlined-bytes fallback chunk)", "", KiB(results.vite.emitted)],
        ...results.entries.map((e) => [`entry ${e.entry} (${e.conditions})`, KiB(e.raw), KiB(e.gzip)]),
      ],
      ["l", "r", "r"],
    ),
  );
  h.target(results.vite.package <= 64 * 1024, `browser weight (Vite app delta, gzip) <= 64 KiB: ${KiB(results.vite.package)}`);

  await startupFigures({ h, say, runs, results });

  say("weight: CPU per call");
  const callRuns = [];
  for (let i = 0; i < runs; i++) callRuns.push(await childJson("calls"));
  const historyRuns = [];
  for (let i = 0; i < runs; i++) historyRuns.push(await childJson("history"));
  say("weight: memory");
  const memory = await childJson("memory");
  results.memory = memory;

  const fmt = (s, d = 1) => `${s.min.toFixed(d)} / ${s.median.toFixed(d)} / ${s.max.toFixed(d)}`;
  const rows = [];
  results.calls = {};
  const ratioTarget = [];
  for (const [key, label] of [
    ["append", "appendMetricById (µs above floor)"],
    ["latest", "getMetricsById (µs above floor)"],
    ["page", "getMetricsSnapshotsById, 1,000 points (µs above floor)"],
    ["logger", "logger, per point (µs above floor)"],
  ]) {
    const p = stats(callRuns.map((r) => r.package[key]));
    const q = stats(callRuns.map((r) => r.plain[key]));
    const ratios = stats(callRuns.map((r) => r.package[key] / r.plain[key]));
    results.calls[key] = { package: p, plain: q, ratio: ratios };
    rows.push([label, fmt(p), fmt(q), fmt(ratios, 2)]);
    ratioTarget.push([label.replace(/ \(.*/, ""), ratios.median]);
  }
  const hp = stats(historyRuns.map((r) => r.package));
  const hq = stats(historyRuns.map((r) => r.plain));
  const hr = stats(historyRuns.map((r) => r.package / r.plain));
  results.calls.history = { package: hp, plain: hq, ratio: hr };
  rows.push(["getMetricHistory, 100,000 points (ms, whole)", fmt(hp), fmt(hq), fmt(hr, 2)]);
  ratioTarget.push(["getMetricHistory of 100,000 points", hr.median]);
  console.log(h.table(["measure (min / median / max)", "package", "plain JS", "ratio"], rows, ["l", "r", "r", "r"]));
  const floor = callRuns.map((r) => r.floor);
  console.log(
    `fetch floor (µs, median): append ${median(floor.map((f) => f.append)).toFixed(1)}, getMetricsById ${median(floor.map((f) => f.latest)).toFixed(1)}, page ${median(floor.map((f) => f.page)).toFixed(1)}`,
  );
  console.log(
    h.table(
      ["wasm memory", "bytes"],
      [
        ["at start", MiB(memory.start)],
        ["after 100,000 appendMetricById", MiB(memory.afterCalls)],
        ["after a 100,000-point getMetricHistory", MiB(memory.afterHistory)],
      ],
      ["l", "r"],
    ),
  );
  for (const [label, ratio] of ratioTarget) {
    // A ratio is only a measure when plain JS measured above the floor (a busy machine can
    // leave it at or under it): otherwise a MISS that says so.
    const measured = ratio > 0 && Number.isFinite(ratio);
    h.target(measured && ratio <= 1.25, `${label} <= 1.25x plain JS (median): ${measured ? `${ratio.toFixed(2)}x` : "not measured (plain JS at or under the fetch floor)"}`);
  }
  h.target(memory.afterHistory <= 2 * 1048576, `wasm memory after 100,000 calls and a 100,000-point read <= 2 MiB: ${MiB(memory.afterHistory)}`);
  return results;
}

export { weightSection };

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === "child") {
    await child(process.argv[3]);
  } else {
    const table = (headers, rows) => [headers, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
    const targets = [];
    const target = (ok, text) => {
      targets.push(ok);
      console.log(`${ok ? "PASS" : "MISS"}  ${text}`);
    };
    const results = await weightSection({ h: { table, target }, say: (m) => process.stderr.write(`bench: ${m}\n`) });
    fs.writeFileSync(path.join(os.tmpdir(), "dioptra-metrics-weight.json"), JSON.stringify(results, null, 2) + "\n");
  }
}
