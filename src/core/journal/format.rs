//! The journal's bytes: record framing (length, its CRC-8, the payload's CRC-32), the three
//! record kinds, and a decoder that tells a torn tail from a corrupt file.
//!
//! A frame is 8 bytes then the payload:
//!
//! ```text
//! [len: u24 LE][crc8(len bytes)][crc32(payload): u32 LE][payload: len bytes]
//! ```
//!
//! The length has its own check byte so that a damaged length in the middle of a file is found
//! as corruption, instead of reading as "a record that runs past the end" (a torn tail).
//!
//! Payloads start with a tag byte. Integers are LEB128 varints (signed ones zigzag-coded).
//! - Header `1`: `"DMJ"`, format version (u8), job id, base URL (length + UTF-8), the first
//!   sequence number the file's records count from.
//! - Logged `2`: seq (delta from the previous Logged record's, or from the header's base for
//!   the first: always ≥ 1, so sequence numbers only grow), flags (bit 0 step, bit 1
//!   timestamp, bit 2 timestamp as whole ms delta), name (length + UTF-8), value (f64 bits,
//!   LE), step (zigzag), timestamp (zigzag delta of whole ms from the previous whole-ms
//!   timestamp, or f64 bits).
//! - Acked `3`: sorted disjoint ranges of sequence numbers: count, then per range the gap from
//!   the previous range's end (the first: its start) and its length minus one.

use std::fmt;

use super::bytes::{crc32, crc8, put_varint, unzigzag, zigzag, Reader};

/// The format version this code writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes before each payload.
pub const FRAME_BYTES: usize = 8;
/// The largest payload a frame can carry (24-bit length).
pub const MAX_PAYLOAD: usize = (1 << 24) - 1;

const MAGIC: &[u8; 3] = b"DMJ";
const TAG_HEADER: u8 = 1;
const TAG_LOGGED: u8 = 2;
const TAG_ACKED: u8 = 3;
const HAS_STEP: u8 = 1;
const HAS_TIMESTAMP: u8 = 2;
const TIMESTAMP_DELTA: u8 = 4;
/// Whole-ms timestamps within ±2^53 are delta-coded (all of them are exact in an f64).
const MAX_EXACT_MS: f64 = 9_007_199_254_740_992.0;

/// Who a journal belongs to: points in it are only ever sent to this job at this address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalHeader {
    /// The job the points were logged for.
    pub job_id: u64,
    /// The API base URL they were to be sent to (as the client normalised it).
    pub base_url: String,
}

/// One logged point, as journaled.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedPoint {
    /// Its sequence number: the order points were logged in.
    pub seq: u64,
    /// The metric name.
    pub name: String,
    /// The value (NaN payloads, ±Infinity and -0 kept bit for bit).
    pub value: f64,
    /// The step, or `None` for the server's default (0).
    pub step: Option<i64>,
    /// The timestamp in ms since the epoch, or `None` for the server's clock.
    pub timestamp_ms: Option<f64>,
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// The first record of every journal.
    Header {
        /// The format version the file was written with.
        version: u8,
        /// Job and address.
        header: JournalHeader,
        /// Sequence numbers of the file's records are above this.
        base_seq: u64,
    },
    /// A point, written before `log()` returns.
    Logged(LoggedPoint),
    /// Sequence numbers whose points the server stored, as inclusive ranges.
    Acked(Vec<(u64, u64)>),
}

/// What the delta-coded fields of the next record count from. Writer and reader keep one each,
/// advanced record by record in the same way.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Context {
    last_seq: u64,
    last_ms: i64,
}

impl Context {
    /// The context right after a header whose base sequence number is `base_seq`.
    pub fn after_header(base_seq: u64) -> Self {
        Context {
            last_seq: base_seq,
            last_ms: 0,
        }
    }

    /// The sequence number of the latest Logged record (the base before any).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }
}

/// Why a record could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// The payload would exceed [`MAX_PAYLOAD`] bytes (a metric name of megabytes).
    TooLarge(usize),
    /// A Logged record's seq is not above the previous one's.
    SeqNotIncreasing {
        /// The previous seq.
        last: u64,
        /// The offending one.
        seq: u64,
    },
    /// Some points are on disk only (spilled): the journal cannot be rewritten from memory.
    Spilled,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLarge(n) => {
                write!(
                    f,
                    "a journal record of {n} bytes is over the {MAX_PAYLOAD}-byte limit"
                )
            }
            EncodeError::SeqNotIncreasing { last, seq } => {
                write!(f, "journal sequence number {seq} is not above {last}")
            }
            EncodeError::Spilled => write!(
                f,
                "the journal holds points on disk only; it is compacted once they are read back"
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/// Appends one frame around the payload `fill` writes; returns its total size.
fn frame(out: &mut Vec<u8>, fill: impl FnOnce(&mut Vec<u8>)) -> Result<usize, EncodeError> {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_BYTES]);
    fill(out);
    let payload = out.get(start + FRAME_BYTES..).unwrap_or_default();
    let len = payload.len();
    if len > MAX_PAYLOAD {
        out.truncate(start);
        return Err(EncodeError::TooLarge(len));
    }
    let crc = crc32(payload).to_le_bytes();
    let len_bytes = (len as u32).to_le_bytes();
    let head = [
        len_bytes[0],
        len_bytes[1],
        len_bytes[2],
        crc8(&len_bytes[..3]),
        crc[0],
        crc[1],
        crc[2],
        crc[3],
    ];
    if let Some(slot) = out.get_mut(start..start + FRAME_BYTES) {
        slot.copy_from_slice(&head);
    }
    Ok(FRAME_BYTES + len)
}

