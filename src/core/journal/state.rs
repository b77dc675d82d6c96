//! The journal's state: the unacknowledged points (last write wins per (name, step)), what to
//! append on each log and acknowledgement, and when and how to compact.

use std::fmt;
use std::rc::Rc;

use super::format::{
    decode, encode_acked, encode_header, encode_logged, Context, EncodeError, JournalHeader,
    LoggedPoint, Record, Tail, FORMAT_VERSION,
};
use super::slots::Slots;
use crate::core::keyset::NameStepMap;

mod spill;

/// Compaction waits until at least this many bytes of the file are dead (acknowledged or
/// overwritten points, acknowledgements): so a file whose points are all acknowledged stays
/// under this size plus one record, and compactions are rare.
pub const COMPACT_MIN_DEAD_BYTES: u64 = 32 * 1024;

/// A point held by the journal.
#[derive(Debug, Clone)]
struct Live {
    name: Rc<str>,
    value: f64,
    step: Option<i64>,
    timestamp_ms: Option<f64>,
    /// The size of its record when it was written.
    bytes: u32,
}

/// Why an existing journal is not used.
#[derive(Debug, Clone, PartialEq)]
pub enum OpenError {
    /// The file is empty (replaying it sends nothing).
    Empty,
    /// It was written for another job or address: its points must not be sent here.
    OtherJob {
        /// The job and address the journal is for.
        found: JournalHeader,
        /// The job and address it was opened for.
        expected: JournalHeader,
    },
    /// It was written by a version of this package with another format.
    Version(u8),
    /// It is damaged (or not a journal): the caller moves it aside and reports it. Its points
    /// are not sent: acknowledgements after the damage are unknown, so sending what comes before
    /// it could put an older value over a newer one on the server.
    Corrupt {
        /// Where the damage starts.
        offset: usize,
        /// What is wrong there.
        reason: String,
        /// Unacknowledged points found before the damage.
        unsent_before: usize,
    },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Empty => write!(f, "the journal is empty"),
            OpenError::OtherJob { found, expected } => write!(
                f,
                "the journal belongs to job {} at {}, not to job {} at {}: its points were not sent",
                found.job_id, found.base_url, expected.job_id, expected.base_url
            ),
            OpenError::Version(v) => write!(
                f,
                "the journal has format version {v}; this version of dioptra-metrics reads \
                 version {FORMAT_VERSION} only"
            ),
            OpenError::Corrupt {
                offset,
                reason,
                unsent_before,
            } => write!(
                f,
                "the journal is damaged at byte {offset} ({reason}); {unsent_before} unsent \
                 point(s) were readable before the damage"
            ),
        }
    }
}

/// A journal read back from its bytes.
#[derive(Debug)]
pub struct Opened {
    /// The state, holding the unacknowledged points.
    pub journal: Journal,
    /// The compacted journal: the caller replaces the file with these bytes (atomically)
    /// before appending anything, which also drops a torn tail.
    pub rewrite: Vec<u8>,
    /// A torn last record that was skipped: (its offset, bytes skipped).
    pub torn: Option<(usize, usize)>,
}

/// The journal of one logger (see the module docs for the protocol).
#[derive(Debug)]
pub struct Journal {
    header: JournalHeader,
    /// Where the delta-coded fields of the next appended record count from.
    ctx: Context,
    /// The unacknowledged points by sequence number: the order to send them in.
    live: Slots<Live>,
    /// (name, step or 0) → the sequence number of its live point.
    index: NameStepMap,
    /// Names of the points held, shared by their points (the first few only: a journal has
    /// a few names, and many points per name).
    names: Vec<Rc<str>>,
    next_seq: u64,
    /// The file's size, as far as the caller wrote what this state handed out.
    file_bytes: u64,
    /// Of which the header and live points take this much.
    live_bytes: u64,
    /// Points on disk only, when there are (see [`spill`]).
    spill: Option<spill::Spill>,
}

impl Journal {
    /// A new, empty journal and the bytes of its file (its header).
    pub fn create(header: JournalHeader) -> Result<(Journal, Vec<u8>), EncodeError> {
        let mut journal = Journal {
            header,
            ctx: Context::default(),
            live: Slots::default(),
            index: NameStepMap::default(),
            names: Vec::new(),
            next_seq: 1,
            file_bytes: 0,
            live_bytes: 0,
            spill: None,
        };
        let bytes = journal.compact()?;
        Ok((journal, bytes))
    }

