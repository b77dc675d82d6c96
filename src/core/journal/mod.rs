//! The durable journal of a logger (issue 9): logged points survive a crash, a kill or hours
//! offline, and are sent by the next logger created on the same journal.
//!
//! This module is the format and the logic, in plain Rust; the storage is the runtime's
//! (`js/journal-file.js` in Node: a file, a lock file, `sync` modes; IndexedDB in browsers).
//!
//! # Format
//! An append-only sequence of records, each framed as
//! `[len u24][crc8 of len][crc32 of payload][payload]` (8 bytes of framing, see [`mod@format`]):
//! a header (format version, job id, API base URL, base sequence number), then `Logged`
//! points (seq, name, value as f64 bits, step, timestamp in ms) and `Acked` ranges of seqs.
//! Binary, not JSON lines (measured by `bench/journal-measure.mjs`): a typical point (`loss`,
//! step, client timestamp) takes 26–28 bytes against 83 as a JSON line with the same exactness
//! (f64 bits: NaN payloads, -0) and a checksum, and it encodes and replays about twice as fast.
//! Seqs and whole-ms timestamps are delta-coded (1 and 1–2 bytes for points logged in a loop);
//! an acknowledgement of one seq, or of a run of consecutive seqs, takes 13 bytes.
//!
//! On reading, the first bad frame ends the journal. A torn tail (the last record cut short,
//! or zero bytes left by a power loss) is skipped and reported, never fatal; anything else
//! (a bad checksum with records after it, garbage, a file that does not start with a header)
//! is corruption: the file is moved aside and reported, and none of its points is sent (the
//! acknowledgements after the damage are unknown, so an old value could overwrite a newer one).
//!
//! # Meaning
//! The points to send are, per (name, step) (no step = step 0, the server's key), the one with
//! the highest seq, unless that seq is acknowledged: last write wins, an acknowledged point is
//! never sent again unless a later write for its key exists, and an acknowledgement of a value
//! that was since overwritten settles nothing. They are sent in seq order.
//!
//! # Compaction
//! [`Journal::should_compact`] when the dead bytes (acknowledged or overwritten points and the
//! acknowledgements) reach both 32 KiB ([`COMPACT_MIN_DEAD_BYTES`]) and half the file; then
//! [`Journal::compact`] gives the bytes of header + live points, which replace the file
//! atomically (temp file, fsync, rename). The file stays under 2 × the unsent points' size +
//! 32 KiB; once everything is acknowledged, under 32 KiB (and removed at close).
//!
//! # Durability (Node, `js/journal-file.js`)
//! | `sync`       | `log()` returns after          | survives a process kill | survives power loss / OS crash |
//! |--------------|--------------------------------|--------------------------|--------------------------------|
//! | `"none"`     | `writeSync` (bytes in the OS)  | yes                      | no (what the OS had not flushed, typically the last ~30 s) |
//! | `"interval"` | `writeSync`; fsync ≤ every N ms | yes                      | all but the last N ms           |
//! | `"always"`   | `writeSync` + `fdatasync`      | yes                      | yes                             |
//!
//! Compaction rewrites are fsynced in every mode (temp file, fsync, rename, fsync of the
//! directory), so a crash during one leaves the old journal or the new one, never a mix.
//!
//! # What the logger calls, when
//! - **Create** (`createLogger(jobId, { journal })`): open the storage (takes the lock, reads
//!   the bytes), then [`Journal::open`]`(bytes, &JournalHeader { job_id, base_url })`:
//!   - `Ok(opened)`: write `opened.rewrite` with the storage's atomic `rewrite` before
//!     anything is appended (it also drops a torn tail; report `opened.torn` if `Some`), then
//!     queue `opened.journal.points()` in that order before any new point, remembering each
//!     queued point's `seq`. Continue the automatic step counters above the replayed steps.
//!   - `Err(OtherJob | Version)`: refuse to create the logger with that message (release the
//!     lock; the file is left as it is).
//!   - `Err(Corrupt { .. })`: `moveAside(reason)`, report it (the message says how many unsent
//!     points were readable), then start a new journal with [`Journal::create`] and
//!     `rewrite` its bytes.
//! - **Each `log()`**: for each point, [`Journal::log`]`(name, value, step, timestamp_ms,
//!   &mut buf)` (the step as the queue resolved it, the timestamp the point is sent with), then
//!   one `append(buf)` for the whole call before `log()` returns. Keep the returned seq with the
//!   queued point. If the append throws, `log()` throws (the point is not durable).
//! - **Each stored point** (2xx): [`Journal::ack`]`(&[seq], &mut buf)` with the seq of the value
//!   that was sent, or find it with [`Journal::seq_if_same`] (name, step, value, timestamp);
//!   acknowledgements may be batched (a lost one only means a harmless re-send, except that the
//!   server answers 500 to a NaN overwriting a stored point: write acks of NaN points at once).
//!   Append `buf`; then if [`Journal::should_compact`], `rewrite(`[`Journal::compact`]`())`.
//! - **The queue is full** (`maxQueue` points in memory; a storage that can read back: the
//!   file, IndexedDB): [`Journal::log_spilled`] instead, and every later point too until the spilled
//!   ones are read back: as room appears, read the file from [`Journal::spill_offset`] and
//!   [`Journal::read_back`] (see [`state`]'s spill module). Opening a journal with more points
//!   than the queue takes: [`Journal::compact_keeping`] for the rewrite.
//! - **Points given up on** (400, or `giveUpAfterMs`): leave them in the journal unless the
//!   error says they can never be stored (400, 404): then acknowledge them too, and report.
//! - **Close**: after the final flush, if [`Journal::is_empty`], `remove()` the file (which
//!   also releases the lock); otherwise `close()` (the file stays for the next logger or
//!   `replayJournal`). On a process exit, nothing: what was appended is in the OS already.
//! - **`replayJournal(client, path)`**: [`Journal::replay`] (any job), send its points to
//!   `header().job_id`, acknowledging as above.
//! - **Stats**: [`Journal::len`] points journaled; [`Journal::file_bytes`] the file's size.

mod bytes;
pub mod format;
mod slots;
pub mod state;

pub use format::{
    decode, JournalHeader, LoggedPoint, Record, Tail, FORMAT_VERSION, FRAME_BYTES, MAX_PAYLOAD,
};
pub use state::{Journal, OpenError, Opened, COMPACT_MIN_DEAD_BYTES};
