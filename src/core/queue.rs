//! The logger's queue: coalescing, one request per (name, step) at a time, retries, and the
//! bookkeeping that lets `flush()` know when everything logged before it is settled.
//!
//! Every logged point gets a sequence number. An entry is the latest value for one
//! (name, step) key and covers the sequence numbers of every value it replaced. Points are
//! sent in the order their keys were first logged. A key in flight is never sent again until
//! that request is over; a value logged meanwhile waits, and replaces the in-flight one if
//! that one fails. So the value logged last for a key is the one the server keeps.

use std::rc::Rc;

use crate::core::error::Error;
use crate::core::keyset::{NameStep, NameStepMap};

mod failures;
mod store;

use store::{Entry, Store};

/// What is sent for one point.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedPoint {
    /// A valid metric name.
    pub name: String,
    /// The value.
    pub value: f64,
    /// The step, or `None` to leave it to the server (0).
    pub step: Option<i64>,
    /// RFC 3339 text, or `None` for the server's clock.
    pub timestamp: Option<String>,
}

impl QueuedPoint {
    /// The point's key on the server: (name, step), where no step means 0.
    pub fn key(&self) -> Key {
        (self.name.clone(), self.step.unwrap_or(0))
    }
}

/// (name, step): the server's primary key within a job.
pub type Key = (String, i64);

/// A point given up on, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The point, as last logged.
    pub point: QueuedPoint,
    /// The oldest sequence number it settles.
    pub first_seq: u64,
    /// The error of the last attempt.
    pub error: Error,
}

/// Counters, as `logger.stats` shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Points waiting to be sent.
    pub queued: usize,
    /// Requests under way.
    pub in_flight: usize,
    /// Points stored by the server.
    pub sent: u64,
    /// Retries made.
    pub retried: u64,
    /// Points replaced by a later value for the same (name, step) before being stored.
    pub coalesced: u64,
    /// Points given up on.
    pub failed: u64,
}

/// What became of a failed request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It will be tried again after this many ms.
    Retry(f64),
    /// A later value for its key was logged meanwhile and will be sent instead, after the
    /// same wait a retry would have had.
    Superseded,
    /// Given up on (with the later value for its key, if one was waiting).
    Failed(Failure),
}

/// Why `log()` took nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The queue holds as many points as it may (`max_queue`): room comes as points are sent.
    Full(usize),
    /// One call names more new points than the queue can ever hold.
    TooMany {
        /// New points in the call.
        points: usize,
        /// The bound.
        max_queue: usize,
    },
}

/// The queue (see the module docs). Every operation costs O(log n) in the points held
/// (plus the few keys in flight), so a queue of 100,000 points drains in linear time.
#[derive(Debug)]
pub struct MetricQueue {
    store: Store,
    failures: Vec<Failure>,
    next_seq: u64,
    max_queue: usize,
    /// Per-name next steps (never negative), when steps are numbered automatically. Keyed
    /// (name, 0): the core's one hash-map type (see [`NameStepMap`]).
    auto_steps: Option<NameStepMap>,
    stats: Stats,
}

impl MetricQueue {
    /// An empty queue holding at most `max_queue` points; with `auto_steps`, a point logged
    /// without a step gets its name's next step (0, 1, 2, ...).
    pub fn new(max_queue: usize, auto_steps: bool) -> Self {
        MetricQueue {
            store: Store::default(),
            failures: Vec::new(),
            next_seq: 1,
            max_queue: max_queue.max(1),
            auto_steps: auto_steps.then(NameStepMap::default),
            stats: Stats::default(),
        }
    }

