// A logger's durable journal (issue 9), the JavaScript side: options, the storage's calls in
// the order the protocol of src/core/journal wants them, reports, and `replayJournal`. What
// is journaled and acknowledged is decided in Rust (src/wasm/logger/journal.rs); the storage
// is the runtime's (js/journal-file.js in Node, handed in by the Node entry: this module
// imports no node: module, so the browser entry can load it).
import { DioptraError, DioptraValidationError, toError } from "./errors.js";
import { DEFAULT_DATABASE, holdTabLock, openIdbJournal, tabLockName } from "./journal-idb.js";

const JOURNAL_KEYS = ["path", "sync", "syncIntervalMs"];
const SYNC_MODES = ["none", "interval", "always"];
/** Bytes read at a time when points kept on disk only are read back. */
const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Checks the logger's `journal` option: a path (a file, or a directory that gets the file
 * "dioptra-metrics.journal"), or `{ path, sync, syncIntervalMs }`; or "indexeddb", or
 * `{ indexedDB: "database name" }` (browsers).
 * @returns {{ path: string, sync?: string, syncIntervalMs?: number } | { indexedDB: string }}
 */
function journalOptions(journal) {
  if (journal === "indexeddb") return { indexedDB: DEFAULT_DATABASE };
  if (typeof journal === "object" && journal !== null && "indexedDB" in journal) {
    const extra = Object.keys(journal).find((k) => k !== "indexedDB");
    if (extra !== undefined || typeof journal.indexedDB !== "string" || journal.indexedDB === "") {
      throw new DioptraValidationError(`journal must be { indexedDB: "database name" } and nothing else`, {
        field: "journal.indexedDB",
      });
    }
    return { indexedDB: journal.indexedDB };
  }
  const spec = typeof journal === "string" ? { path: journal } : journal;
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new DioptraValidationError(
      `journal must be a file or directory path, or { path, sync, syncIntervalMs }, not ${typeof journal}`,
      { field: "journal" },
    );
  }
  for (const key of Object.keys(spec)) {
    if (!JOURNAL_KEYS.includes(key)) {
      throw new DioptraValidationError(
        `unknown option ${JSON.stringify(key)} in journal (known: ${JOURNAL_KEYS.join(", ")})`,
        { field: `journal.${key}` },
      );
    }
  }
  if (typeof spec.path !== "string" || spec.path === "") {
    throw new DioptraValidationError("journal.path must be a file or directory path (a non-empty string)", {
      field: "journal.path",
    });
  }
  if (spec.sync !== undefined && !SYNC_MODES.includes(spec.sync)) {
    throw new DioptraValidationError(`journal.sync must be "none", "interval" or "always", not ${JSON.stringify(spec.sync)}`, {
      field: "journal.sync",
    });
  }
  const ms = spec.syncIntervalMs;
  if (ms !== undefined && !(typeof ms === "number" && ms >= 0 && Number.isFinite(ms))) {
    throw new DioptraValidationError(`journal.syncIntervalMs must be a finite number of ms from 0 up, not ${String(ms)}`, {
      field: "journal.syncIntervalMs",
    });
  }
  return { path: spec.path, sync: spec.sync, syncIntervalMs: spec.syncIntervalMs };
}

/** A report about a journal (moved aside, torn tail, a failed write): a `DioptraError` with `code`, `path`. */
function journalReport(message, fields) {
  return Object.assign(new DioptraError(message), fields);
}

/** The storage for `spec` (its lock taken), or the refusal as a typed error. */
function openStorage(openFile, spec) {
  if (typeof openFile !== "function") {
    throw new DioptraValidationError(
      "journal files need Node (node:fs): this runtime has no journal storage",
      { field: "journal" },
    );
  }
  try {
    return openFile(spec.path, { sync: spec.sync, syncIntervalMs: spec.syncIntervalMs });
  } catch (err) {
    if (err?.code === "EJOURNALLOCKED") {
      throw Object.assign(new DioptraValidationError(err.message, { field: "journal" }), {
        code: err.code,
        pid: err.pid,
        lockPath: err.lockPath,
        path: err.path,
      });
    }
    throw err;
  }
}

/**
 * The journal of one logger: `open()` replays it into the wasm logger's queue; `append()`
 * after each `log()`, `sync()` after each request, `close()` once the logger is closed.
 */
