// A same-origin front for a built app: `/api/...` forwarded to the real Dioptra, everything else
// served from a directory of built files or forwarded to a dev server (Vite's), websocket
// upgrades included. Used by the packaging matrix (pkg-tests/matrix.test.mjs).
//
//   const front = await startFrontServer({ apiAddress, root: "/tmp/x/dist" });   // or upstream: "http://127.0.0.1:5173"
//   front.origin   "http://127.0.0.1:PORT"
//   await front.close()

import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";

const CONTENT_TYPES = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
};

/** Forwards `req` to `target` (an http origin) as it is; the answer comes back as it is. */
function forward(req, res, target, agent) {
  const url = new URL(target);
  const headers = { ...req.headers, host: url.host };
  const upReq = http.request({ agent, hostname: url.hostname, port: url.port, method: req.method, path: req.url, headers });
  upReq.on("response", (upRes) => {
    res.writeHead(upRes.statusCode, upRes.statusMessage, upRes.rawHeaders);
    upRes.pipe(res);
  });
  upReq.on("error", (e) => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502, { "content-type": "text/plain" }).end(`front-server: ${target} did not answer: ${e.message}\n`);
  });
  req.pipe(upReq);
}

/** Serves `root/<pathname>` (index.html for a directory), 404 outside it or when missing. */
function serve(req, res, root) {
  const pathname = decodeURIComponent(req.url.split("?", 1)[0]);
  let file = path.join(root, pathname);
  if (!file.startsWith(root)) return res.writeHead(404).end();
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
  if (!fs.existsSync(file)) return res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  const type = CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream";
  res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
  fs.createReadStream(file).pipe(res);
}

/**
 * Starts the front on 127.0.0.1, on a free port.
 * @param {{ apiAddress: string, root?: string, upstream?: string }} options
 * @returns {Promise<{ origin: string, close(): Promise<void> }>}
 */
export async function startFrontServer({ apiAddress, root, upstream }) {
  const agent = new http.Agent({ keepAlive: true });
  const absRoot = root && path.resolve(root);
  const server = http.createServer((req, res) => {
    const pathname = req.url.split("?", 1)[0];
    if (pathname === "/api" || pathname.startsWith("/api/")) forward(req, res, apiAddress, agent);
    else if (upstream) forward(req, res, upstream, agent);
    else serve(req, res, absRoot);
  });
  // Vite's HMR websocket: piped to the dev server as raw bytes.
  server.on("upgrade", (req, socket, head) => {
    if (!upstream) return socket.destroy();
    const url = new URL(upstream);
    const up = net.connect(Number(url.port), url.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join("\r\n")}\r\n\r\n`);
      up.write(head);
      up.pipe(socket).pipe(up);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const sockets = new Set();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        agent.destroy();
      });
    },
  };
}
