//! Points on disk only ("spilled"): with a journal, a logger whose queue holds `maxQueue`
//! points journals the next ones without keeping them in memory, and reads them back from
//! the file, in order, as the queue drains (offline for hours, more points than memory).
//!
//! Once a point is spilled, every later one is spilled too until all are read back: the
//! points in memory are then always older (lower seqs) than those on disk, so reading back in
//! file order sends every key's values in the order they were logged, and the last one logged
//! wins on the server without keeping an index of what is on disk. Acknowledgements appended
//! meanwhile concern points in memory only (a spilled point is acknowledged after it is read
//! back): reading back skips them. The file is not compacted while points are spilled (its
//! offsets must stay put); nothing is acknowledged during an outage anyway.

use super::{Journal, Live};
use crate::core::journal::format::{decode_more, Context, EncodeError, LoggedPoint, Record};

/// Where the spilled points are in the file.
#[derive(Debug, Clone)]
pub(super) struct Spill {
    /// The file offset of the first record not read back yet.
    offset: u64,
    /// The decoding context at `offset`.
    ctx: Context,
    /// Spilled points not read back yet.
    count: usize,
    /// The seq of the last spilled point.
    last_seq: u64,
}

impl Journal {
    /// Journals a point without holding it in memory (see the module docs): its record goes
    /// to `out`; returns its seq. The point is read back by [`Journal::read_back`].
    pub fn log_spilled(
        &mut self,
        name: &str,
        value: f64,
        step: Option<i64>,
        timestamp_ms: Option<f64>,
        out: &mut Vec<u8>,
    ) -> Result<u64, EncodeError> {
        let (offset, ctx) = (self.file_bytes, self.ctx);
        let (point, _) = self.append_point(name, value, step, timestamp_ms, out)?;
        let spill = self.spill.get_or_insert(Spill {
            offset,
            ctx,
            count: 0,
            last_seq: 0,
        });
        spill.count += 1;
        spill.last_seq = point.seq;
        Ok(point.seq)
    }

    /// Whether points are spilled (then every new point must be spilled too).
    pub fn is_spilling(&self) -> bool {
        self.spill.is_some()
    }

    /// How many points are on disk only.
    pub fn spilled(&self) -> usize {
        self.spill.as_ref().map_or(0, |s| s.count)
    }

    /// The file offset to read the spilled points back from.
    pub fn spill_offset(&self) -> Option<u64> {
        self.spill.as_ref().map(|s| s.offset)
    }

    /// The seq of the last spilled point.
    pub fn spill_last_seq(&self) -> Option<u64> {
        self.spill.as_ref().map(|s| s.last_seq)
    }

    /// Reads back spilled points from `bytes`, the file from [`Journal::spill_offset`] on (any
    /// length: a record cut off at the end waits for the next call), `max_points` at most;
    /// they are held in memory again and returned in order, for the caller to queue.
    /// Err: the file is damaged there (nothing is read back).
    pub fn read_back(
        &mut self,
        bytes: &[u8],
        max_points: usize,
    ) -> Result<Vec<LoggedPoint>, String> {
        let Some(spill) = self.spill.as_mut() else {
            return Ok(Vec::new());
        };
        let mut ctx = spill.ctx;
        let (records, consumed) = decode_more(bytes, &mut ctx, max_points.min(spill.count))?;
        spill.offset += consumed as u64;
        spill.ctx = ctx;
        let mut points = Vec::new();
        for (record, size) in records {
            if let Record::Logged(point) = record {
                points.push(point.clone());
                self.hold(point, size);
            }
        }
        if let Some(spill) = self.spill.as_mut() {
            spill.count = spill.count.saturating_sub(points.len());
            if spill.count == 0 {
                self.spill = None;
            }
        }
        Ok(points)
    }

    /// The compacted journal's bytes (as [`Journal::compact`]), keeping only the first `keep`
    /// points in memory: the others are spilled (read back later). For opening a journal that
    /// holds more points than the logger's queue.
    pub fn compact_keeping(&mut self, keep: usize) -> Result<Vec<u8>, EncodeError> {
        let bytes = self.compact()?;
        // The base seq compact() wrote in the header (the first point's, minus one).
        let base = self.live.iter().next().map_or(0, |(seq, _)| seq - 1);
        let tail: Vec<(u64, u32)> = self
            .live
            .iter()
            .skip(keep)
            .map(|(seq, live)| (seq, live.bytes))
            .collect();
        let Some(&(first, _)) = tail.first() else {
            return Ok(bytes);
        };
        let all: u64 = self.live.iter().map(|(_, l)| u64::from(l.bytes)).sum();
        let spilled: u64 = tail.iter().map(|(_, b)| u64::from(*b)).sum();
        let header = bytes.len() as u64 - all;
        let offset = bytes.len() as u64 - spilled;
        // The context at `offset`: the kept records decoded from the header's.
        let mut ctx = Context::after_header(base);
        let kept = bytes
            .get(header as usize..offset as usize)
            .unwrap_or_default();
        decode_more(kept, &mut ctx, usize::MAX).map_err(|_| EncodeError::Spilled)?;
        for (seq, _) in &tail {
            if let Some(live) = self.live.remove(*seq) {
                self.forget(&live);
            }
        }
        // They come back with these seqs when read back.
        self.live.drop_removed();
        self.spill = Some(Spill {
            offset,
            ctx,
            count: tail.len(),
            last_seq: tail.last().map_or(first, |(seq, _)| *seq),
        });
        Ok(bytes)
    }

