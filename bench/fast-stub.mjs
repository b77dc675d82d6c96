// An instant in-process Dioptra for the per-call benchmarks (section "weight" of bench/bench.mjs):
// a `fetch` function that answers the metrics endpoints from memory, with the real 1.2.2's
// shapes (special values as "nan"/"inf"/"-inf", timestamps with microseconds and an offset, the
// history's `index` counted in pages as 1.2.2 does), so what a benchmark measures is the
// client's own CPU, not a server's or a socket's.

/** The history of metric "loss" on every job: `n` points, steps 0..n-1, some special values. */
function makeHistory(n) {
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, step) => ({
    name: "loss",
    value: step % 100 === 7 ? "nan" : step % 100 === 8 ? "inf" : step % 100 === 9 ? "-inf" : step / 3,
    step,
    timestamp: new Date(start + step * 1000).toISOString().replace("Z", "123+00:00"),
  }));
}

const JSON_HEADERS = { "content-type": "application/json" };

/** A JSON answer with its Content-Length, as the real server (gunicorn) sends it. */
function answer(body, status = 200, headers = new Headers(JSON_HEADERS)) {
  headers.set("content-length", String(Buffer.byteLength(body)));
  return new Response(body, { status, headers });
}

/**
 * A `fetch` answering login, logout, job metrics (GET and POST) and history pages from memory.
 * `historyPoints`: the length of every history. Page bodies are made once and kept, as a
 * server's cache would: each answer costs the stub only a `new Response`.
 */
function makeFastFetch({ historyPoints = 1000 } = {}) {
  const history = makeHistory(historyPoints);
  const pages = new Map();
  const latest = JSON.stringify([
    { name: "loss", value: 0.125 },
    { name: "acc", value: 0.875 },
    { name: "lr", value: "nan" },
    { name: "grad_norm", value: "inf" },
  ]);
  const page = (path, index, pageLength) => {
    const key = `${index}/${pageLength}`;
    let body = pages.get(key);
    if (body === undefined) {
      const data = history.slice(index * pageLength, (index + 1) * pageLength);
      const more = index + pageLength < history.length;
      body = JSON.stringify({
        index,
        isComplete: !more,
        totalNumResults: history.length,
        first: `${path}?index=0&pageLength=${pageLength}`,
        ...(more ? { next: `${path}?index=${index + pageLength}&pageLength=${pageLength}` } : {}),
        data,
      });
      pages.set(key, body);
    }
    return body;
  };
  return async function fastFetch(input, init = {}) {
    const url = new URL(typeof input === "string" ? input : input.url);
    const method = init.method ?? "GET";
    const path = url.pathname;
    if (path.endsWith("/auth/login")) {
      const headers = new Headers(JSON_HEADERS);
      headers.append("set-cookie", "session=bench-session; HttpOnly; Path=/");
      return answer(JSON.stringify({ username: "bench", status: "Login successful" }), 200, headers);
    }
    if (path.endsWith("/auth/logout")) return answer("{}");
    if (/\/jobs\/\d+\/metrics$/.test(path)) {
      if (method === "POST") {
        const { name, value } = JSON.parse(init.body);
        return answer(JSON.stringify({ name, value }));
      }
      return answer(latest);
    }
    if (/\/jobs\/\d+\/metrics\/[^/]+\/snapshots$/.test(path)) {
      const index = Number(url.searchParams.get("index") ?? 0);
      const pageLength = Number(url.searchParams.get("pageLength") ?? 10);
      return answer(page(path, index, pageLength));
    }
    return answer(JSON.stringify({ message: "Not Found" }), 404);
  };
}

export { makeFastFetch, makeHistory };