class LoggerJournal {
  #wasm;
  #file;
  #report;
  #closed = false;
  #deferred = null;
  #readBroken = false;
  #reading = false;
  #readChunk = READ_CHUNK_BYTES;
  /** Called after points were read back asynchronously (the logger pumps). */
  onRefill = null;
  /** The Web Lock of an IndexedDB journal (one writer across tabs), held until close. */
  #lock = null;
  /** Resolves once the journal is read (at once for a file). */
  ready = Promise.resolve();

  constructor(wasm, file, report) {
    this.#wasm = wasm;
    this.#file = file;
    this.#report = report;
  }

  /**
   * Opens the journal of `options.journal` for the wasm logger `wasm` (its job and address)
   * and queues what it holds. `report(error, info)` hears of a torn tail and of a damaged
   * journal moved aside. Throws a DioptraValidationError (field "journal") for a journal
   * locked by another writer, or written for another job or address, or by another format.
   */
  static open(wasm, journal, openFile, report) {
    const spec = journalOptions(journal);
    if (spec.indexedDB !== undefined) return LoggerJournal.#openIndexedDb(wasm, spec.indexedDB, report);
    const file = openStorage(openFile, spec);
    const opened = LoggerJournal.#attach(wasm, file, report);
    return { journal: new LoggerJournal(wasm, file, report), ...opened };
  }

