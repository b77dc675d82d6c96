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
//   - start-up: `import` in Node, the package beside the plain module;
//   - CPU per call above the fetch floor (the stub's own cost, measured alone): appendMetricById,
//     getMetricsById, a 1,000-point snapshots page, the logger per point; getMetricHistory of
//     100,000 points (whole time);
//   - wasm memory after 100,000 calls and after a 100,000-point history read.
// Knobs: BENCH_WEIGHT_RUNS, BENCH_WEIGHT_CALLS (calls per per-call measurement, default 3000),
// BENCH_WEIGHT_LOG_POINTS (logger points, default 20000).

import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

import { entrySizes } from "../scripts/sizes.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const ADDRESS = "http://127.0.0.1:9";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
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

/** Gzipped bytes of everything a Vite production build of `main` emits (html, js, wasm). */
async function viteWeight(dir, main) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  fs.symlinkSync(root, path.join(dir, "node_modules/dioptra-metrics"), "dir");
  fs.writeFileSync(path.join(dir, "index.html"), `<!doctype html>\n<html><body><script type="module" src="./main.js"></script></body></html>\n`);
  fs.writeFileSync(path.join(dir, "main.js"), main);
  fs.writeFileSync(path.join(dir, "package.json"), `{"name":"weight-app","private":true,"type":"module"}\n`);
  await runNode([path.join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: dir });
  const files = fs.readdirSync(path.join(dir, "dist"), { recursive: true }).map((f) => path.join(dir, "dist", f)).filter((f) => fs.statSync(f).isFile());
  return files.reduce((n, f) => n + gzipSync(fs.readFileSync(f), { level: 9 }).length, 0);
}

/** ms to `import` a module (a URL) in a fresh Node process. */
async function importMs(specifier) {
  const code = `const t0 = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t0));`;
  return Number(await runNode(["--input-type=module", "-e", code]));
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

  say("weight: Vite builds");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dioptra-weight-"));
  try {
    const withPackage = await viteWeight(
      path.join(tmp, "with"),
      `import { DioptraClient } from "dioptra-metrics";\nnew DioptraClient("http://localhost:5000").jobs.getMetricsById(1).then((m) => { document.body.textContent = JSON.stringify(m); });\n`,
    );
    const without = await viteWeight(path.join(tmp, "without"), `Promise.resolve([]).then((m) => { document.body.textContent = JSON.stringify(m); });\n`);
    results.vite = { withPackage, without, package: withPackage - without };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  results.entries = entrySizes(root).map(({ entry, conditions, raw, gzip }) => ({ entry, conditions, raw, gzip }));
  console.log(
    h.table(
      ["what", "raw", "gzip"],
      [
        ["Vite build of a one-line app, minus the app without the package", "", KiB(results.vite.package)],
        ...results.entries.map((e) => [`entry ${e.entry} (${e.conditions})`, KiB(e.raw), KiB(e.gzip)]),
      ],
      ["l", "r", "r"],
    ),
  );
  h.target(results.vite.package <= 64 * 1024, `browser weight (Vite app delta, gzip) <= 64 KiB: ${KiB(results.vite.package)}`);

  say("weight: Node start-up");
  const pkgImport = [];
  const plainImport = [];
  for (let i = 0; i < runs; i++) {
    pkgImport.push(await importMs("dioptra-metrics"));
    plainImport.push(await importMs(pathToFileURL(path.join(here, "plain-client.mjs")).href));
  }
  results.nodeImportMs = { package: stats(pkgImport), plain: stats(plainImport) };

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
  const ip = results.nodeImportMs.package;
  const iq = results.nodeImportMs.plain;
  rows.push(["Node `import` (ms)", fmt(ip), fmt(iq), ""]);
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
  h.target(ip.median - iq.median <= 3, `Node import <= 3 ms more than a plain module (median): +${(ip.median - iq.median).toFixed(1)} ms`);
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
