// The journal's Node storage (dist/journal-file.cjs, as the package ships it), with the journal format
// of the wasm (WasmJournal): one writer per journal (a lock file naming the owner's pid; a dead
// owner's lock is taken over), appends that survive a SIGKILL once they returned, torn last
// records skipped, atomic rewrites. Needs no Dioptra server.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";


const require = createRequire(import.meta.url);
const cjsPath = fileURLToPath(new URL("../dist/journal-file.cjs", import.meta.url));
const { openJournalFile } = require(cjsPath);
const wasmPath = fileURLToPath(new URL("../dist/wasm/dioptra_metrics.cjs", import.meta.url));
const { WasmJournal } = require(wasmPath);
const BASE = "http://127.0.0.1:5000/api/v1";

let root;
before(() => {
  root = mkdtempSync(join(tmpdir(), "dioptra-journal-"));
});
after(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
/** A fresh directory for one test. */
const freshDir = () => {
  dirs += 1;
  return join(root, `t${dirs}`);
};

/**
 * A child Node process running `body` (CommonJS; `openJournalFile`, `WasmJournal`, `say(line)`
 * and `lines` (an async iterator of stdin lines) in scope), with its stdout as lines.
 */
function child(body) {
  const code = `
    const { openJournalFile } = require(${JSON.stringify(cjsPath)});
    const { WasmJournal } = require(${JSON.stringify(wasmPath)});
    const say = (line) => require("node:fs").writeSync(1, line + "\\n");
    const lines = require("node:readline").createInterface({ input: process.stdin })[Symbol.asyncIterator]();
    (async () => { ${body} })().then(() => process.exit(0), (e) => { say("error " + e.code + " " + e.message); process.exit(3); });
  `;
  const proc = spawn(process.execPath, ["-e", code], { stdio: ["pipe", "pipe", "inherit"] });
  const out = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async () => (await out.next()).value;
  return { proc, next, exited: once(proc, "exit") };
}

/** A pid that no process has now: a child's that has exited. */
async function deadPid() {
  const proc = spawn(process.execPath, ["-e", "0"]);
  await once(proc, "exit");
  return proc.pid;
}

describe("one writer per journal", () => {
  it("a second opener in the same process is refused, naming this process; after close() it opens", () => {
    const dir = freshDir();
    const first = openJournalFile(`${dir}/`, { name: "job-7.journal" });
    assert.equal(first.path, join(dir, "job-7.journal"));
    assert.throws(
      () => openJournalFile(join(dir, "job-7.journal")),
      (e) => e.code === "EJOURNALLOCKED" && e.pid === process.pid && /this process/.test(e.message),
    );
    first.close();
    assert.equal(existsSync(first.lockPath), false, "close() removes the lock file");
    const again = openJournalFile(join(dir, "job-7.journal"));
    again.close();
  });

  it("a second process is refused with the owner's pid, and the owner is refused while the other holds it", async () => {
    const file = join(freshDir(), "shared.journal");
    const owner = child(`
      const j = openJournalFile(${JSON.stringify(file)});
      say("holding " + process.pid);
      await lines.next();
      j.close();
      say("closed");
    `);
    assert.equal(await owner.next(), `holding ${owner.proc.pid}`);
    assert.throws(
      () => openJournalFile(file),
      (e) =>
        e.code === "EJOURNALLOCKED" &&
        e.pid === owner.proc.pid &&
        e.message.includes(String(owner.proc.pid)) &&
        e.message.includes(file),
    );
    owner.proc.stdin.write("close\n");
    assert.equal(await owner.next(), "closed");
    await owner.exited;

    const mine = openJournalFile(file);
    const other = child(`openJournalFile(${JSON.stringify(file)}); say("opened");`);
    assert.equal(await other.next(), `error EJOURNALLOCKED ${lockedMessage(file, process.pid)}`);
    await other.exited;
    mine.close();
  });

  it("a lock left by a dead process, or naming this pid but not held by it, or unreadable, is taken over", async () => {
    const dir = freshDir();
    mkdirSync(dir);
    const file = join(dir, "stale.journal");
    const lock = `${file}.lock`;
    const stale = [`${await deadPid()}\n${hostname()}\n`, `${process.pid}\n${hostname()}\n`, "garbage"];
    for (const content of stale) {
      writeFileSync(lock, content);
      const j = openJournalFile(file);
      assert.equal(readFileSync(lock, "utf8"), `${process.pid}\n${hostname()}\n`, `after a lock of ${JSON.stringify(content)}`);
      j.close();
      assert.equal(existsSync(lock), false);
    }
    assert.deepEqual(readdirSync(join(file, "..")), [], "no temp or stale lock files are left");
  });

  it("a lock from another host is not taken over (its process cannot be checked)", () => {
    const file = join(freshDir(), "remote.journal");
    openJournalFile(file).close();
    writeFileSync(`${file}.lock`, `${process.pid}\nsome-other-host\n`);
    assert.throws(
      () => openJournalFile(file),
      (e) => e.code === "EJOURNALLOCKED" && /on host some-other-host/.test(e.message),
    );
  });
});

/** The message a second opener gets while process `pid` (another one) holds `file`. */
function lockedMessage(file, pid) {
  return (
    `the journal ${file} is in use by process ${pid}, which is running; one journal has one writer ` +
    `(if that process does not use it, delete ${file}.lock)`
  );
}

describe("appends, torn records, rewrites", () => {
  for (const sync of ["none", "interval", "always"]) {
    it(`sync "${sync}": every point whose append returned survives a SIGKILL, and a torn last record is skipped`, async () => {
      const file = join(freshDir(), "killed.journal");
      const writer = child(`
        const file = openJournalFile(${JSON.stringify(file)}, { sync: ${JSON.stringify(sync)}, syncIntervalMs: 5 });
        const journal = WasmJournal.open(file.bytes, 7, ${JSON.stringify(BASE)});
        file.rewrite(journal.takeRewrite());
        for (let i = 0; ; i += 1) {
          const seq = journal.log("loss", i / 3, i, 1764000000000 + i);
          file.append(journal.takeBytes());
          say(String(seq));
          if (i % 7 === 6) {
            // Acknowledge the point logged 5 before (it may have been overwritten: no).
            journal.ack([seq - 5]);
            file.append(journal.takeBytes());
            say("ack " + (seq - 5));
          }
        }
      `);
      const logged = [];
      const acked = new Set();
      const stopAfter = 200 + Math.floor(Math.random() * 300);
      while (logged.length < stopAfter) {
        const line = await writer.next();
        if (line.startsWith("ack ")) acked.add(Number(line.slice(4)));
        else logged.push(Number(line));
      }
      writer.proc.kill("SIGKILL");
      await writer.exited;

      // The writer acknowledges seq - 5 after logging each seq = 7k: an acknowledgement of a
      // seq = 7k + 2 may have been appended and not yet reported (or its 7k not yet read here)
      // when the kill came.
      const maybeAcked = new Set(logged.filter((seq) => seq % 7 === 2));
      const file2 = openJournalFile(file);
      const journal = WasmJournal.open(file2.bytes, 7, BASE);
      const held = new Set(journal.points().map((p) => p.seq));
      for (const seq of logged) {
        if (acked.has(seq)) assert.ok(!held.has(seq), `seq ${seq} was acknowledged but is back`);
        else if (!maybeAcked.has(seq)) assert.ok(held.has(seq), `seq ${seq} was appended before the kill but is not in the journal`);
      }
      assert.ok(journal.length >= logged.length - acked.size - maybeAcked.size);
      for (const point of journal.points()) {
        assert.deepEqual(
          [point.name, point.value, point.timestamp, point.seq],
          ["loss", point.step / 3, 1764000000000 + point.step, point.step + 1],
        );
      }

      // A torn last record (a write cut short): skipped, reported, and gone after the rewrite.
      file2.rewrite(journal.takeRewrite());
      journal.log("loss", 1, 1e6, undefined);
      file2.append(journal.takeBytes());
      file2.close();
      truncateSync(file, file2.size - 5);
      const file3 = openJournalFile(file);
      const torn = WasmJournal.open(file3.bytes, 7, BASE);
      assert.ok(torn.torn !== undefined && torn.torn.bytes > 0, "the torn record is reported");
      assert.equal(torn.length, journal.length - 1);
      file3.rewrite(torn.takeRewrite());
      file3.close();
      const clean = WasmJournal.open(new Uint8Array(readFileSync(file)), 7, BASE);
      assert.equal(clean.torn, undefined);
      assert.deepEqual(clean.points(), torn.points());
    });
  }

  it("a process killed during rewrites leaves the old content or the new one, never a mix; the next opener clears its temp file", async () => {
    const file = join(freshDir(), "rewritten.journal");
    const a = Buffer.alloc(3 << 20, 0xaa);
    const b = Buffer.alloc(2 << 20, 0xbb);
    for (let round = 0; round < 4; round += 1) {
      const writer = child(`
        const j = openJournalFile(${JSON.stringify(file)}, { sync: "none" });
        const a = Buffer.alloc(${a.length}, 0xaa);
        const b = Buffer.alloc(${b.length}, 0xbb);
        j.rewrite(a);
        say("go");
        for (let i = 0; ; i += 1) j.rewrite(i % 2 ? a : b);
      `);
      assert.equal(await writer.next(), "go");
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 60)));
      writer.proc.kill("SIGKILL");
      await writer.exited;
      const content = readFileSync(file);
      assert.ok(content.equals(a) || content.equals(b), `round ${round}: ${content.length} bytes, neither old nor new`);
    }
    const j = openJournalFile(file);
    assert.deepEqual(readdirSync(join(file, "..")).sort(), ["rewritten.journal", "rewritten.journal.lock"]);
    j.close();
  });

  it("size follows appends and rewrites; moveAside keeps the bytes and the reason; remove and close", () => {
    const dir = freshDir();
    const j = openJournalFile(dir + "/", { sync: "always" });
    assert.equal(j.path, join(dir, "dioptra-metrics.journal"));
    assert.equal(j.size, 0);
    assert.equal(j.bytes.length, 0);
    j.append(new Uint8Array([1, 2, 3]));
    j.append(new Uint8Array(0));
    j.append(new Uint8Array([4]));
    assert.equal(j.size, 4);
    assert.deepEqual([...readFileSync(j.path)], [1, 2, 3, 4]);
    j.rewrite(new Uint8Array([9, 9]));
    j.append(new Uint8Array([5]));
    assert.equal(j.size, 3);
    assert.equal(statSync(j.path).size, 3);
    assert.deepEqual([...readFileSync(j.path)], [9, 9, 5]);

    const aside = j.moveAside("the journal is damaged at byte 12");
    assert.ok(aside.startsWith(`${j.path}.corrupt-`));
    assert.deepEqual([...readFileSync(aside)], [9, 9, 5]);
    assert.equal(readFileSync(`${aside}.txt`, "utf8"), "the journal is damaged at byte 12\n");
    assert.equal(j.size, 0);
    j.append(new Uint8Array([6]));
    assert.deepEqual([...readFileSync(j.path)], [6]);
    j.close();
    assert.equal(existsSync(j.lockPath), false);
    assert.throws(() => j.append(new Uint8Array([1])), (e) => e.code === "EJOURNALCLOSED");

    const k = openJournalFile(dir);
    assert.deepEqual([...k.bytes], [6], "a reopened journal gives its bytes");
    k.remove();
    assert.equal(existsSync(k.path), false);
    assert.equal(existsSync(k.lockPath), false);
  });

  it("the CommonJS copy is the same module", () => {
    const cjs = require(cjsPath);
    assert.deepEqual(Object.keys(cjs).sort(), ["DEFAULT_NAME", "openJournalFile"]);
    const j = cjs.openJournalFile(join(freshDir(), "cjs.journal"), { sync: "none" });
    j.append(new Uint8Array([7]));
    j.close();
    assert.deepEqual([...readFileSync(j.path)], [7]);
  });

  it("options are checked", () => {
    const dir = freshDir();
    assert.throws(() => openJournalFile(dir, { sync: "sometimes" }), TypeError);
    assert.throws(() => openJournalFile(dir, { syncIntervalMs: -1 }), TypeError);
    assert.throws(() => openJournalFile(dir, { name: "a/b" }), TypeError);
    assert.throws(() => openJournalFile(""), TypeError);
    assert.equal(existsSync(join(dir, "dioptra-metrics.journal.lock")), false, "no lock is taken by a refused call");
  });
});
