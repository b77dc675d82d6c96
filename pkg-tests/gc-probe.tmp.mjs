import { DioptraClient, wasmMemoryBytes } from "dioptra-metrics";
const client = new DioptraClient("http://127.0.0.1:9");
let collected = 0;
const probe = new FinalizationRegistry(() => collected++);
const settle = async () => { for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); } };
for (let round = 0; round < 4; round++) {
  let loggers = [];
  for (let i = 0; i < 10000; i++) { const l = client.jobs.createLogger(1); probe.register(l, i); loggers.push(l); }
  loggers = null;
  await settle();
  console.log(round, wasmMemoryBytes(), collected);
}
