//! Property tests of spilling (`core::journal`, points past `maxQueue` kept on disk only and
//! read back in order): any sequence of log / read back / acknowledge / compact / crash keeps
//! exactly what the naive model of tests/journal_properties.rs says must be sent, hands every
//! point out at most once, and never hands out an older value of a (name, step) after a newer
//! one (so the last write wins on the server).
//!
//! As in tests/properties.rs: bounded case counts, no regression files, random seeds
//! (`PROPTEST_RNG_SEED=<u64>` fixes one).

use std::collections::{BTreeMap, HashMap, HashSet};

use proptest::prelude::*;
use proptest::sample::Index;

use dioptra_metrics::core::journal::{Journal, JournalHeader, LoggedPoint};

fn header() -> JournalHeader {
    JournalHeader {
        job_id: 9,
        base_url: "http://127.0.0.1:5000/api/v1".into(),
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Log a point: into memory while fewer than the limit are held and nothing is spilled,
    /// else spilled.
    Log { name: usize, step: i64, value: u32 },
    /// Read back at most `room` spilled points from a piece of the file of `len` bytes.
    ReadBack { room: usize, len: usize },
    /// The server stored some of the points handed out.
    Ack { which: Vec<Index> },
    /// Compact when due (never while points are spilled).
    Compact,
    /// The process dies; its file (every append was whole) is opened by the next one, which
    /// keeps `limit` points in memory and spills the rest.
    Crash,
}

const NAMES: [&str; 2] = ["loss", "acc"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (0..NAMES.len(), 0i64..6, any::<u32>()).prop_map(|(name, step, value)| Op::Log { name, step, value }),
        4 => (1usize..5, 1usize..80).prop_map(|(room, len)| Op::ReadBack { room, len }),
        4 => prop::collection::vec(any::<Index>(), 0..4).prop_map(|which| Op::Ack { which }),
        1 => Just(Op::Compact),
        1 => Just(Op::Crash),
    ]
}

/// What must be sent: per key the last logged point unless acknowledged, in seq order.
fn expected(logged: &[LoggedPoint], acked: &HashSet<u64>) -> Vec<u64> {
    let mut latest: BTreeMap<(String, i64), u64> = BTreeMap::new();
    for p in logged {
        latest.insert((p.name.clone(), p.step.unwrap_or(0)), p.seq);
    }
    let mut seqs: Vec<u64> = latest
        .into_values()
        .filter(|s| !acked.contains(s))
        .collect();
    seqs.sort_unstable();
    seqs
}

struct Sim {
    journal: Journal,
    file: Vec<u8>,
    limit: usize,
    logged: Vec<LoggedPoint>,
    acked: HashSet<u64>,
    /// Seqs handed out (queued) by this process, in order, and the last one per key.
    handed: HashSet<u64>,
    last_by_key: HashMap<(String, i64), u64>,
}

impl Sim {
    fn hand_out(&mut self, p: &LoggedPoint) -> Result<(), TestCaseError> {
        prop_assert!(self.handed.insert(p.seq), "seq {} handed out twice", p.seq);
        let key = (p.name.clone(), p.step.unwrap_or(0));
        if let Some(last) = self.last_by_key.insert(key, p.seq) {
            prop_assert!(
                last < p.seq,
                "seq {} handed out after the newer {}",
                p.seq,
                last
            );
        }
        Ok(())
    }

    fn open(&mut self) -> Result<(), TestCaseError> {
        let opened =
            Journal::open(&self.file, &header()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut journal = opened.journal;
        let all: Vec<LoggedPoint> = journal.points().collect();
        let seqs: Vec<u64> = all.iter().map(|p| p.seq).collect();
        prop_assert_eq!(&seqs, &expected(&self.logged, &self.acked), "replayed");
        // The model starts over from what was replayed (seqs of points acknowledged and
        // compacted away may be given again).
        self.logged = all;
        self.acked.clear();
        self.file = journal
            .compact_keeping(self.limit)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        self.journal = journal;
        self.handed.clear();
        self.last_by_key.clear();
        let kept: Vec<LoggedPoint> = self.journal.points().collect();
        for p in &kept {
            self.hand_out(p)?;
        }
        Ok(())
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::Log { name, step, value } => {
                let name = NAMES.get(*name).copied().unwrap_or("x");
                let value = f64::from(*value);
                let in_memory =
                    !self.journal.is_spilling() && self.journal.points().count() < self.limit;
                let seq = if in_memory {
                    self.journal
                        .log(name, value, Some(*step), None, &mut self.file)
                } else {
                    self.journal
                        .log_spilled(name, value, Some(*step), None, &mut self.file)
                }
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let point = LoggedPoint {
                    seq,
                    name: name.to_owned(),
                    value,
                    step: Some(*step),
                    timestamp_ms: None,
                };
                if in_memory {
                    self.hand_out(&point)?;
                }
                self.logged.push(point);
            }
            Op::ReadBack { room, len } => {
                if let Some(offset) = self.journal.spill_offset() {
                    let from = offset as usize;
                    let piece = &self.file[from..(from + len).min(self.file.len())];
                    let back = self
                        .journal
                        .read_back(piece, *room)
                        .map_err(TestCaseError::fail)?;
                    prop_assert!(back.len() <= *room);
                    for p in &back {
                        self.hand_out(p)?;
                    }
                }
            }
            Op::Ack { which } => {
                let held: Vec<u64> = self.journal.points().map(|p| p.seq).collect();
                if !held.is_empty() {
                    let seqs: Vec<u64> = which.iter().map(|i| *i.get(&held)).collect();
                    self.journal
                        .ack(&seqs, &mut self.file)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    self.acked.extend(seqs);
                }
            }
            Op::Compact => {
                if self.journal.should_compact() {
                    prop_assert!(!self.journal.is_spilling());
                    self.file = self
                        .journal
                        .compact()
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                }
            }
            Op::Crash => self.open()?,
        }
        prop_assert_eq!(self.journal.file_bytes(), self.file.len() as u64);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn spilling_keeps_the_last_writes_and_never_hands_out_an_older_value_after_a_newer(
        limit in 1usize..6,
        ops in prop::collection::vec(op(), 1..150),
    ) {
        let (journal, file) = Journal::create(header()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut sim = Sim {
            journal,
            file,
            limit,
            logged: Vec::new(),
            acked: HashSet::new(),
            handed: HashSet::new(),
            last_by_key: HashMap::new(),
        };
        for op in &ops {
            sim.step(op)?;
        }
        // Everything read back: the journal holds exactly what the model says is unsent.
        while sim.journal.is_spilling() {
            sim.step(&Op::ReadBack { room: 3, len: 64 })?;
        }
        let held: Vec<u64> = sim.journal.points().map(|p| p.seq).collect();
        prop_assert_eq!(held, expected(&sim.logged, &sim.acked));
        // And a crash replays the same.
        sim.step(&Op::Crash)?;
    }
}
