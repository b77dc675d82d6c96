// The server-side app of the packaging matrix (Node, Bun, Deno; bundled by esbuild for Node):
// logs in, appends NaN, reads the history back, prints the outcome as JSON. Its settings come
// from the MATRIX_CONFIG environment variable: { address, username, password, job, name }.
import { DioptraClient } from "dioptra-metrics";

const raw = globalThis.Deno ? globalThis.Deno.env.get("MATRIX_CONFIG") : process.env.MATRIX_CONFIG;
const { address, username, password, job, name } = JSON.parse(raw);
const client = new DioptraClient(address);
await client.auth.login(username, password);
await client.jobs.appendMetricById(job, name, NaN, { step: 1 });
const history = await client.jobs.getMetricHistory(job, name);
console.log(JSON.stringify({ baseUrl: client.baseUrl, values: history.map((p) => String(p.value)) }));
