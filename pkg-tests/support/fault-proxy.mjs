// A proxy in front of the real Dioptra that misbehaves on purpose: it drops connections
// (some before the request reaches the server, some after, so the answer is lost), answers
// 503 with Retry-After, and delays the rest: metric writes only. It counts what it did, and
// how often two requests for one (name, step) were in flight together.
import http from "node:http";

import { listenOnLoopback } from "./stub-server.mjs";

/**
 * @param {string} target the real server's address
 * @param {{ drop?: number, unavailable?: number, maxDelayMs?: number, loseFirstAnswer?: boolean }} rates
 *   shares of requests; `loseFirstAnswer`: the first metric write reaches the server, its answer is lost
 */
export async function startFaultProxy(target, { drop = 0.1, unavailable = 0.05, maxDelayMs = 200, loseFirstAnswer = false } = {}) {
  const counts = { requests: 0, dropped: 0, unavailable: 0, forwarded: 0 };
  let firstWriteAt = null;
  const firstWrite = () => (firstWriteAt ??= counts.requests);
  const inFlightKeys = new Map();
  let overlaps = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      counts.requests += 1;
      const body = Buffer.concat(chunks);
      // Faults only for metric writes: logging in must work.
      const roll = req.method === "POST" && req.url.endsWith("/metrics") ? Math.random() : 1;
      if (roll < drop / 2) {
        counts.dropped += 1;
        return req.socket.destroy(); // Lost before the server saw it.
      }
      if (roll < drop / 2 + unavailable) {
        counts.unavailable += 1;
        res.writeHead(503, { "content-type": "text/html", "retry-after": "0" });
        return res.end("<html>Service Unavailable</html>");
      }
      const isWrite = req.method === "POST" && req.url.endsWith("/metrics");
      const loseAnswer = roll < drop + unavailable || (loseFirstAnswer && isWrite && counts.requests === firstWrite());
      // Two requests for one (name, step) must never be in flight together.
      const point = req.method === "POST" && body.length ? JSON.parse(body.toString()) : null;
      const key = point ? `${req.url} ${point.name} ${point.step}` : null;
      if (key) {
        if (inFlightKeys.has(key)) overlaps += 1;
        inFlightKeys.set(key, (inFlightKeys.get(key) ?? 0) + 1);
      }
      const done = () => {
        if (!key) return;
        const n = inFlightKeys.get(key) - 1;
        if (n === 0) inFlightKeys.delete(key);
        else inFlightKeys.set(key, n);
      };
      setTimeout(() => {
        const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
          const parts = [];
          answer.on("data", (c) => parts.push(c));
          answer.on("end", () => {
            done();
            if (loseAnswer) {
              counts.dropped += 1;
              return req.socket.destroy(); // Stored, but the answer never arrives.
            }
            counts.forwarded += 1;
            res.writeHead(answer.statusCode, answer.headers);
            res.end(Buffer.concat(parts));
          });
        });
        upstream.on("error", () => {
          done();
          req.socket.destroy();
        });
        upstream.end(body);
      }, Math.random() * maxDelayMs);
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    ...listening,
    counts,
    get overlaps() {
      return overlaps;
    },
  };
}