    /// Points held (waiting or in flight).
    pub fn len(&self) -> usize {
        self.store.pending_len() + self.store.in_flight_len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many points are waiting to be sent.
    pub fn waiting(&self) -> usize {
        self.store.pending_len()
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        Stats {
            queued: self.store.pending_len(),
            in_flight: self.store.in_flight_len(),
            ..self.stats
        }
    }

    /// The sequence number of the latest point logged (0 before any).
    pub fn mark(&self) -> u64 {
        self.next_seq - 1
    }

    /// Whether every point logged up to `mark` is stored or given up on.
    pub fn is_settled(&self, mark: u64) -> bool {
        self.store.oldest().is_none_or(|oldest| oldest > mark)
    }

    /// Logs `values` (name, value) at `step` (or the next automatic step, or none) and
    /// `timestamp`, all or none: if they do not fit, nothing is logged. (As [`Self::log_at`]
    /// at time 0.)
    pub fn log(
        &mut self,
        values: &[(String, f64)],
        step: Option<i64>,
        timestamp: Option<&str>,
    ) -> Result<(), Refusal> {
        self.log_at(values, step, timestamp, 0.0)
    }

    /// [`Self::log`] at `now` (ms since the epoch): how long a point has waited counts from
    /// there.
    pub fn log_at(
        &mut self,
        values: &[(String, f64)],
        step: Option<i64>,
        timestamp: Option<&str>,
        now: f64,
    ) -> Result<(), Refusal> {
        let steps: Vec<Option<i64>> = values
            .iter()
            .map(|(name, _)| self.step_for(name, step))
            .collect();
        let new_keys = values
            .iter()
            .zip(&steps)
            .filter(|((name, _), s)| {
                let slot = self.store.find(&(name.clone(), s.unwrap_or(0)));
                !slot.is_some_and(|at| self.store.has_pending(at))
            })
            .count();
        if new_keys > self.max_queue {
            return Err(Refusal::TooMany {
                points: new_keys,
                max_queue: self.max_queue,
            });
        }
        if self.len() + new_keys > self.max_queue {
            return Err(Refusal::Full(self.max_queue));
        }
        self.note_steps(values, &steps);
        for ((name, value), step) in values.iter().zip(steps) {
            let point = QueuedPoint {
                name: name.clone(),
                value: *value,
                step,
                timestamp: timestamp.map(str::to_owned),
            };
            let seq = self.next_seq;
            self.next_seq += 1;
            let held = self.store.find(&point.key());
            if let Some(entry) = held.and_then(|at| self.store.pending_mut(at)) {
                entry.point = point; // The last value logged wins; the entry keeps its place.
                self.stats.coalesced += 1;
            } else {
                self.store.hold_new(Entry {
                    point,
                    first_seq: seq,
                    attempts: 0,
                    not_before: 0,
                    logged_at: now,
                    failing_since: None,
                });
            }
        }
        Ok(())
    }

    /// Moves the automatic step counters past `steps` (as the queue resolved them for
    /// `values`), as logging them does: for points journaled without being queued too.
    pub fn note_steps(&mut self, values: &[(String, f64)], steps: &[Option<i64>]) {
        let Some(counters) = self.auto_steps.as_mut() else {
            return;
        };
        for ((name, _), step) in values.iter().zip(steps) {
            if let Some(step) = step {
                // The counter only moves on: a lower explicit step never makes later
                // automatic steps overwrite what was logged.
                let after = u64::try_from(step.saturating_add(1)).unwrap_or(0);
                let key: NameStep = (Rc::from(name.as_str()), 0);
                match counters.get_mut(&key) {
                    Some(next) => *next = (*next).max(after),
                    None => {
                        counters.insert(key, after);
                    }
                }
            }
        }
    }

    /// How many more points (new keys) fit before the queue is full.
    pub fn room(&self) -> usize {
        self.max_queue.saturating_sub(self.len())
    }

    /// The step a point of `name` logged now with `step` gets: `step`, else the name's next
    /// automatic step (with `step: "auto"`), else none.
    pub fn step_for(&self, name: &str, step: Option<i64>) -> Option<i64> {
        match (&self.auto_steps, step) {
            (_, Some(step)) => Some(step),
            (Some(counters), None) => {
                let next = counters.get(&(Rc::from(name), 0)).copied().unwrap_or(0);
                Some(i64::try_from(next).unwrap_or(i64::MAX))
            }
            (None, None) => None,
        }
    }

    /// The next point to send at `now` (ms), moved to in flight: the earliest-logged key that
    /// is not in flight and not waiting out a retry delay.
    pub fn next(&mut self, now: f64) -> Option<QueuedPoint> {
        self.store.send_next(now)
    }

    /// The earliest-logged point not in flight, moved to in flight, whatever retry delay it
    /// waits out: the probe of a paused sender, whose own schedule decides when to send.
    pub fn next_probe(&mut self) -> Option<QueuedPoint> {
        self.store.send_oldest()
    }

    /// The points held (pending or in flight) that settle sequence numbers up to `mark`, in
    /// the order logged, `limit` at most.
    pub fn held_up_to(&self, mark: u64, limit: usize) -> Vec<QueuedPoint> {
        self.store
            .held_up_to(mark)
            .take(limit)
            .map(|entry| entry.point.clone())
            .collect()
    }

    /// How many held points settle sequence numbers up to `mark`.
    pub fn count_held_up_to(&self, mark: u64) -> usize {
        self.store.count_held_up_to(mark)
    }

    /// How long until a waiting point may be sent (0 if one may now), or `None` if every
    /// waiting key is in flight, or nothing waits.
    pub fn next_due_in(&self, now: f64) -> Option<f64> {
        self.store.next_due_in(now)
    }

    /// Puts the point `next()` just gave for `key` back, unsent, at its place.
    pub fn unsend(&mut self, key: &Key) {
        let Some(at) = self.store.find(key) else {
            return;
        };
        let Some(entry) = self.store.take_in_flight(at) else {
            return;
        };
        match self.store.release(at) {
            // A value logged since: it stays, and covers this one too.
            Some(newer) => self.store.hold(
                at,
                Entry {
                    first_seq: newer.first_seq.min(entry.first_seq),
                    ..newer
                },
            ),
            None => self.store.hold(at, entry),
        }
    }

    /// The request for `key` succeeded.
    pub fn succeeded(&mut self, key: &Key) {
        if self.end_in_flight(key) {
            self.stats.sent += 1;
        }
    }

    /// Forgets `key`'s in-flight entry (a value logged for it since stays pending): whether
    /// there was one.
    fn end_in_flight(&mut self, key: &Key) -> bool {
        let Some(at) = self.store.find(key) else {
            return false;
        };
        let ended = self.store.take_in_flight(at).is_some();
        if ended {
            self.store.tidy(at);
        }
        ended
    }
}

#[cfg(test)]
mod tests;
