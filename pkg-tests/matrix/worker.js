// The Cloudflare-style worker of the packaging matrix: GET /?config=<json> logs in, appends NaN,
// reads the history back, and answers the outcome as JSON. No nodejs_compat, no `process`.
import { DioptraClient } from "dioptra-metrics";

export default {
  async fetch(request) {
    const { address, username, password, job, name } = JSON.parse(new URL(request.url).searchParams.get("config"));
    try {
      const client = new DioptraClient(address);
      await client.auth.login(username, password);
      await client.jobs.appendMetricById(job, name, NaN, { step: 1 });
      const history = await client.jobs.getMetricHistory(job, name);
      return Response.json({ baseUrl: client.baseUrl, values: history.map((p) => String(p.value)) });
    } catch (err) {
      return Response.json({ error: `${err?.name}: ${err?.message}` });
    }
  },
};
