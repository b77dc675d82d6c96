//! Property tests of the durable journal (`core::journal`): a writer that logs, acknowledges,
//! compacts, crashes (its file cut at any byte after the last atomic rewrite) and replays,
//! checked against a naive model of what the journal must hold.
//!
//! The model keeps every record the writer was asked for, with the byte offset where it ends.
//! After a crash at byte `cut`, the records ending at or before `cut` were fully written; the
//! points to send are then, per (name, step or 0), the fully written point with the highest seq,
//! unless a fully written acknowledgement names that seq, in seq order. Replay must give exactly
//! those points, bit for bit: nothing fully written and unacknowledged lost, nothing acknowledged
//! brought back unless written again later, no older value sent for a key instead of a newer one.
//!
//! As in tests/properties.rs: bounded case counts, no regression files, random seeds
//! (`PROPTEST_RNG_SEED=<u64>` fixes one).

use std::collections::{BTreeMap, HashSet};

use proptest::prelude::*;
use proptest::sample::Index;

use dioptra_metrics::core::journal::{
    decode, Journal, JournalHeader, LoggedPoint, OpenError, Record, Tail,
};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn header() -> JournalHeader {
    JournalHeader {
        job_id: 42,
        base_url: "http://127.0.0.1:5000/api/v1".into(),
    }
}

/// A point as compared: seq, name, step, value bits, timestamp bits.
type Seen = (u64, String, Option<i64>, u64, Option<u64>);

fn seen(p: &LoggedPoint) -> Seen {
    (
        p.seq,
        p.name.clone(),
        p.step,
        p.value.to_bits(),
        p.timestamp_ms.map(f64::to_bits),
    )
}

#[derive(Debug, Clone)]
enum Op {
    /// Log one point (few names and steps, so keys repeat and values overwrite).
    Log {
        name: usize,
        step: Option<i64>,
        value: u64,
        timestamp: Option<f64>,
    },
    /// Acknowledge some held points, and maybe a stale seq (an overwritten or settled one).
    Ack {
        held: Vec<Index>,
        stale: Option<Index>,
    },
    /// Compact now if the rule says so, or regardless.
    Compact { force: bool },
    /// The process dies; the file keeps its bytes up to a point after the last rewrite; a new
    /// process opens it.
    Crash { cut: Index },
    /// A clean close and reopen.
    Reopen,
}

const NAMES: [&str; 3] = ["loss", "acc", "a_rather_long_metric_name_for_size"];

fn op() -> impl Strategy<Value = Op> {
    let timestamp = prop_oneof![
        2 => Just(None),
        4 => (1_764_000_000_000i64..1_764_000_100_000).prop_map(|ms| Some(ms as f64)),
        1 => any::<f64>().prop_map(Some),
        1 => Just(Some(-0.0)),
    ];
    let value = prop_oneof![
        4 => any::<u64>(),
        1 => Just(f64::NAN.to_bits()),
        1 => Just((-0.0f64).to_bits()),
        1 => Just(f64::NEG_INFINITY.to_bits()),
    ];
    let step = prop_oneof![1 => Just(None), 4 => (-1i64..5).prop_map(Some), 1 => any::<i64>().prop_map(Some)];
    prop_oneof![
        12 => (0..NAMES.len(), step, value, timestamp).prop_map(|(name, step, value, timestamp)| Op::Log {
            name,
            step,
            value,
            timestamp,
        }),
        5 => (prop::collection::vec(any::<Index>(), 0..4), prop::option::of(any::<Index>()))
            .prop_map(|(held, stale)| Op::Ack { held, stale }),
        2 => any::<bool>().prop_map(|force| Op::Compact { force }),
        2 => any::<Index>().prop_map(|cut| Op::Crash { cut }),
        1 => Just(Op::Reopen),
    ]
}

#[derive(Debug, Clone)]
enum Event {
    Logged(LoggedPoint),
    Acked(Vec<u64>),
}

/// The naive model: what must be sent after the records `events` (in write order).
fn expected<'a>(events: impl Iterator<Item = &'a Event>) -> Vec<Seen> {
    let mut latest: BTreeMap<(String, i64), LoggedPoint> = BTreeMap::new();
    let mut acked: HashSet<u64> = HashSet::new();
    for event in events {
        match event {
            Event::Logged(p) => {
                let key = (p.name.clone(), p.step.unwrap_or(0));
                if latest.get(&key).is_none_or(|old| old.seq < p.seq) {
                    latest.insert(key, p.clone());
                }
            }
            Event::Acked(seqs) => acked.extend(seqs),
        }
    }
    let mut points: Vec<Seen> = latest
        .values()
        .filter(|p| !acked.contains(&p.seq))
        .map(seen)
        .collect();
    points.sort_by_key(|p| p.0);
    points
}

/// The writer process and its file, and the model's record of what was written.
struct Sim {
    journal: Journal,
    file: Vec<u8>,
    /// Bytes that were written by an atomic rewrite: a crash never cuts inside them.
    floor: usize,
    /// (end offset, record) of everything the current file holds.
    events: Vec<(usize, Event)>,
    /// Seqs this process logged (for stale acknowledgements).
    issued: Vec<u64>,
}

impl Sim {
    fn points(journal: &Journal) -> Vec<Seen> {
        journal.points().map(|p| seen(&p)).collect()
    }