  /** Reads `file`'s journal into the wasm logger (the protocol of src/core/journal). */
  static #attach(wasm, file, report) {
    // A storage that can read back keeps the points past maxQueue on disk only.
    const canSpill = typeof file.read === "function" || typeof file.readAsync === "function";
    try {
      let opened;
      try {
        opened = wasm.openJournal(file.bytes, canSpill);
      } catch (raw) {
        if (raw?.code !== "EJOURNALCORRUPT") throw raw;
        const movedTo = file.moveAside(raw.message);
        report(
          journalReport(
            `dioptra-metrics: the journal ${file.path} is damaged and was moved aside to ${movedTo} (its points were not sent): ${raw.message}`,
            { code: raw.code, path: file.path, movedTo, unsent: raw.unsentBefore ?? null },
          ),
          { journal: file.path, movedTo },
        );
        opened = wasm.openJournal(new Uint8Array(0), canSpill);
      }
      file.rewrite(opened.rewrite);
      if (opened.torn) {
        report(
          journalReport(
            `dioptra-metrics: the journal ${file.path} ended in a torn record (${opened.torn.bytes} byte(s) at ${opened.torn.offset}, ` +
              "a write cut short by a crash): it was skipped, the points before it are sent",
            { code: "EJOURNALTORN", path: file.path, offset: opened.torn.offset, bytes: opened.torn.bytes },
          ),
          { journal: file.path },
        );
      }
      return { replayed: opened.replayed, left: opened.left };
    } catch (raw) {
      file.close();
      if (raw?.code === "EJOURNALOTHERJOB" || raw?.code === "EJOURNALVERSION") {
        throw Object.assign(
          new DioptraValidationError(`journal ${file.path}: ${raw.message}`, { field: "journal" }),
          { code: raw.code, path: file.path, jobId: raw.jobId ?? null, baseUrl: raw.baseUrl ?? null },
        );
      }
      throw raw;
    }
  }

  /**
   * `journal: "indexeddb"`: the journal is read asynchronously. Until it is (`ready`), log()
   * calls are checked and deferred (`defer()`), then logged in order after the replayed
   * points, so that what the dead page logged goes first and automatic steps go on above it.
   */
  static #openIndexedDb(wasm, database, report) {
    if (typeof indexedDB === "undefined") {
      throw new DioptraValidationError('journal: "indexeddb" needs IndexedDB (a browser); in Node, give a file path', {
        field: "journal",
      });
    }
    const key = `${wasm.baseUrl} job ${wasm.jobId}`;
    const journal = new LoggerJournal(wasm, null, report);
    journal.#deferred = [];
    const writeFailed = (err) =>
      report(journalReport(`dioptra-metrics: the IndexedDB journal could not be written: ${err?.message ?? err}`, {
        code: "EJOURNALWRITE",
        cause: err,
      }), { journal: `indexeddb:${database}/${key}` });
    const lockName = tabLockName(database, key);
    journal.ready = holdTabLock(lockName)
      .then((lock) => {
        if (lock === null) {
          throw Object.assign(
            new DioptraValidationError(
              `the journal indexeddb:${database}/${key} is in use by a logger in another tab or window of this origin ` +
                "(one journal has one writer; it is free once that logger is closed or its page is gone)",
              { field: "journal" },
            ),
            { code: "EJOURNALLOCKED", lockName },
          );
        }
        journal.#lock = lock;
        return openIdbJournal(database, key, writeFailed);
      })
      .then((storage) => {
        LoggerJournal.#attach(wasm, storage, report);
        journal.#file = storage;
      })
      .catch((err) => {
        journal.#lock?.release();
        journal.#lock = null;
        report(
          journalReport(`dioptra-metrics: the IndexedDB journal could not be opened; points are not journaled: ${err?.message ?? err}`, {
            code: err?.code ?? "EJOURNALOPEN",
            cause: err,
          }),
          { journal: `indexeddb:${database}/${key}` },
        );
      })
      .then(() => {
        const deferred = journal.#deferred;
        journal.#deferred = null;
        for (const { metrics, step, timestamp } of deferred) {
          try {
            wasm.log(metrics, { step, timestamp });
            journal.append();
          } catch (err) {
            report(toError(err), { journal: journal.path });
          }
        }
      });
    return { journal, replayed: 0, left: 0 };
  }

  /** The journal storage's name (a file path, or "indexeddb:<database>/<key>"). */
  get path() {
    return this.#file?.path ?? null;
  }

  /** Whether the journal is still being read (IndexedDB): log() calls are deferred meanwhile. */
  get loading() {
    return this.#deferred !== null;
  }

  /** Appends not yet committed (IndexedDB; always 0 for a file, whose appends are synchronous). */
  get pending() {
    return this.#file?.pending ?? 0;
  }

  /** A `log()` while the journal is read: checked now, logged once it is read. */
  defer(metrics, options) {
    let timestamp;
    try {
      timestamp = this.#wasm.checkLog(metrics, options);
    } catch (raw) {
      throw toError(raw);
    }
    this.#deferred.push({ metrics: { ...metrics }, step: options?.step, timestamp });
  }

  /** After `log()`: its points are in the OS (or on disk) when this returns; throws if they are not. */
  append() {
    if (this.#closed || this.#file === null) return;
    try {
      this.#file.append(this.#wasm.takeJournalBytes());
    } catch (err) {
      throw journalReport(
        `the point(s) were queued but could not be journaled (${this.#file.path}): ${err?.message ?? err}`,
        { code: "EJOURNALWRITE", path: this.#file.path, cause: err },
      );
    }
  }

  /**
   * Points kept on disk only (the queue was full): reads them back, in order, while the
   * queue has room (a file synchronously; IndexedDB one read at a time, then `onRefill()`).
   */
  refill() {
    const file = this.#file;
    if (this.#closed || this.#readBroken || file === null) return;
    if (typeof file.readAsync === "function") return this.#refillAsync(file);
    if (typeof file.read !== "function") return;
    let chunk = READ_CHUNK_BYTES;
    for (;;) {
      const offset = this.#wasm.spillOffset;
      if (offset < 0 || this.#wasm.room === 0) return;
      let bytes;
      let queued;
      try {
        bytes = file.read(offset, chunk);
        if (bytes.length === 0) return;
        queued = this.#wasm.readBack(bytes);
      } catch (err) {
        this.#readFailed(file, err);
        return;
      }
      if (queued > 0 || this.#wasm.spillOffset !== offset) continue;
      // Nothing whole in `bytes`: the file ends there, or a record is longer than the chunk.
      if (bytes.length < chunk) return;
      chunk *= 2;
    }
  }

  /** `refill()` from an asynchronous storage (IndexedDB): one read at a time; `onRefill()` after each. */
  #refillAsync(file) {
    const offset = this.#wasm.spillOffset;
    if (this.#reading || offset < 0 || this.#wasm.room === 0) return;
    this.#reading = true;
    const chunk = this.#readChunk;
    file.readAsync(offset, chunk).then(
      (bytes) => {
        this.#reading = false;
        if (this.#closed || this.#wasm.spillOffset !== offset) return;
        let queued;
        try {
          queued = this.#wasm.readBack(bytes);
        } catch (err) {
          this.#readFailed(file, err);
          return;
        }
        // Nothing whole in a full chunk: a record longer than it.
        this.#readChunk = queued === 0 && bytes.length === chunk ? chunk * 2 : READ_CHUNK_BYTES;
        if (queued > 0 || this.#readChunk !== chunk) this.onRefill?.();
      },
      (err) => {
        this.#reading = false;
        this.#readFailed(file, err);
      },
    );
  }

  #readFailed(file, err) {
    this.#readBroken = true;
    this.#report(
      journalReport(`dioptra-metrics: the journal ${file.path} could not be read back (its points on disk only stay there): ${err?.message ?? err}`, {
        code: "EJOURNALREAD",
        path: file.path,
        cause: err,
      }),
      { journal: file.path },
    );
  }

  /** After a request: the acknowledgements go to the file; compacts it when due. Failures are reported. */
  sync() {
    if (this.#closed || this.#file === null) return;
    try {
      const compacted = this.#wasm.compactJournal();
      if (compacted !== undefined) this.#file.rewrite(compacted);
      else this.#file.append(this.#wasm.takeJournalBytes());
    } catch (err) {
      this.#report(
        journalReport(`dioptra-metrics: the journal ${this.#file.path} could not be written: ${err?.message ?? err}`, {
          code: "EJOURNALWRITE",
          path: this.#file.path,
          cause: err,
        }),
        { journal: this.#file.path },
      );
    }
  }

  /** The logger is closed: the file goes if everything in it was acknowledged, else it stays (unlocked). */
  close() {
    if (this.#closed) return;
    this.sync();
    this.#closed = true;
    const lock = this.#lock;
    this.#lock = null;
    if (this.#file === null) return;
    if (this.#wasm.journaled === 0) this.#file.remove();
    else this.#file.close();
    // Another tab may take the journal once what was written here has committed.
    if (lock !== null) Promise.resolve(this.#file.settled?.()).then(() => lock.release());
  }
}

/**
 * `replayJournal(client, path, options)` for one runtime: `openFile` opens a journal file
 * (js/journal-file.js), `WasmJournal` reads one (the wasm module's class). Without them (a
 * browser) it rejects.
 */
function makeReplayJournal({ openFile, WasmJournal } = {}) {
  /**
   * Sends what the journal at `path` holds (left by a process that died) to the job it was
   * written for, then removes it. `options` are logger options (`concurrency`, `retry`,
   * `timeoutMs`, `onError`, ...; the journal is `path`). Resolves to `{ path, jobId,
   * journaled, sent, failed, left, failures }`: the points it held unacknowledged, those stored,
   * those given up on (`failures`, as `onError` sees them), and those still in the journal
   * (then it is kept). A journal for another address than the client's is refused.
   */
  return async function replayJournal(client, path, options) {
    const spec = journalOptions(path);
    const file = openStorage(openFile, spec);
    let header;
    try {
      if (file.bytes.length === 0) {
        file.remove();
        return { path: file.path, jobId: null, journaled: 0, sent: 0, failed: 0, left: 0, failures: [] };
      }
      const journal = WasmJournal.replay(file.bytes);
      header = { jobId: journal.jobId, baseUrl: journal.baseUrl, journaled: journal.length };
      journal.free();
    } catch (raw) {
      if (raw?.code === "EJOURNALCORRUPT") {
        const movedTo = file.moveAside(raw.message);
        file.close();
        throw journalReport(`the journal ${file.path} is damaged and was moved aside to ${movedTo}: ${raw.message}`, {
          code: raw.code,
          path: file.path,
          movedTo,
        });
      }
      file.close();
      throw raw?.code ? new DioptraValidationError(`journal ${file.path}: ${raw.message}`, { field: "journal" }) : raw;
    }
    file.close();
    if (header.baseUrl !== client.baseUrl) {
      throw Object.assign(
        new DioptraValidationError(
          `the journal ${file.path} belongs to job ${header.jobId} at ${header.baseUrl}, not to this client's ${client.baseUrl}: ` +
            "its points were not sent (replay it with a client for that address)",
          { field: "journal" },
        ),
        { code: "EJOURNALOTHERJOB", path: file.path, jobId: header.jobId, baseUrl: header.baseUrl },
      );
    }
    const failures = [];
    const onError = options?.onError;
    const logger = client.jobs.createLogger(header.jobId, {
      ...options,
      journal: { ...spec, path: file.path },
      onError: (error, info) => {
        if (info?.name !== undefined) failures.push(info);
        if (typeof onError === "function") onError(error, info);
      },
    });
    try {
      await logger.close();
    } catch {
      // What was given up on is in `failures`; what was not stored stays in the journal.
    }
    const { sent, failed, journaled } = logger.stats;
    return { path: file.path, jobId: header.jobId, journaled: header.journaled, sent, failed, left: journaled, failures };
  };
}

export { LoggerJournal, journalOptions, makeReplayJournal };
