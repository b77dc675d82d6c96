// Measures the journal (issue 9) in Node: bytes per journaled point, the cost of journaling a
// point (encode in wasm + append) in each sync mode, binary vs JSON lines, and the file's size
// over 100,000 points logged then acknowledged, with compaction (measureJournalProtocol, shared
// with the bench's "journal" section). Not a test: figures only.
// Needs `node scripts/build.mjs` first. Usage: node bench/journal-measure.mjs [points]
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { measureJournalProtocol } from "./journal.mjs";

const require = createRequire(import.meta.url);
// The journal's Node storage as the package ships it (CommonJS; dist/node.cjs requires it on first use).
const { openJournalFile } = require("../dist/journal-file.cjs");
const { WasmJournal } = require(fileURLToPath(new URL("../dist/wasm/dioptra_metrics.cjs", import.meta.url)));

const N = Number(process.argv[2] ?? 20000);
const BASE = "http://127.0.0.1:5000/api/v1";
const dir = mkdtempSync(join(tmpdir(), "journal-measure-"));
const now = () => performance.now();
const fmt = (x, digits = 2) => x.toFixed(digits);

// A JSON line as exact as the binary record: value and non-integral timestamps as f64 bits.
const f64Hex = (x) => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, "0");
};
const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
const crc32 = (bytes) => {
  let c = -1;
  for (let i = 0; i < bytes.length; i += 1) c = CRC[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
};
const encoder = new TextEncoder();
const jsonLine = (seq, name, value, step, timestamp) => {
  const body = JSON.stringify({ s: seq, n: name, v: f64Hex(value), st: step, t: timestamp });
  return encoder.encode(`${crc32(encoder.encode(body)).toString(16).padStart(8, "0")} ${body}\n`);
};

console.log(`journal measurements, ${N} points, Node ${process.version}`);

// 1. Bytes per point, binary vs JSON lines, and encode cost (no file).
{
  const journal = WasmJournal.open(new Uint8Array(0), 7, BASE);
  journal.takeRewrite();
  const t0 = Date.now();
  const binaryChunks = [journal.compact()];
  const jsonChunks = [];
  let start = now();
  for (let i = 0; i < N; i += 1) {
    journal.log("loss", Math.random(), i, t0 + Math.floor(i / 10));
    binaryChunks.push(journal.takeBytes());
  }
  const binaryUs = ((now() - start) * 1000) / N;
  start = now();
  for (let i = 0; i < N; i += 1) jsonChunks.push(jsonLine(i + 1, "loss", Math.random(), i, t0 + Math.floor(i / 10)));
  const jsonUs = ((now() - start) * 1000) / N;
  const binaryFile = Buffer.concat(binaryChunks);
  const jsonFile = Buffer.concat(jsonChunks);
  start = now();
  const replayed = WasmJournal.open(binaryFile, 7, BASE);
  const binaryReadUs = ((now() - start) * 1000) / N;
  start = now();
  let parsed = 0;
  for (const line of jsonFile.toString("utf8").split("\n")) {
    if (line === "") continue;
    const body = line.slice(9);
    if (crc32(encoder.encode(body)) !== parseInt(line.slice(0, 8), 16)) throw new Error("crc");
    const p = JSON.parse(body);
    new DataView(new ArrayBuffer(8)).setBigUint64(0, BigInt(`0x${p.v}`));
    parsed += 1;
  }
  const jsonReadUs = ((now() - start) * 1000) / N;
  if (replayed.length !== N || parsed !== N) throw new Error("replay lost points");
  console.log(`\nper point ("loss", step i, client timestamp, random value):`);
  console.log(`  binary (wasm encode + take):  ${fmt((binaryFile.length - binaryChunks[0].length) / N)} B/point  encode ${fmt(binaryUs, 3)} us/point  replay ${fmt(binaryReadUs, 3)} us/point`);
  console.log(`  JSON line + CRC (JS):         ${fmt(jsonFile.length / N)} B/point  encode ${fmt(jsonUs, 3)} us/point  parse ${fmt(jsonReadUs, 3)} us/point`);
  let acks = 0;
  for (let seq = 1; seq <= 1000; seq += 1) {
    journal.ack([seq]);
    acks += journal.takeBytes().length;
  }
  journal.ack(Array.from({ length: 100 }, (_, k) => 2000 + k));
  const batch = journal.takeBytes().length;
  console.log(`  an acknowledgement record: ${fmt(acks / 1000)} B for one seq, ${batch} B for 100 consecutive seqs`);
}

// 2. Journal a point: encode + append, per sync mode; `log()` of one point per call.
console.log(`\njournal one point per log() call (encode + append), per sync mode:`);
for (const [sync, count] of [["none", N], ["interval", N], ["always", Math.min(N, 2000)]]) {
  const file = openJournalFile(join(dir, `${sync}.journal`), { sync });
  const journal = WasmJournal.open(file.bytes, 7, BASE);
  file.rewrite(journal.takeRewrite());
  const t0 = Date.now();
  const start = now();
  for (let i = 0; i < count; i += 1) {
    journal.log("loss", i / 7, i, t0 + i);
    file.append(journal.takeBytes());
  }
  const us = ((now() - start) * 1000) / count;
  console.log(`  sync "${sync}":`.padEnd(20) + `${fmt(us, 2)} us/point  (${count} points, ${file.size} B)`);
  file.remove();
}

// 3. 100,000 points logged then acknowledged (one ack record per point, as a logger with no
// batching would write), compacting when the journal says so: shared with `npm run bench`
// (section "journal", bench/journal.mjs).
{
  const r = measureJournalProtocol({ total: 100_000, inFlight: 4, dir, baseUrl: BASE });
  console.log(`\n${r.total} points logged then acknowledged (sync "none", ${r.inFlight} in flight, one ack record each):`);
  console.log(`  largest file: ${r.maxSize} B (${fmt(r.maxSize / 1024, 1)} KiB); at the end: ${r.endSize} B, ${r.held} points held`);
  console.log(`  compactions: ${r.compactions}; log + ack + compaction: ${fmt(r.usPerPoint, 2)} us/point`);
}

rmSync(dir, { recursive: true, force: true });
