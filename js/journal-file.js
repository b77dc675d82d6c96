// The Node storage of a logger's journal (issue 9): one append-only file, one writer. The
// journal's format and meaning live in Rust (src/core/journal); this module only keeps bytes:
// a lock file naming the owner's pid, appends that are in the OS (or on disk) before `log()`
// returns, atomic rewrites for compaction, and moving a damaged file aside.
//
// What survives what, by `sync` mode (every append is one writeSync before it returns):
//   "none"      survives a process kill (SIGKILL, OOM, crash: the OS has the bytes); a power
//               loss or OS crash loses what the OS had not yet written (seconds to ~30 s).
//   "interval"  the same, and an fdatasync at most every `syncIntervalMs` (default 1000) while
//               appends come, plus one that long after the last: a power loss loses at most
//               about the last `syncIntervalMs` of points.
//   "always"    an fdatasync after every append: survives a power loss (on a disk that honours
//               flushes); costs one disk flush per log() call.
// Rewrites (compaction) are always temp file + fsync + rename + directory fsync: a crash or
// power loss during one leaves the old journal or the new one, never a mix.
//
// The build (scripts/build.mjs) emits a CommonJS copy (dist/journal-file.cjs) by rewriting the
// `import { ... } from "node:..."` lines and the one `export { ... }` statement.
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";

/** The file name used when `path` is a directory and no `name` is given. */
const DEFAULT_NAME = "dioptra-metrics.journal";
const SYNC_MODES = ["none", "interval", "always"];
const DEFAULT_SYNC_INTERVAL_MS = 1000;

// Locks held by this process, shared by the ESM and CommonJS copies of this module: a lock
// file naming this process's pid is stale unless this set has it (a container restarted with
// the same pid, say).
const HELD = (globalThis[Symbol.for("dioptra-metrics.journal-locks")] ??= new Set());
let exitHook = false;

/** An Error with a `code` (and the fields named in `extra`). */
function journalError(code, message, extra = {}) {
  return Object.assign(new Error(message), { code, ...extra });
}

/** Reads `{ pid, host }` from a lock file; null when it is gone. */
function readOwner(lockPath) {
  let text;
  try {
    text = readFileSync(lockPath, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") return null;
    throw e;
  }
  const [pid, host] = text.split("\n");
  return { pid: /^\d+$/.test(pid) ? Number(pid) : NaN, host: host ?? "" };
}

/** Whether the owner named in a lock file may still be running. */
function ownerAlive(owner, lockPath) {
  if (!Number.isSafeInteger(owner.pid) || owner.pid <= 0) return false;
  if (owner.host !== hostname()) return true; // Another machine: it cannot be checked.
  if (owner.pid === process.pid) return HELD.has(lockPath);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM"; // It exists, under another user.
  }
}

function lockedError(owner, lockPath, journalPath) {
  const who =
    owner.host !== hostname()
      ? `process ${owner.pid} on host ${owner.host}`
      : owner.pid === process.pid
        ? `this process (pid ${owner.pid}): another logger of this process uses it`
        : `process ${owner.pid}, which is running`;
  return journalError(
    "EJOURNALLOCKED",
    `the journal ${journalPath} is in use by ${who}; one journal has one writer ` +
      `(if that process does not use it, delete ${lockPath})`,
    { pid: owner.pid, lockPath, path: journalPath },
  );
}

/**
 * Takes the lock file: created complete (a temp file holding pid and host, hard-linked into
 * place, which fails if a lock exists); a lock whose process is dead is moved away and taken.
 */
