// The page of the packaging matrix: a new user's first app, bundled by each tool with its
// defaults. It reads the account, job and metric name from its query string, logs in, appends
// NaN, reads the history back, and leaves the outcome in window.__result.
import { DioptraClient } from "dioptra-metrics";

async function run() {
  const q = new URLSearchParams(location.search);
  const client = new DioptraClient();
  await client.auth.login(q.get("u"), q.get("p"));
  const job = Number(q.get("job"));
  await client.jobs.appendMetricById(job, q.get("name"), NaN, { step: 1 });
  const history = await client.jobs.getMetricHistory(job, q.get("name"));
  return { baseUrl: client.baseUrl, values: history.map((p) => String(p.value)) };
}

run().then(
  (result) => (window.__result = result),
  (err) => (window.__result = { error: `${err?.name}: ${err?.message}` }),
);
