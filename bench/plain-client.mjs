// The comparison client of section "weight" of bench/bench.mjs: plain JavaScript with the
// features the package's calls have (not its whole robustness): argument checks, the same URL,
// headers, cookie and body, an AbortController and a timer per request, no redirect followed,
// special values ("nan", "inf", "-inf") decoded both ways, timestamps made `Date`s, complete
// history reads paged with two pages in flight (1.2.2's page-numbered `index`), and a logger
// with a queue and four requests in flight. It is the floor the package's per-call CPU is
// compared with.

const NAME = /^([A-Za-z]|[A-Za-z_][A-Za-z0-9_]+)$/;
const MAX_PAGE_LENGTH = 1000;

function checkId(id, field) {
  if (!Number.isSafeInteger(id) || id < 1) throw new TypeError(`${field} must be a positive integer`);
}
function checkName(name) {
  if (typeof name !== "string" || !NAME.test(name)) throw new TypeError("metricName is not a metric name");
}
function encodeValue(value) {
  if (typeof value !== "number") throw new TypeError("metricValue must be a number");
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  return value;
}
function decodeValue(value) {
  if (typeof value === "number") return value;
  if (value === "nan") return NaN;
  if (value === "inf") return Infinity;
  if (value === "-inf") return -Infinity;
  throw new Error(`not a metric value: ${JSON.stringify(value)}`);
}
const decodeMetric = (m) => ({ name: m.name, value: decodeValue(m.value) });
const decodePoint = (p) => ({ name: p.name, value: decodeValue(p.value), step: p.step, timestamp: new Date(p.timestamp) });

/** The plain-JavaScript metrics client. */
class PlainClient {
  #base;
  #timeoutMs;
  #cookies = new Map();
  constructor(address, { timeoutMs = 30_000 } = {}) {
    this.#base = `${new URL(address).origin}/api/v1`;
    this.#timeoutMs = timeoutMs;
  }
  async #request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.#cookies.size > 0) headers.Cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      const res = await fetch(this.#base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: "manual",
        signal: controller.signal,
      });
      for (const cookie of res.headers.getSetCookie()) {
        const [pair] = cookie.split(";");
        const eq = pair.indexOf("=");
        this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
      return text.trim() === "" ? null : JSON.parse(text);
    } finally {
      clearTimeout(timer);
    }
  }
  login(username, password) {
    return this.#request("POST", "/auth/login", { username, password });
  }
  async getMetricsById(jobId) {
    checkId(jobId, "jobId");
    return (await this.#request("GET", `/jobs/${jobId}/metrics`)).map(decodeMetric);
  }
  async appendMetricById(jobId, name, value, { step, timestamp } = {}) {
    checkId(jobId, "jobId");
    checkName(name);
    const body = { name, value: encodeValue(value) };
    if (step !== undefined) body.step = step;
    if (timestamp !== undefined) body.timestamp = new Date(timestamp).toISOString();
    return decodeMetric(await this.#request("POST", `/jobs/${jobId}/metrics`, body));
  }
  async getMetricsSnapshotsById(jobId, name, { index = 0, pageLength = 10 } = {}) {
    checkId(jobId, "jobId");
    checkName(name);
    const page = await this.#request("GET", `/jobs/${jobId}/metrics/${encodeURIComponent(name)}/snapshots?index=${index}&pageLength=${pageLength}`);
    page.data = page.data.map(decodePoint);
    return page;
  }
  /** Every point, ordered by step: page 0 tells the total, then two pages in flight. */
  async getMetricHistory(jobId, name) {
    const first = await this.getMetricsSnapshotsById(jobId, name, { index: 0, pageLength: MAX_PAGE_LENGTH });
    const pages = Math.ceil(first.totalNumResults / MAX_PAGE_LENGTH);
    const points = [...first.data];
    let next = 1;
    const worker = async () => {
      while (next < pages) {
        const page = await this.getMetricsSnapshotsById(jobId, name, { index: next++, pageLength: MAX_PAGE_LENGTH });
        for (const p of page.data) points.push(p);
      }
    };
    await Promise.all([worker(), worker()]);
    const seen = new Set();
    return points.sort((a, b) => a.step - b.step).filter((p) => !seen.has(p.step) && seen.add(p.step));
  }
  /** A logger: `log({ name: value }, { step })` queues, four requests in flight, `close()` drains. */
  createLogger(jobId, { concurrency = 4 } = {}) {
    checkId(jobId, "jobId");
    const queue = [];
    let inFlight = 0;
    let idle;
    const pump = () => {
      while (inFlight < concurrency && queue.length > 0) {
        const { name, value, step } = queue.shift();
        inFlight++;
        this.appendMetricById(jobId, name, value, { step })
          .catch(() => queue.push({ name, value, step }))
          .finally(() => {
            inFlight--;
            pump();
          });
      }
      if (inFlight === 0 && queue.length === 0) idle?.();
    };
    return {
      log(metrics, { step } = {}) {
        for (const [name, value] of Object.entries(metrics)) {
          checkName(name);
          encodeValue(value);
          queue.push({ name, value, step });
        }
        pump();
      },
      close() {
        return new Promise((resolve) => {
          idle = resolve;
          pump();
        });
      },
    };
  }
}

export { PlainClient };