function acquireLock(lockPath, journalPath) {
  const nonce = `${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const mine = `${lockPath}.${nonce}`;
  writeFileSync(mine, `${process.pid}\n${hostname()}\n`, { flag: "wx" });
  try {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      try {
        linkSync(mine, lockPath);
        HELD.add(lockPath);
        if (!exitHook) {
          exitHook = true;
          process.on("exit", () => {
            for (const held of HELD) releaseLock(held);
          });
        }
        return;
      } catch (e) {
        if (e.code !== "EEXIST") throw e;
      }
      const owner = readOwner(lockPath);
      if (owner === null) continue; // Released meanwhile.
      if (ownerAlive(owner, lockPath)) throw lockedError(owner, lockPath, journalPath);
      // Stale: move it away, then check that what was moved is the dead owner's lock (another
      // process may have taken over first; then its lock goes back).
      const stale = `${lockPath}.stale.${nonce}`;
      try {
        renameSync(lockPath, stale);
      } catch (e) {
        if (e.code === "ENOENT") continue;
        throw e;
      }
      const moved = readOwner(stale);
      if (moved !== null && ownerAlive(moved, lockPath)) {
        try {
          linkSync(stale, lockPath);
        } catch {
          // Someone else holds it now; they are the writer.
        }
        unlinkSync(stale);
        throw lockedError(moved, lockPath, journalPath);
      }
      unlinkSync(stale);
    }
    throw journalError("EJOURNALLOCKED", `could not take the lock ${lockPath}: other processes keep taking it`, {
      lockPath,
      path: journalPath,
    });
  } finally {
    unlinkSync(mine);
  }
}

/** Removes the lock file if it is still this process's. */
function releaseLock(lockPath) {
  if (!HELD.delete(lockPath)) return;
  const owner = readOwner(lockPath);
  if (owner !== null && owner.pid === process.pid && owner.host === hostname()) {
    try {
      unlinkSync(lockPath);
    } catch {
      // Gone already.
    }
  }
}

/** Writes all of `bytes` at the fd's position (a regular file may take them in parts). */
function writeAll(fd, bytes) {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, bytes.length - done);
  }
}

/** fsync of a directory, so a rename or a new file in it survives a power loss (not on Windows). */
function syncDirectory(dir) {
  let fd;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Windows cannot open a directory; its renames are durable when they return.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `path` itself, or the file `name` in it when it is a directory (or ends with a separator). */
function resolvePath(path, name) {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`journal must be a file or directory path, not ${JSON.stringify(path)}`);
  }
  let isDirectory = /[\\/]$/.test(path);
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
  }
  if (isDirectory) {
    mkdirSync(path, { recursive: true });
    return join(path, name);
  }
  mkdirSync(dirname(path), { recursive: true });
  return path;
}

/**
 * Opens the journal at `path` (a file, or a directory holding the file `options.name`) for
 * writing, taking its lock. Throws an Error with `code: "EJOURNALLOCKED"` and the owner's
 * `pid` when another process, or another logger of this one, holds it.
 *
 * @param {string} path
 * @param {{ name?: string, sync?: "none" | "interval" | "always", syncIntervalMs?: number }} [options]
 *   `name`: the file name inside a directory (default "dioptra-metrics.journal"); `sync`:
 *   the durability mode (default "interval"); `syncIntervalMs`: for "interval" (default 1000).
 */
function openJournalFile(path, options = {}) {
  const name = options.name ?? DEFAULT_NAME;
  const sync = options.sync ?? "interval";
  const intervalMs = options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
  if (!SYNC_MODES.includes(sync)) {
    throw new TypeError(`sync must be "none", "interval" or "always", not ${JSON.stringify(sync)}`);
  }
  if (!(typeof intervalMs === "number" && intervalMs >= 0 && Number.isFinite(intervalMs))) {
    throw new TypeError(`syncIntervalMs must be a finite number >= 0, not ${String(intervalMs)}`);
  }
  if (typeof name !== "string" || name === "" || /[\\/]/.test(name)) {
    throw new TypeError(`name must be a file name, not ${JSON.stringify(name)}`);
  }
  const file = resolvePath(path, name);
  const dir = dirname(file);
  const lockPath = `${file}.lock`;
  const tmpPrefix = `${basename(file)}.tmp-`;
  acquireLock(lockPath, file);

  let bytes;
  try {
    // Temp files of rewrites that a dead writer left behind.
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith(tmpPrefix)) unlinkSync(join(dir, entry));
    }
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch (e) {
      if (e.code !== "ENOENT") throw e;
      bytes = new Uint8Array(0);
    }
  } catch (e) {
    releaseLock(lockPath);
    throw e;
  }

  let fd = null;
  let readFd = null;
  let size = bytes.length;
  let closed = false;
  let lastSync = Date.now();
  let dirty = false;
  let timer = null;

  const live = (what) => {
    if (closed) throw journalError("EJOURNALCLOSED", `the journal ${file} is closed: cannot ${what}`);
  };
  const appendFd = () => {
    if (fd === null) {
      let created = false;
      try {
        statSync(file);
      } catch {
        created = true;
      }
      fd = openSync(file, "a");
      if (created && sync !== "none") syncDirectory(dir);
    }
    return fd;
  };
  const flushToDisk = () => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (dirty && fd !== null) fdatasyncSync(fd);
    dirty = false;
    lastSync = Date.now();
  };
  const closeFd = () => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (fd !== null) closeSync(fd);
    fd = null;
    if (readFd !== null) closeSync(readFd);
    readFd = null;
  };

  return {
    /** The journal file's path. */
    path: file,
    /** The lock file's path. */
    lockPath,
    /** The durability mode. */
    sync,
    /** The file's bytes when it was opened (empty for a new journal). */
    bytes,
    /** The file's size now, in bytes. */
    get size() {
      return size;
    },

    /** Appends `chunk` (a Uint8Array); it is in the OS when this returns (on disk with "always"). */
    append(chunk) {
      live("append");
      if (chunk.length === 0) return;
      const out = appendFd();
      writeAll(out, chunk);
      size += chunk.length;
      dirty = true;
      if (sync === "always") {
        flushToDisk();
      } else if (sync === "interval") {
        const due = lastSync + intervalMs - Date.now();
        if (due <= 0) {
          flushToDisk();
        } else if (timer === null) {
          timer = setTimeout(() => {
            timer = null;
            if (!closed) flushToDisk();
          }, due);
          timer.unref?.();
        }
      }
    },

    /**
     * Reads up to `length` bytes of the journal from `offset` (points kept on disk only are
     * read back this way as the logger's queue drains); fewer at the end of the file.
     */
    read(offset, length) {
      live("read");
      if (readFd === null) readFd = openSync(file, "r");
      const out = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < out.length) {
        const n = readSync(readFd, out, done, out.length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return out.subarray(0, done);
    },

    /** Forces what was appended onto the disk now. */
    flush() {
      live("flush");
      flushToDisk();
    },

    /** Replaces the whole file with `content`, atomically (compaction, a new header). */
    rewrite(content) {
      live("rewrite");
      const tmp = join(dir, `${tmpPrefix}${process.pid}`);
      const out = openSync(tmp, "w");
      try {
        writeAll(out, content);
        fsyncSync(out);
      } finally {
        closeSync(out);
      }
      closeFd();
      renameSync(tmp, file);
      syncDirectory(dir);
      size = content.length;
      dirty = false;
      lastSync = Date.now();
    },

    /**
     * Moves a damaged journal aside (to `<journal>.corrupt-<time>`, with `reason` in a `.txt`
     * beside it) and returns where; appends then start a new file.
     */
    moveAside(reason) {
      live("move the journal aside");
      closeFd();
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const aside = `${file}.corrupt-${stamp}`;
      renameSync(file, aside);
      writeFileSync(`${aside}.txt`, `${String(reason)}\n`);
      syncDirectory(dir);
      size = 0;
      dirty = false;
      return aside;
    },

    /** Deletes the journal (everything in it was acknowledged) and releases the lock. */
    remove() {
      live("remove");
      closeFd();
      closed = true;
      try {
        unlinkSync(file);
      } catch (e) {
        if (e.code !== "ENOENT") throw e;
      }
      syncDirectory(dir);
      releaseLock(lockPath);
    },

    /** Closes the journal, keeping the file (its points go with the next logger), and releases the lock. */
    close() {
      if (closed) return;
      if (sync !== "none") flushToDisk();
      closeFd();
      closed = true;
      releaseLock(lockPath);
    },
  };
}

export { openJournalFile, DEFAULT_NAME };
