// A fast stand-in for Dioptra's metric write, on a port chosen by the test (the port a dead
// server had): it answers every POST /api/v1/jobs/{id}/metrics with 200 {name, value} as the
// real server does, and records what each (job, name, step) received. For what the real
// server cannot show quickly: draining 20,000 queued points takes it three minutes.
import http from "node:http";

/**
 * @param {number} port a free loopback port
 * @returns {Promise<{ address: string, requests: number, received: Map<string, any[]>, close(): Promise<void> }>}
 *   received: "job name step" → the values POSTed for it, in order
 */
export async function startMetricsEcho(port) {
  const received = new Map();
  const sockets = new Set();
  const echo = {
    address: `http://127.0.0.1:${port}`,
    requests: 0,
    received,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      echo.requests += 1;
      const m = /^\/api\/v1\/jobs\/(\d+)\/metrics$/.exec(req.url);
      let point = null;
      try {
        point = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {}
      if (req.method !== "POST" || !m || typeof point?.name !== "string") {
        res.writeHead(404, { "content-type": "application/json" });
        return res.end(JSON.stringify({ message: "not a metric write" }));
      }
      const key = `${m[1]} ${point.name} ${point.step ?? 0}`;
      if (!received.has(key)) received.set(key, []);
      received.get(key).push(point.value);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ name: point.name, value: point.value }));
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return echo;
}
