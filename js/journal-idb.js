// The browser storage of a logger's journal (issue 9): the same bytes as the Node journal
// file (src/core/journal), kept in IndexedDB as chunks: one record per append, keyed
// [journal key, n], so an append is one `put` and reading the journal is one range read.
// IndexedDB is asynchronous: `log()` returns before its append commits (a few ms later);
// `pending` counts the appends not yet committed. Each journal key is
// "<API base URL> job <id>": a page on the same origin that creates a logger for that job
// finds it.

const STORE = "journal";

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
  let next = keys.length ? keys[keys.length - 1][1] + 1 : 0;
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
      const n = next;
      next += 1;
      write((s) => s.put(chunk.slice(), [key, n]));
    },
    rewrite(content) {
      next = 1;
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

export { openIdbJournal };