    /// The journal in `bytes`, which must be for `expected` (empty bytes: a new journal).
    pub fn open(bytes: &[u8], expected: &JournalHeader) -> Result<Opened, OpenError> {
        if bytes.is_empty() {
            let (journal, rewrite) =
                Journal::create(expected.clone()).map_err(|e| OpenError::Corrupt {
                    offset: 0,
                    reason: e.to_string(),
                    unsent_before: 0,
                })?;
            return Ok(Opened {
                journal,
                rewrite,
                torn: None,
            });
        }
        let opened = Journal::replay(bytes)?;
        if opened.journal.header != *expected {
            return Err(OpenError::OtherJob {
                found: opened.journal.header,
                expected: expected.clone(),
            });
        }
        Ok(opened)
    }

    /// The journal in `bytes`, whatever job it is for (for sending a dead process's journal).
    pub fn replay(bytes: &[u8]) -> Result<Opened, OpenError> {
        if bytes.is_empty() {
            return Err(OpenError::Empty);
        }
        let decoded = decode(bytes);
        let mut records = decoded.records.into_iter();
        let (header, base_seq) = match records.next() {
            Some(Record::Header {
                version: FORMAT_VERSION,
                header,
                base_seq,
            }) => (header, base_seq),
            Some(Record::Header { version, .. }) => return Err(OpenError::Version(version)),
            _ => {
                let (offset, reason) = match decoded.tail {
                    Tail::Corrupt { offset, reason } => (offset, reason),
                    _ => (0, "the file ends before its journal header".to_owned()),
                };
                return Err(OpenError::Corrupt {
                    offset,
                    reason,
                    unsent_before: 0,
                });
            }
        };
        let mut journal = Journal {
            header,
            ctx: Context::after_header(base_seq),
            live: Slots::default(),
            index: NameStepMap::default(),
            names: Vec::new(),
            next_seq: base_seq.saturating_add(1),
            file_bytes: 0,
            live_bytes: 0,
            spill: None,
        };
        for record in records {
            match record {
                Record::Logged(point) => {
                    journal.next_seq = point.seq.saturating_add(1);
                    journal.hold(point, 0);
                }
                Record::Acked(ranges) => {
                    for (start, end) in ranges {
                        journal.acknowledge_range(start, end);
                    }
                }
                Record::Header { .. } => {}
            }
        }
        let torn = match decoded.tail {
            Tail::Clean => None,
            Tail::Torn { offset, bytes } => Some((offset, bytes)),
            Tail::Corrupt { offset, reason } => {
                return Err(OpenError::Corrupt {
                    offset,
                    reason,
                    unsent_before: journal.len(),
                })
            }
        };
        let rewrite = journal.compact().map_err(|e| OpenError::Corrupt {
            offset: 0,
            reason: e.to_string(),
            unsent_before: journal.len(),
        })?;
        Ok(Opened {
            journal,
            rewrite,
            torn,
        })
    }

    /// Journals a logged point: appends its record to `out` (for the caller to append to the
    /// file before `log()` returns) and returns its sequence number. A point already held for
    /// the same (name, step) is replaced.
    pub fn log(
        &mut self,
        name: &str,
        value: f64,
        step: Option<i64>,
        timestamp_ms: Option<f64>,
        out: &mut Vec<u8>,
    ) -> Result<u64, EncodeError> {
        let (point, size) = self.append_point(name, value, step, timestamp_ms, out)?;
        let seq = point.seq;
        self.hold(point, size);
        Ok(seq)
    }

    /// Appends the record of a newly logged point to `out` under the next sequence number, and
    /// counts its bytes in the file: the point and its record's size.
    fn append_point(
        &mut self,
        name: &str,
        value: f64,
        step: Option<i64>,
        timestamp_ms: Option<f64>,
        out: &mut Vec<u8>,
    ) -> Result<(LoggedPoint, usize), EncodeError> {
        let point = LoggedPoint {
            seq: self.next_seq,
            name: name.to_owned(),
            value,
            step,
            timestamp_ms,
        };
        let size = encode_logged(out, &mut self.ctx, &point)?;
        self.next_seq += 1;
        self.file_bytes += size as u64;
        Ok((point, size))
    }

    /// Journals that the server stored the points with these sequence numbers: appends an
    /// Acked record to `out` (nothing when none of them is held) and returns how many held
    /// points it settled. A seq whose point was replaced by a later one settles nothing: the
    /// later value still has to be sent.
    pub fn ack(&mut self, seqs: &[u64], out: &mut Vec<u8>) -> Result<usize, EncodeError> {
        let held: Vec<u64> = seqs
            .iter()
            .copied()
            .filter(|s| self.live.get(*s).is_some())
            .collect();
        let size = encode_acked(out, &held)?;
        self.file_bytes += size as u64;
        Ok(held.iter().filter(|s| self.release(**s)).count())
    }

