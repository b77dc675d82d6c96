// The browser storage of a logger's journal (issue 9): the same bytes as the Node journal
// file (src/core/journal), kept in IndexedDB as chunks: one record per append, keyed
// [journal key, byte offset of the chunk], so an append is one `put`, reading the journal is
// one range read, and so is reading it back from an offset (points past maxQueue).
// IndexedDB is asynchronous: `log()` returns before its append commits (a few ms later);
// `pending` counts the appends not yet committed. Each journal key is
// "<API base URL> job <id>": a page on the same origin that creates a logger for that job
// finds it.

import { DioptraValidationError } from "./errors.js";

const STORE = "journal";
/** The IndexedDB database of `journal: "indexeddb"`. */
const DEFAULT_DATABASE = "dioptra-metrics";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("the IndexedDB transaction was aborted"));
  });
}

function openDatabase(name) {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE);
  return request(req);
}

const range = (key) => IDBKeyRange.bound([key, 0], [key, Infinity]);

/**
 * Opens the journal `key` in the IndexedDB database `name`; resolves to its storage, with
 * the journal's bytes as they were. `onWriteError(err)` hears of an append or rewrite that
 * failed (it happens after `log()` returned).
 */
async function openIdbJournal(name, key, onWriteError) {
  if (typeof indexedDB === "undefined") throw new Error("this runtime has no IndexedDB");
  const db = await openDatabase(name);
  const tx = db.transaction(STORE, "readonly");
  const store = tx.objectStore(STORE);
  const [chunks, keys] = await Promise.all([request(store.getAll(range(key))), request(store.getAllKeys(range(key)))]);
  const size = chunks.reduce((sum, c) => sum + c.byteLength, 0);
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(new Uint8Array(chunk), at);
    at += chunk.byteLength;
  }
  // Chunks are keyed by the byte offset where they start, so reading from an offset (points
  // kept on disk only, read back as the logger's queue drains) is one range read.
  let next = size;
  let pending = 0;
  let idle = Promise.resolve();

  const write = (work) => {
    const t = db.transaction(STORE, "readwrite");
    work(t.objectStore(STORE));
    pending += 1;
    const done = committed(t).then(
      () => {
        pending -= 1;
      },
      (err) => {
        pending -= 1;
        onWriteError(err);
      },
    );
    idle = Promise.all([idle, done]);
  };

  return {
    path: `indexeddb:${name}/${key}`,
    bytes,
    /** Appends not yet committed. */
    get pending() {
      return pending;
    },
    /** Resolves once every write so far has committed (or failed). */
    settled: () => idle,
    append(chunk) {
      if (chunk.length === 0) return;
      const at = next;
      next += chunk.length;
      write((s) => s.put(chunk.slice(), [key, at]));
    },
    /**
     * Resolves to up to `length` committed bytes of the journal from `offset` (fewer at its
     * end, or where appends have not committed yet).
     */
    async readAsync(offset, length) {
      const store = db.transaction(STORE, "readonly").objectStore(STORE);
      // The chunk holding `offset`: the last one starting at or before it.
      const first = await request(store.openCursor(IDBKeyRange.bound([key, 0], [key, offset]), "prev"));
      const start = first === null ? offset : first.key[1];
      const out = new Uint8Array(length);
      let filled = 0;
      await new Promise((resolve, reject) => {
        const cursor = store.openCursor(IDBKeyRange.bound([key, start], [key, Infinity]));
        let expected = start;
        cursor.onerror = () => reject(cursor.error);
        cursor.onsuccess = () => {
          const c = cursor.result;
          // Stop at the end, or at a gap (an append not committed yet).
          if (c === null || c.key[1] !== expected || filled >= length) return resolve();
          const chunk = new Uint8Array(c.value);
          expected += chunk.length;
          const from = Math.max(0, offset - c.key[1]);
          const take = chunk.subarray(from, from + (length - filled));
          out.set(take, filled);
          filled += take.length;
          c.continue();
        };
      });
      return out.subarray(0, filled);
    },
    rewrite(content) {
      next = content.length;
      write((s) => {
        s.delete(range(key));
        s.put(content.slice(), [key, 0]);
      });
    },
    moveAside(reason) {
      const aside = `${key} corrupt-${new Date().toISOString()}`;
      const copy = bytes.slice();
      next = 0;
      write((s) => {
        s.delete(range(key));
        s.put(copy, [aside, 0]);
        s.put(new TextEncoder().encode(String(reason)), [`${aside}.txt`, 0]);
      });
      return `indexeddb:${name}/${aside}`;
    },
    remove() {
      write((s) => s.delete(range(key)));
      idle.then(() => db.close());
    },
    close() {
      idle.then(() => db.close());
    },
  };
}

