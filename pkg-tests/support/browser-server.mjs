// A same-origin test server for the browser tests: static files plus a proxy to the real Dioptra.
//
//   const server = await startBrowserServer({ apiAddress: address });
//   server.origin            "http://127.0.0.1:PORT"
//   server.apiRequests       every proxied request so far: [{ method, url }] (url = path + query)
//   server.apiRequestsSince(i)  those from index i on, as "METHOD /path?query"
//   server.apiDown = true     /api requests are refused (the connection is destroyed) until false
//   await server.close()
//
// Routes:
//   /dist/...   files of the built package (<repo>/dist), e.g. /dist/index.js
//   /pages/...  the test pages (pkg-tests/browser/), e.g. /pages/app.html
//   /api/...    proxied to apiAddress unchanged: method, headers (Cookie included), body; the
//               answer's status, headers (every Set-Cookie) and body come back as they are.
// Anything else is a 404. Only node:http, no npm dependencies.

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const DIST_ROOT = fileURLToPath(new URL("../../dist/", import.meta.url));
const PAGES_ROOT = fileURLToPath(new URL("../browser/", import.meta.url));

const CONTENT_TYPES = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".html": "text/html; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".cts": "text/plain; charset=utf-8",
};

// Hop-by-hop headers (RFC 9110 7.6.1): they describe one connection, not the message.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** `rawHeaders` ([name, value, name, value, ...]) without the hop-by-hop ones. */
function endToEnd(rawHeaders, { replaceHost } = {}) {
  const out = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (replaceHost !== undefined && lower === "host") {
      out.push(name, replaceHost);
      continue;
    }
    out.push(name, rawHeaders[i + 1]);
  }
  return out;
}

function sendText(res, status, text) {
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  });
  res.end(text);
}

/**
 * The file under `root` that `rel` (a URL path below the route's prefix, still %-encoded) names,
 * or null when it is malformed or would leave `root`.
 */
function resolveUnder(root, rel) {
  let decoded;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  const file = path.resolve(root, `.${path.posix.sep}${decoded}`);
  const rootNoSep = root.endsWith(path.sep) ? root.slice(0, -1) : root;
  if (file !== rootNoSep && !file.startsWith(rootNoSep + path.sep)) return null;
  return file;
}

function serveStatic(req, res, root, rel) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    sendText(res, 405, "method not allowed\n");
    return;
  }
  const file = resolveUnder(root, rel);
  if (file === null) {
    sendText(res, 404, "not found\n");
    return;
  }
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) {
      sendText(res, 404, "not found\n");
      return;
    }
    res.writeHead(200, {
      "Content-Type": CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
      "Content-Length": st.size,
      "Cache-Control": "no-store",
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const stream = fs.createReadStream(file);
    stream.on("error", () => res.destroy());
    stream.pipe(res);
  });
}

/**
 * Starts the server on 127.0.0.1, on a free port.
 * @param {{ apiAddress: string }} options  the real Dioptra, e.g. "http://127.0.0.1:5000"
 * @returns {Promise<{ origin: string, apiRequests: {method: string, url: string}[], apiRequestsSince(from: number): string[], close(): Promise<void> }>}
 */
export async function startBrowserServer({ apiAddress }) {
  const upstream = new URL(apiAddress);
  if (upstream.protocol !== "http:") throw new Error(`startBrowserServer: apiAddress must be http://, got ${apiAddress}`);
  const agent = new http.Agent({ keepAlive: true });
  const apiRequests = [];

  function proxy(req, res) {
    apiRequests.push({ method: req.method, url: req.url });
    const upReq = http.request({
      agent,
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port || 80,
      method: req.method,
      path: req.url,
      headers: endToEnd(req.rawHeaders, { replaceHost: upstream.host }),
    });
    upReq.on("response", (upRes) => {
      res.writeHead(upRes.statusCode, upRes.statusMessage, endToEnd(upRes.rawHeaders));
      upRes.pipe(res);
      upRes.on("error", () => res.destroy());
    });
    upReq.on("error", (e) => {
      if (res.headersSent) res.destroy();
      else sendText(res, 502, `browser-server: the Dioptra server at ${apiAddress} did not answer: ${e.message}\n`);
    });
    req.on("error", () => upReq.destroy());
    req.pipe(upReq);
  }

  const state = { apiDown: false };
  const server = http.createServer((req, res) => {
    const pathname = req.url.split("?", 1)[0];
    const api = pathname === "/api" || pathname.startsWith("/api/");
    if (api && state.apiDown) req.socket.destroy();
    else if (api) proxy(req, res);
    else if (pathname.startsWith("/dist/")) serveStatic(req, res, DIST_ROOT, pathname.slice("/dist/".length));
    else if (pathname.startsWith("/pages/")) serveStatic(req, res, PAGES_ROOT, pathname.slice("/pages/".length));
    else sendText(res, 404, "not found\n");
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address();

  return {
    origin: `http://127.0.0.1:${port}`,
    apiRequests,
    apiRequestsSince: (from) => apiRequests.slice(from).map((r) => `${r.method} ${r.url}`),
    get apiDown() {
      return state.apiDown;
    },
    set apiDown(down) {
      state.apiDown = down;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
    },
  };
}
