// Counts the requests this process makes: the package calls the global `fetch` for each of
// its requests, so a wrapper around it sees them all (with their answers' statuses).
const realFetch = globalThis.fetch;
const entries = [];

globalThis.fetch = async function recordingFetch(input, init) {
  const entry = {
    url: typeof input === "string" ? input : String(input?.url ?? input),
    method: String(init?.method ?? input?.method ?? "GET").toUpperCase(),
    status: 0, // 0: no answer (network error, time-out)
  };
  entries.push(entry);
  const res = await realFetch.call(this, input, init);
  entry.status = res.status;
  return res;
};

/** The requests made since this module was loaded: `{ url, method, status }` each. */
export const requestLog = entries;

/** The metric writes (POST .../jobs/{job}/metrics) to `job` made so far, optionally those after `from` entries. */
export function metricWrites(job, from = 0) {
  const tail = `/api/v1/jobs/${job}/metrics`;
  return entries.slice(from).filter((e) => e.method === "POST" && new URL(e.url).pathname === tail);
}