/** The journal keys (`"<API base URL> job <id>"`) held in the IndexedDB database `name`. */
async function listIdbJournals(name) {
  const db = await openDatabase(name);
  try {
    const keys = await request(db.transaction(STORE, "readonly").objectStore(STORE).getAllKeys());
    return [...new Set(keys.map((k) => k[0]))];
  } finally {
    db.close();
  }
}

// One writer per journal across the tabs of an origin: a Web Lock (`navigator.locks`) named
// after the journal, held by the logger that writes it from when it opens the journal until
// it is closed (or its page is gone: the browser then releases it). Where the Web Locks API
// is missing, there is no lock between tabs.

/** The Web Lock of the journal `key` in the database `name`. */
function tabLockName(name, key) {
  return `dioptra-metrics journal ${name}/${key}`;
}

/**
 * Takes the Web Lock `lockName` if no other tab (or logger) holds it: resolves to
 * `{ release() }`, or null when it is held. Without the Web Locks API: a lock that locks nothing.
 */
function holdTabLock(lockName) {
  const locks = globalThis.navigator?.locks;
  if (typeof locks?.request !== "function") return Promise.resolve({ release() {} });
  return new Promise((resolve, reject) => {
    locks
      .request(lockName, { ifAvailable: true }, (lock) => {
        if (lock === null) return resolve(null);
        // Held until release() settles this promise.
        return new Promise((release) => resolve({ release }));
      })
      .catch(reject);
  });
}

/** The names of the Web Locks held now in this origin (empty without the Web Locks API). */
async function heldTabLocks() {
  const locks = globalThis.navigator?.locks;
  if (typeof locks?.query !== "function") return new Set();
  const { held = [] } = await locks.query();
  return new Set(held.map((lock) => lock.name));
}

/**
 * `replayJournals(client, options)`: sends every journal that closed tabs of this origin left
 * in IndexedDB (every job at the client's address), each once, and removes it; the journal
 * of a logger alive in another tab is left to it. `options`: logger options, and `indexedDB`
 * (the database name, default "dioptra-metrics"). Resolves to one entry per journal found:
 * `{ jobId, baseUrl, sent, failed, left, skipped }`, `skipped` being null, "locked" (a live
 * tab writes it) or "other-address" (it is for another API than the client's).
 */
async function replayIdbJournals(client, options, makeClient) {
  if (typeof indexedDB === "undefined") {
    throw new DioptraValidationError(
      "replayJournals() sends the IndexedDB journals of a browser; this runtime has no IndexedDB (in Node, use replayJournal(client, path))",
      { field: "indexedDB" },
    );
  }
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new DioptraValidationError("replayJournals options must be an object", { field: "options" });
  }
  const { indexedDB: database = DEFAULT_DATABASE, onError, ...loggerOptions } = options ?? {};
  if ("journal" in loggerOptions) {
    throw new DioptraValidationError("replayJournals takes no journal option (give indexedDB: the database name)", {
      field: "journal",
    });
  }
  const sender = client ?? makeClient();
  const results = [];
  const held = await heldTabLocks();
  for (const key of await listIdbJournals(database)) {
    const parsed = /^(.*) job (\d+)$/.exec(key);
    if (parsed === null) continue; // A journal moved aside, or its reason.
    const [, baseUrl, id] = parsed;
    const entry = { jobId: Number(id), baseUrl, sent: 0, failed: 0, left: 0, skipped: null };
    results.push(entry);
    if (baseUrl !== sender.baseUrl) entry.skipped = "other-address";
    else if (held.has(tabLockName(database, key))) entry.skipped = "locked";
    if (entry.skipped !== null) continue;
    const logger = sender.jobs.createLogger(entry.jobId, {
      ...loggerOptions,
      journal: { indexedDB: database },
      onError: (err, info) => {
        // Taken by a tab meanwhile: that tab sends it.
        if (err?.code === "EJOURNALLOCKED") entry.skipped = "locked";
        else if (typeof onError === "function") onError(err, info);
      },
    });
    try {
      await logger.close();
    } catch {
      // What was given up on is counted in `failed`; what was not stored stays journaled.
    }
    const { sent, failed, journaled } = logger.stats;
    Object.assign(entry, { sent, failed, left: journaled ?? 0 });
  }
  return results;
}

export { DEFAULT_DATABASE, openIdbJournal, holdTabLock, tabLockName, replayIdbJournals };
