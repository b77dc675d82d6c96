// The CommonJS flavour of run.mjs (Node's `require`).
const { DioptraClient } = require("dioptra-metrics");

const { address, username, password, job, name } = JSON.parse(process.env.MATRIX_CONFIG);
(async () => {
  const client = new DioptraClient(address);
  await client.auth.login(username, password);
  await client.jobs.appendMetricById(job, name, NaN, { step: 1 });
  const history = await client.jobs.getMetricHistory(job, name);
  console.log(JSON.stringify({ baseUrl: client.baseUrl, values: history.map((p) => String(p.value)) }));
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
