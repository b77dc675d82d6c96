// A small HTTP server for what the real Dioptra cannot show: it records every request and
// answers with whatever the test's handler does (faults, malformed bodies, redirects).
import http from "node:http";

/**
 * Starts a stub on 127.0.0.1. `handler(req, res, body)` answers; by default every request gets
 * 500 so that a test that expected no request notices one.
 * @returns {Promise<{ address: string, requests: Array<{ method: string, url: string, headers: object, body: string }>, close(): Promise<void> }>}
 */
export async function startStub(handler = (req, res) => res.writeHead(500).end("unexpected request")) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  return { ...(await listenOnLoopback(server)), requests };
}

/**
 * Starts `server` on a free loopback port. `close()` also ends its open connections (keep-alive
 * ones included), so that closing never waits on a client.
 * @returns {Promise<{ address: string, close(): Promise<void> }>}
 */
export async function listenOnLoopback(server) {
  const sockets = new Set();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers `status` with `body` as JSON (a string body is sent as it is). */
export function json(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

/** Answers a metric POST as Dioptra does: `{ name, value }` of the point it got (values as sent). */
export function echoMetric(res, body) {
  const { name, value } = JSON.parse(body);
  json(res, 200, { name, value });
}