    /// Takes a removed live point out of the index and the byte count.
    fn forget(&mut self, live: &Live) {
        self.live_bytes = self.live_bytes.saturating_sub(u64::from(live.bytes));
        self.index
            .remove(&(std::rc::Rc::clone(&live.name), live.step.unwrap_or(0)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::journal::format::JournalHeader;

    fn header() -> JournalHeader {
        JournalHeader {
            job_id: 3,
            base_url: "http://127.0.0.1:5000/api/v1".into(),
        }
    }

    /// Reads every spilled point back from `file`, `chunk` bytes and `room` points at a time.
    fn drain(j: &mut Journal, file: &[u8], chunk: usize, room: usize) -> Vec<LoggedPoint> {
        let mut out = Vec::new();
        while let Some(offset) = j.spill_offset() {
            let from = offset as usize;
            let mut len = chunk;
            loop {
                let bytes = &file[from..(from + len).min(file.len())];
                let before = out.len();
                out.extend(j.read_back(bytes, room).unwrap());
                if out.len() > before || j.spill_offset() != Some(offset) {
                    break;
                }
                assert!(from + len < file.len(), "stuck at {offset}");
                len *= 2;
            }
        }
        out
    }

    #[test]
    fn spilled_points_come_back_in_order_past_acks_and_overwrites() {
        let (mut j, mut file) = Journal::create(header()).unwrap();
        let mut acks = Vec::new();
        for step in 0..5 {
            j.log(
                "m",
                f64::from(step),
                Some(i64::from(step)),
                Some(1e12),
                &mut file,
            )
            .unwrap();
        }
        let mut spilled = Vec::new();
        for step in 0..40i64 {
            // Steps 0..5 overwrite points in memory; 30..40 overwrite spilled ones (10..20).
            let key = if step >= 30 { step - 20 } else { step };
            let value = step as f64 + 0.5;
            let seq = j
                .log_spilled("m", value, Some(key), Some(1e12 + step as f64), &mut file)
                .unwrap();
            spilled.push((seq, key, value));
            if step == 7 {
                // A point in memory stored meanwhile: its acknowledgement lands among the spill.
                j.ack(&[2], &mut acks).unwrap();
                file.append(&mut acks);
            }
        }
        assert!(j.is_spilling());
        assert_eq!(j.spilled(), 40);
        assert_eq!(j.len(), 44);
        assert!(!j.should_compact());
        assert_eq!(j.compact(), Err(EncodeError::Spilled));
        let back = drain(&mut j, &file, 11, 3);
        assert!(!j.is_spilling());
        let got: Vec<(u64, i64, f64)> = back
            .iter()
            .map(|p| (p.seq, p.step.unwrap(), p.value))
            .collect();
        assert_eq!(got, spilled);
        // Last write wins again once read back: keys 0..30, one point each.
        let keys: Vec<i64> = j.points().map(|p| p.step.unwrap()).collect();
        assert_eq!(keys.len(), 30, "one held point per key: {keys:?}");
        let seqs: Vec<u64> = j.points().map(|p| p.seq).collect();
        let mut out = Vec::new();
        assert_eq!(j.ack(&seqs, &mut out).unwrap(), 30);
        assert!(j.is_empty());
        assert!(j.compact().is_ok());
    }

    #[test]
    fn opening_a_journal_larger_than_the_queue_keeps_the_rest_on_disk() {
        let (mut j, mut file) = Journal::create(header()).unwrap();
        for step in 0..50i64 {
            let ts = Some(1e12 + (step * 7 % 13) as f64);
            j.log("x", step as f64, Some(step), ts, &mut file).unwrap();
        }
        let mut out = Vec::new();
        j.ack(&[1, 2, 3], &mut out).unwrap();
        file.extend(out);
        let all: Vec<LoggedPoint> = Journal::open(&file, &header())
            .unwrap()
            .journal
            .points()
            .collect();
        let mut opened = Journal::open(&file, &header()).unwrap().journal;
        let rewrite = opened.compact_keeping(10).unwrap();
        assert_eq!(opened.points().count(), 10);
        assert_eq!(opened.spilled(), 37);
        assert_eq!(opened.len(), 47);
        // The rewritten file is a whole journal: reopened, it holds every point.
        let reopened: Vec<LoggedPoint> = Journal::open(&rewrite, &header())
            .unwrap()
            .journal
            .points()
            .collect();
        assert_eq!(reopened, all);
        let mut back: Vec<LoggedPoint> = opened.points().collect();
        back.extend(drain(&mut opened, &rewrite, 64, 5));
        assert_eq!(back, all);
        // And they are held again, to be acknowledged.
        assert_eq!(opened.points().collect::<Vec<_>>(), all);
    }
}
