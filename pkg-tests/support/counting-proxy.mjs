// A loopback proxy in front of a server that only counts: TCP connections the client opened
// (in all, and the most open at once) and requests in flight (the most at once). It forwards
// every request unchanged and never misbehaves (fault-proxy.mjs does that).
//
//   const proxy = await startCountingProxy(address); ... proxy.counts ... await proxy.close();
import http from "node:http";

import { listenOnLoopback } from "./stub-server.mjs";

/**
 * @param {string} target the server's address, e.g. "http://127.0.0.1:5000"
 * @param {{ fail?: (req: http.IncomingMessage) => number | undefined }} [faults] answer some
 *   requests with a status of their own instead of forwarding them (counted in `failed`)
 * @returns {Promise<{ address: string, counts: { connections: number, openConnections: number,
 *   maxOpenConnections: number, requests: number, inFlight: number, maxInFlight: number },
 *   close(): Promise<void> }>}
 */
export async function startCountingProxy(target, { fail } = {}) {
  const counts = { connections: 0, openConnections: 0, maxOpenConnections: 0, requests: 0, inFlight: 0, maxInFlight: 0, failed: 0 };
  // Upstream connections are not what is counted: one per request, closed after it.
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const server = http.createServer((req, res) => {
    counts.requests += 1;
    counts.inFlight += 1;
    counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    let over = false;
    const done = () => {
      if (over) return;
      over = true;
      counts.inFlight -= 1;
    };
    res.on("close", done);
    // `fail(req)` (optional): a status to answer instead of forwarding (e.g. 503), or falsy.
    const status = fail?.(req);
    if (status) {
      counts.failed += 1;
      req.resume();
      res.writeHead(status, { "content-type": "application/json" });
      return res.end(JSON.stringify({ message: "injected fault" }));
    }
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers, agent }, (answer) => {
      // The server's `Connection: close` is about the upstream connection: the client's may
      // stay open for its next request.
      const { connection, "keep-alive": keepAlive, ...headers } = answer.headers;
      res.writeHead(answer.statusCode, headers);
      answer.pipe(res);
    });
    upstream.on("error", () => {
      done();
      req.socket.destroy();
    });
    req.pipe(upstream);
  });
  server.on("connection", (socket) => {
    counts.connections += 1;
    counts.openConnections += 1;
    counts.maxOpenConnections = Math.max(counts.maxOpenConnections, counts.openConnections);
    socket.on("close", () => (counts.openConnections -= 1));
  });
  // Requests may wait long upstream: never let the proxy's own time limits be what is seen.
  server.headersTimeout = 120_000;
  server.requestTimeout = 0;
  const listening = await listenOnLoopback(server);
  return { ...listening, counts };
}
