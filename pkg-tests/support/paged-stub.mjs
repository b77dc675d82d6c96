// A stand-in for Dioptra's history and experiment endpoints with a chosen meaning of `index`
// and a chosen page-length maximum, counting requests: what the real 1.2.2 cannot show.
import { startStub, json } from "./stub-server.mjs";

/**
 * @param {object} o
 * @param {Array<{ name: string, value: number|string, step: number, timestamp: string }>} o.points history of every metric ("loss")
 * @param {Array<{ id: number, metrics: object[] }>} [o.jobs] the experiment's jobs
 * @param {"offset"|"page"} o.indexIs what `index` counts
 * @param {number} [o.maxPageLength] the server's maximum pageLength (400 above it)
 * @param {number} [o.servesAtMost] serves at most this many items a page, silently
 * @param {(served: number) => void} [o.afterPage] called after each page is served (to grow the history)
 */
export async function startPagedStub({ points, jobs = [], indexIs, maxPageLength = 1000, servesAtMost = Infinity, afterPage }) {
  let served = 0;
  const stub = await startStub((req, res) => {
    const url = new URL(req.url, "http://stub");
    const index = Number(url.searchParams.get("index"));
    const pageLength = Number(url.searchParams.get("pageLength"));
    if (pageLength > maxPageLength) {
      return json(res, 400, { errors: { pageLength: [`Must be <= ${maxPageLength}`] }, message: "Input payload validation failed" });
    }
    const items = url.pathname.includes("/snapshots") ? points : jobs;
    const length = Math.min(pageLength, servesAtMost);
    const start = indexIs === "page" ? index * length : index;
    const data = items.slice(start, start + length);
    const path = url.pathname;
    json(res, 200, {
      index,
      isComplete: index + pageLength >= items.length,
      totalNumResults: items.length,
      first: `${path}?index=0&pageLength=${pageLength}`,
      ...(index + pageLength < items.length ? { next: `${path}?index=${index + pageLength}&pageLength=${pageLength}` } : {}),
      data,
    });
    served += 1;
    afterPage?.(served);
  });
  return stub;
}

/** `n` history points with steps 0..n-1, some of them special values. */
export function makePoints(n) {
  return Array.from({ length: n }, (_, step) => ({
    name: "loss",
    value: step % 100 === 7 ? "nan" : step % 100 === 8 ? "inf" : step % 100 === 9 ? "-inf" : step / 3,
    step,
    timestamp: new Date(Date.UTC(2026, 0, 1) + step * 1000).toISOString(),
  }));
}