    /// The seq of the held point for (name, step) if it is exactly this value and timestamp:
    /// what to acknowledge after the server stored that value (`None`: a later value is held,
    /// or nothing is).
    pub fn seq_if_same(
        &self,
        name: &str,
        step: Option<i64>,
        value: f64,
        timestamp_ms: Option<f64>,
    ) -> Option<u64> {
        let seq = *self.index.get(&(Rc::from(name), step.unwrap_or(0)))?;
        let live = self.live.get(seq)?;
        let same = live.value.to_bits() == value.to_bits()
            && live.timestamp_ms.map(f64::to_bits) == timestamp_ms.map(f64::to_bits);
        same.then_some(seq)
    }

    /// The unacknowledged points in the order they were logged (the order to send them in).
    pub fn points(&self) -> impl Iterator<Item = LoggedPoint> + '_ {
        self.live.iter().map(|(seq, live)| LoggedPoint {
            seq,
            name: live.name.to_string(),
            value: live.value,
            step: live.step,
            timestamp_ms: live.timestamp_ms,
        })
    }

    /// How many points are unacknowledged (in memory or spilled).
    pub fn len(&self) -> usize {
        self.live.len() + self.spilled()
    }

    /// Whether every point is acknowledged (then a closing logger removes the file).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Who the journal is for.
    pub fn header(&self) -> &JournalHeader {
        &self.header
    }

    /// The file's size, as far as the caller wrote what this state handed out.
    pub fn file_bytes(&self) -> u64 {
        self.file_bytes
    }

    /// The seq the next logged point gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Whether to compact now: at least [`COMPACT_MIN_DEAD_BYTES`] of the file are dead, and
    /// at least half of it. So the file stays under twice the live points' size plus 32 KiB,
    /// and each byte is rewritten a bounded number of times (amortised O(1) per point).
    pub fn should_compact(&self) -> bool {
        let dead = self.file_bytes.saturating_sub(self.live_bytes);
        self.spill.is_none() && dead >= COMPACT_MIN_DEAD_BYTES && dead >= self.live_bytes
    }

    /// The bytes of the compacted journal: the header then the live points in seq order. The
    /// caller replaces the file with them atomically; appends continue after them. Refused
    /// while points are spilled ([`EncodeError::Spilled`]).
    pub fn compact(&mut self) -> Result<Vec<u8>, EncodeError> {
        if self.spill.is_some() {
            return Err(EncodeError::Spilled);
        }
        let mut out = Vec::new();
        let base = self
            .live
            .iter()
            .next()
            .map_or(self.next_seq.saturating_sub(1), |first| {
                first.0.saturating_sub(1)
            });
        let mut ctx = encode_header(&mut out, &self.header, base)?;
        let mut live_bytes = out.len() as u64;
        for (seq, live) in self.live.iter_mut() {
            let point = LoggedPoint {
                seq,
                name: live.name.to_string(),
                value: live.value,
                step: live.step,
                timestamp_ms: live.timestamp_ms,
            };
            let size = encode_logged(&mut out, &mut ctx, &point)?;
            live.bytes = u32::try_from(size).unwrap_or(u32::MAX);
            live_bytes += size as u64;
        }
        self.ctx = ctx;
        self.file_bytes = out.len() as u64;
        self.live_bytes = live_bytes;
        Ok(out)
    }

    /// Holds `point` (a later seq than any held), replacing the held point of its key.
    fn hold(&mut self, point: LoggedPoint, size: usize) {
        let name = match self.names.iter().find(|n| &***n == point.name.as_str()) {
            Some(name) => Rc::clone(name),
            None => {
                let name: Rc<str> = Rc::from(point.name);
                if self.names.len() < 64 {
                    self.names.push(Rc::clone(&name));
                }
                name
            }
        };
        let key = (Rc::clone(&name), point.step.unwrap_or(0));
        let bytes = u32::try_from(size).unwrap_or(u32::MAX);
        let live = Live {
            name,
            value: point.value,
            step: point.step,
            timestamp_ms: point.timestamp_ms,
            bytes,
        };
        // Seqs only grow (the encoder and the decoder both refuse others): this always holds.
        if !self.live.push(point.seq, live) {
            return;
        }
        self.live_bytes += u64::from(bytes);
        if let Some(old) = self.index.insert(key, point.seq) {
            if let Some(old) = self.live.remove(old) {
                self.live_bytes = self.live_bytes.saturating_sub(u64::from(old.bytes));
            }
        }
    }

    /// Settles the held points with seqs in `start..=end`.
    fn acknowledge_range(&mut self, start: u64, end: u64) {
        for seq in self.live.seqs_within(start, end) {
            self.release(seq);
        }
    }

    /// Settles the held point `seq`; false when none is held.
    fn release(&mut self, seq: u64) -> bool {
        let Some(live) = self.live.remove(seq) else {
            return false;
        };
        self.live_bytes = self.live_bytes.saturating_sub(u64::from(live.bytes));
        self.index.remove(&(live.name, live.step.unwrap_or(0)));
        true
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