/// Appends a header record; returns the context its Logged records count from.
pub fn encode_header(
    out: &mut Vec<u8>,
    header: &JournalHeader,
    base_seq: u64,
) -> Result<Context, EncodeError> {
    frame(out, |p| {
        p.push(TAG_HEADER);
        p.extend_from_slice(MAGIC);
        p.push(FORMAT_VERSION);
        put_varint(p, header.job_id);
        put_varint(p, header.base_url.len() as u64);
        p.extend_from_slice(header.base_url.as_bytes());
        put_varint(p, base_seq);
    })?;
    Ok(Context::after_header(base_seq))
}

/// Appends a Logged record and advances `ctx`; returns the record's size in bytes.
pub fn encode_logged(
    out: &mut Vec<u8>,
    ctx: &mut Context,
    point: &LoggedPoint,
) -> Result<usize, EncodeError> {
    if point.seq <= ctx.last_seq {
        return Err(EncodeError::SeqNotIncreasing {
            last: ctx.last_seq,
            seq: point.seq,
        });
    }
    let whole_ms = point.timestamp_ms.and_then(whole_ms);
    let mut flags = 0;
    if point.step.is_some() {
        flags |= HAS_STEP;
    }
    if point.timestamp_ms.is_some() {
        flags |= HAS_TIMESTAMP;
    }
    if whole_ms.is_some() {
        flags |= TIMESTAMP_DELTA;
    }
    let last_ms = ctx.last_ms;
    let size = frame(out, |p| {
        p.push(TAG_LOGGED);
        put_varint(p, point.seq - ctx.last_seq);
        p.push(flags);
        put_varint(p, point.name.len() as u64);
        p.extend_from_slice(point.name.as_bytes());
        p.extend_from_slice(&point.value.to_bits().to_le_bytes());
        if let Some(step) = point.step {
            put_varint(p, zigzag(step));
        }
        match (whole_ms, point.timestamp_ms) {
            (Some(ms), _) => put_varint(p, zigzag(ms.wrapping_sub(last_ms))),
            (None, Some(ts)) => p.extend_from_slice(&ts.to_bits().to_le_bytes()),
            (None, None) => {}
        }
    })?;
    ctx.last_seq = point.seq;
    if let Some(ms) = whole_ms {
        ctx.last_ms = ms;
    }
    Ok(size)
}

/// `ts` as whole ms when that is exact (-0 and fractions are not), for delta coding.
fn whole_ms(ts: f64) -> Option<i64> {
    let exact = ts.is_finite() && ts.abs() <= MAX_EXACT_MS && ts.fract() == 0.0;
    (exact && ts.to_bits() != (-0.0f64).to_bits()).then_some(ts as i64)
}

/// Appends an Acked record for `seqs` (any order, duplicates allowed); nothing when empty.
/// Returns its size in bytes.
pub fn encode_acked(out: &mut Vec<u8>, seqs: &[u64]) -> Result<usize, EncodeError> {
    let ranges = to_ranges(seqs);
    if ranges.is_empty() {
        return Ok(0);
    }
    frame(out, |p| {
        p.push(TAG_ACKED);
        put_varint(p, ranges.len() as u64);
        let mut previous_end = 0;
        for (start, end) in &ranges {
            put_varint(p, start - previous_end);
            put_varint(p, end - start);
            previous_end = *end;
        }
    })
}

/// Sorted, merged inclusive ranges covering `seqs`. An insertion sort: acknowledgements come a
/// few at a time and mostly in order, and it costs the wasm far less code than `sort`.
fn to_ranges(seqs: &[u64]) -> Vec<(u64, u64)> {
    let mut sorted: Vec<u64> = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        if let Err(at) = sorted.binary_search(&seq) {
            sorted.insert(at, seq);
        }
    }
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for seq in sorted {
        match ranges.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(seq) => *end = seq,
            _ => ranges.push((seq, seq)),
        }
    }
    ranges
}

mod decoding;
pub use decoding::{decode, decode_more, Decoded, Tail};

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
