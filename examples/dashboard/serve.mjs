#!/usr/bin/env node
// Serves the dashboard same-origin with the Dioptra API (cookie auth from a page needs one
// origin): the page, the built package (dist/), uPlot, and /api/... proxied to the server.
//
//   DIOPTRA_ADDRESS=http://dioptra:5000 node examples/dashboard/serve.mjs [--port 8080]
//   node scripts/with-dioptra.mjs -- node examples/dashboard/serve.mjs --demo   (npm run dashboard)
//
// --demo (against the local seeded Dioptra): logs live curves into the jobs of the "main"
// experiment while it runs, and prints the login. Only node:http; loopback only.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
/** URL prefix → directory served from it. */
const ROUTES = {
  "/dist/": path.join(root, "dist"),
  "/vendor/uplot/": path.join(root, "node_modules/uplot/dist"),
  "/": here,
};
const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html", ".wasm": "application/wasm", ".png": "image/png" };
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host"]);

/** A file under `dir` for `rel`, or null when it would leave `dir` or does not exist. */
function fileFor(dir, rel) {
  const file = path.resolve(dir, `.${path.posix.normalize(`/${decodeURIComponent(rel)}`)}`);
  if (!file.startsWith(dir + path.sep) && file !== dir) return null;
  const target = fs.existsSync(file) && fs.statSync(file).isDirectory() ? path.join(file, "index.html") : file;
  return fs.existsSync(target) ? target : null;
}

/**
 * Starts the dashboard server on `port` (0: any free one) of 127.0.0.1, proxying /api to
 * `apiAddress`. Resolves to `{ origin, close() }`.
 */
export function startDashboard({ apiAddress, port = 0 }) {
  const api = new URL(apiAddress);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname.startsWith("/api/")) {
      const headers = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
      const upstream = http.request({ hostname: api.hostname, port: api.port, path: req.url, method: req.method, headers }, (answer) => {
        const out = {};
        for (const [k, v] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      });
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
      return;
    }
    for (const [prefix, dir] of Object.entries(ROUTES)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const file = fileFor(dir, url.pathname.slice(prefix.length));
      if (!file) break;
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      fs.createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  });
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolve({ origin, close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }) });
    });
  });
}

/** --demo: live curves in the "main" experiment's jobs, until the process ends (or `stop()`). */
export async function demo(origin) {
  const { DioptraClient } = await import("dioptra-metrics");
  const seed = JSON.parse(process.env.DIOPTRA_SEED ?? "{}");
  const jobs = seed.experiments?.main?.jobIds ?? [];
  const client = new DioptraClient(process.env.DIOPTRA_ADDRESS);
  await client.auth.login(process.env.DIOPTRA_USERNAME, process.env.DIOPTRA_PASSWORD);
  const loggers = jobs.map((job) => client.jobs.createLogger(job, { flushIntervalMs: 500 }));
  console.log(`dashboard: ${origin}/  (log in as ${process.env.DIOPTRA_USERNAME} / ${process.env.DIOPTRA_PASSWORD}; pick experiment "main")`);
  let step = 0;
  const tick = () => {
    loggers.forEach((logger, k) => {
      const t = step / 50;
      const loss = (2 + k) * Math.exp(-t / (3 + k)) + 0.05 * Math.sin(t * 7 + k);
      logger.log({ loss, accuracy: 1 - loss / (3 + k), lr: step % 200 === 150 ? NaN : 0.01 * Math.exp(-t / 20) }, { step });
    });
    step += 1;
  };
  for (let i = 0; i < 600; i++) tick(); // a history to start with
  await Promise.all(loggers.map((logger) => logger.flush()));
  const timer = setInterval(tick, 200);
  return { stop: async () => (clearInterval(timer), await Promise.all(loggers.map((logger) => logger.close()))) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const address = process.env.DIOPTRA_ADDRESS;
  if (!address) {
    console.error("serve.mjs: set DIOPTRA_ADDRESS (e.g. http://localhost:5000), or run `npm run dashboard` for a local Dioptra");
    process.exit(2);
  }
  const portArg = process.argv.indexOf("--port");
  const port = portArg > 0 ? Number(process.argv[portArg + 1]) : Number(process.env.PORT ?? 8080);
  const { origin } = await startDashboard({ apiAddress: address, port });
  if (process.argv.includes("--demo")) await demo(origin);
  else console.log(`dashboard: ${origin}/ (API: ${address})`);
}