    /// Starts over from `journal` and the `rewrite` bytes that replaced the file.
    fn rewritten(&mut self, journal: Journal, rewrite: Vec<u8>) -> Result<(), TestCaseError> {
        let live = Sim::points(&journal);
        let decoded = decode(&rewrite);
        prop_assert_eq!(&decoded.tail, &Tail::Clean);
        let in_file: Vec<Seen> = decoded
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Logged(p) => Some(seen(p)),
                _ => None,
            })
            .collect();
        prop_assert_eq!(&in_file, &live, "the compacted bytes hold the live points");
        self.floor = rewrite.len();
        self.events = journal
            .points()
            .map(|p| (rewrite.len(), Event::Logged(p)))
            .collect();
        self.journal = journal;
        self.file = rewrite;
        Ok(())
    }

    /// The process dies with `cut` bytes of its file written; a new one opens the journal.
    fn crash_at(&mut self, cut: usize) -> Result<(), TestCaseError> {
        let want = expected(
            self.events
                .iter()
                .filter(|(end, _)| *end <= cut)
                .map(|(_, e)| e),
        );
        let boundary = cut == self.floor || self.events.iter().any(|(end, _)| *end == cut);
        let opened = Journal::open(&self.file[..cut], &header())
            .map_err(|e| TestCaseError::fail(format!("cut at {cut}: {e}")))?;
        prop_assert_eq!(&Sim::points(&opened.journal), &want, "cut at {}", cut);
        prop_assert_eq!(opened.torn.is_some(), !boundary, "cut at {}", cut);
        self.issued.clear();
        self.rewritten(opened.journal, opened.rewrite)
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::Log {
                name,
                step,
                value,
                timestamp,
            } => {
                let name = NAMES.get(*name).copied().unwrap_or("x");
                let value = f64::from_bits(*value);
                let seq = self
                    .journal
                    .log(name, value, *step, *timestamp, &mut self.file)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(self.issued.last().is_none_or(|last| *last < seq));
                self.issued.push(seq);
                let point = LoggedPoint {
                    seq,
                    name: name.to_owned(),
                    value,
                    step: *step,
                    timestamp_ms: *timestamp,
                };
                self.events.push((self.file.len(), Event::Logged(point)));
            }
            Op::Ack { held, stale } => {
                let live: Vec<u64> = self.journal.points().map(|p| p.seq).collect();
                let mut seqs: Vec<u64> = if live.is_empty() {
                    Vec::new()
                } else {
                    held.iter().map(|i| *i.get(&live)).collect()
                };
                if let (Some(i), false) = (stale, self.issued.is_empty()) {
                    seqs.push(*i.get(&self.issued));
                }
                self.journal
                    .ack(&seqs, &mut self.file)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                self.events.push((self.file.len(), Event::Acked(seqs)));
            }
            Op::Compact { force } => {
                if *force || self.journal.should_compact() {
                    let bytes = self
                        .journal
                        .compact()
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let journal = std::mem::replace(
                        &mut self.journal,
                        Journal::create(header())
                            .map_err(|e| TestCaseError::fail(e.to_string()))?
                            .0,
                    );
                    self.rewritten(journal, bytes)?;
                }
            }
            Op::Crash { cut } => {
                let cut = self.floor + cut.index(self.file.len() - self.floor + 1);
                self.crash_at(cut)?;
            }
            Op::Reopen => {
                let opened = Journal::open(&self.file, &header())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(opened.torn, None);
                prop_assert_eq!(Sim::points(&opened.journal), Sim::points(&self.journal));
                self.issued.clear();
                self.rewritten(opened.journal, opened.rewrite)?;
            }
        }
        // The writer's own state is the model's, and it knows the file's size.
        prop_assert_eq!(
            Sim::points(&self.journal),
            expected(self.events.iter().map(|(_, e)| e))
        );
        prop_assert_eq!(self.journal.file_bytes(), self.file.len() as u64);
        Ok(())
    }
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn log_ack_compact_crash_replay_keeps_exactly_the_unacknowledged_last_writes(
        ops in prop::collection::vec(op(), 1..120)
    ) {
        let (journal, file) = Journal::create(header()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut sim = Sim { journal, floor: file.len(), file, events: Vec::new(), issued: Vec::new() };
        for op in &ops {
            sim.step(op)?;
        }
        // And a last crash at the very end: a clean replay.
        let end = sim.file.len();
        sim.crash_at(end)?;
    }

    #[test]
    fn one_damaged_byte_before_the_last_record_is_always_found(
        ops in prop::collection::vec(op(), 2..60),
        at in any::<Index>(),
        xor in 1u8..=255,
    ) {
        let (journal, file) = Journal::create(header()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut sim = Sim { journal, floor: file.len(), file, events: Vec::new(), issued: Vec::new() };
        for op in ops.iter().filter(|op| matches!(op, Op::Log { .. } | Op::Ack { .. })) {
            sim.step(op)?;
        }
        let last_start = sim
            .events
            .iter()
            .rev()
            .map(|(end, _)| *end)
            .find(|end| *end < sim.file.len())
            .unwrap_or(sim.floor);
        let at = at.index(sim.file.len());
        let mut damaged = sim.file.clone();
        damaged[at] ^= xor;
        match Journal::open(&damaged, &header()) {
            Err(OpenError::Corrupt { .. }) => {}
            // Inside the last record it may also read as a torn write: then what comes before
            // it is kept.
            Ok(opened) if at >= last_start => {
                prop_assert!(opened.torn.is_some());
                let want = expected(sim.events.iter().filter(|(end, _)| *end <= last_start).map(|(_, e)| e));
                prop_assert_eq!(Sim::points(&opened.journal), want);
            }
            other => prop_assert!(false, "byte {} of {} xor {:#x}: {:?}", at, sim.file.len(), xor, other.map(|o| o.torn)),
        }
    }

    #[test]
    fn any_bytes_decode_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let decoded = decode(&bytes);
        prop_assert!(decoded.valid_len <= bytes.len());
        let _ = Journal::open(&bytes, &header());
    }
}
