//! The logger's queue: coalescing, one request per (name, step) at a time, retries, and the
//! bookkeeping that lets `flush()` know when everything logged before it is settled.
//!
//! Every logged point gets a sequence number. An entry is the latest value for one
//! (name, step) key and covers the sequence numbers of every value it replaced. Points are
//! sent in the order their keys were first logged. A key in flight is never sent again until
//! that request is over; a value logged meanwhile waits, and replaces the in-flight one if
//! that one fails. So the value logged last for a key is the one the server keeps.

use std::collections::{BTreeMap, HashMap};

use crate::core::error::Error;
use crate::core::retry::RetryPolicy;

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

#[derive(Debug, Clone)]
struct Entry {
    point: QueuedPoint,
    /// The oldest sequence number this entry settles (its place in the order, too).
    first_seq: u64,
    /// Failed attempts so far (for its key: a value that replaces a failed one inherits them).
    attempts: u32,
    /// Not to be sent before this time (ms since the epoch), after a failure; 0 when ready.
    not_before: u64,
    /// When its key was first logged (ms since the epoch).
    logged_at: f64,
    /// When its key's first failed attempt (since the last success) ended, if one did.
    failing_since: Option<f64>,
}

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
    pending: HashMap<Key, Entry>,
    in_flight: HashMap<Key, Entry>,
    /// Every held entry (pending or in flight) by its `first_seq`: what `flush()` waits for.
    order: BTreeMap<u64, Key>,
    /// Pending entries that may be sent now, by `first_seq`.
    ready: BTreeMap<u64, Key>,
    /// Pending entries waiting out a retry delay, by (`not_before`, `first_seq`).
    delayed: BTreeMap<(u64, u64), Key>,
    failures: Vec<Failure>,
    next_seq: u64,
    max_queue: usize,
    /// Per-name step counters, when steps are numbered automatically.
    auto_steps: Option<HashMap<String, i64>>,
    stats: Stats,
}

impl MetricQueue {
    /// An empty queue holding at most `max_queue` points; with `auto_steps`, a point logged
    /// without a step gets its name's next step (0, 1, 2, ...).
    pub fn new(max_queue: usize, auto_steps: bool) -> Self {
        MetricQueue {
            pending: HashMap::new(),
            in_flight: HashMap::new(),
            order: BTreeMap::new(),
            ready: BTreeMap::new(),
            delayed: BTreeMap::new(),
            failures: Vec::new(),
            next_seq: 1,
            max_queue: max_queue.max(1),
            auto_steps: auto_steps.then(HashMap::new),
            stats: Stats::default(),
        }
    }

    /// Points held (waiting or in flight).
    pub fn len(&self) -> usize {
        self.pending.len() + self.in_flight.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many points are waiting to be sent.
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        Stats {
            queued: self.pending.len(),
            in_flight: self.in_flight.len(),
            ..self.stats
        }
    }

    /// The sequence number of the latest point logged (0 before any).
    pub fn mark(&self) -> u64 {
        self.next_seq - 1
    }

    /// Whether every point logged up to `mark` is stored or given up on.
    pub fn is_settled(&self, mark: u64) -> bool {
        self.order.keys().next().is_none_or(|oldest| *oldest > mark)
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
            .filter(|((name, _), s)| !self.pending.contains_key(&(name.clone(), s.unwrap_or(0))))
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
            let key = point.key();
            if let Some(entry) = self.pending.get_mut(&key) {
                entry.point = point; // The last value logged wins; the entry keeps its place.
                self.stats.coalesced += 1;
            } else {
                self.hold(
                    key,
                    Entry {
                        point,
                        first_seq: seq,
                        attempts: 0,
                        not_before: 0,
                        logged_at: now,
                        failing_since: None,
                    },
                );
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
                let next = counters.entry(name.clone()).or_insert(0);
                *next = (*next).max(step.saturating_add(1));
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
            (Some(counters), None) => Some(counters.get(name).copied().unwrap_or(0)),
            (None, None) => None,
        }
    }

    /// Puts `entry` among the pending ones, ready or delayed.
    fn hold(&mut self, key: Key, entry: Entry) {
        self.order.insert(entry.first_seq, key.clone());
        if entry.not_before == 0 {
            self.ready.insert(entry.first_seq, key.clone());
        } else {
            self.delayed
                .insert((entry.not_before, entry.first_seq), key.clone());
        }
        self.pending.insert(key, entry);
    }

    /// Takes `key`'s pending entry out of every index.
    fn release(&mut self, key: &Key) -> Option<Entry> {
        let entry = self.pending.remove(key)?;
        self.order.remove(&entry.first_seq);
        self.ready.remove(&entry.first_seq);
        self.delayed.remove(&(entry.not_before, entry.first_seq));
        Some(entry)
    }

    /// Moves the delayed entries whose time has come to the ready ones.
    fn promote(&mut self, now: f64) {
        while let Some((&(not_before, seq), _)) = self.delayed.first_key_value() {
            if not_before as f64 > now {
                break;
            }
            if let Some(key) = self.delayed.remove(&(not_before, seq)) {
                self.ready.insert(seq, key);
            }
        }
    }

    /// The next point to send at `now` (ms), moved to in flight: the earliest-logged key that
    /// is not in flight and not waiting out a retry delay.
    pub fn next(&mut self, now: f64) -> Option<QueuedPoint> {
        self.promote(now);
        // Keys in flight are skipped: at most as many as there are requests under way.
        let key = self
            .ready
            .values()
            .find(|key| !self.in_flight.contains_key(*key))?
            .clone();
        self.take_off(key)
    }

    /// The earliest-logged point not in flight, moved to in flight, whatever retry delay it
    /// waits out: the probe of a paused sender, whose own schedule decides when to send.
    pub fn next_probe(&mut self) -> Option<QueuedPoint> {
        let key = self
            .order
            .values()
            .find(|key| self.pending.contains_key(*key) && !self.in_flight.contains_key(*key))?
            .clone();
        self.take_off(key)
    }

    /// Moves `key`'s pending entry to in flight; gives its point.
    fn take_off(&mut self, key: Key) -> Option<QueuedPoint> {
        let entry = self.release(&key)?;
        self.order.insert(entry.first_seq, key.clone());
        let point = entry.point.clone();
        self.in_flight.insert(key, entry);
        Some(point)
    }

    /// The in-flight entry of `key` back among the pending ones, at its place and ready to
    /// send, with the failed attempt counted (a value logged meanwhile takes its place and
    /// inherits the count). For failures that say nothing about the point itself: the server
    /// was down, or the session had expired. Gives the key's failed attempts and since when
    /// it fails.
    pub fn put_back(&mut self, key: &Key, now: f64, count_attempt: bool) -> Option<(u32, f64)> {
        let mut entry = self.in_flight.remove(key)?;
        self.order.remove(&entry.first_seq);
        if count_attempt {
            entry.attempts = entry.attempts.saturating_add(1);
            entry.failing_since.get_or_insert(now);
        }
        let entry = match self.release(key) {
            Some(newer) => {
                self.stats.coalesced += 1;
                self.merged(entry, newer)
            }
            None => entry,
        };
        let failing = (entry.attempts, entry.failing_since.unwrap_or(now));
        self.hold(
            key.clone(),
            Entry {
                not_before: 0,
                ..entry
            },
        );
        Some(failing)
    }

    /// Counts a retry that [`Self::put_back`] made way for.
    pub fn count_retry(&mut self) {
        self.stats.retried += 1;
    }

    /// Gives up `key`'s pending entry with `error`.
    pub fn give_up_pending_key(&mut self, key: &Key, error: Error) -> Option<Failure> {
        let entry = self.release(key)?;
        match self.give_up(entry, error) {
            Outcome::Failed(failure) => Some(failure),
            _ => None,
        }
    }

    /// `newer`, logged for the key of `older` while `older` was in flight, covering both.
    fn merged(&self, older: Entry, newer: Entry) -> Entry {
        Entry {
            first_seq: newer.first_seq.min(older.first_seq),
            attempts: newer.attempts.max(older.attempts),
            logged_at: newer.logged_at.min(older.logged_at),
            failing_since: older.failing_since.or(newer.failing_since),
            ..newer
        }
    }

    /// Gives up `key`'s in-flight entry (and a value logged for it since) with `error`.
    pub fn give_up_in_flight(&mut self, key: &Key, error: Error) -> Option<Failure> {
        let entry = self.in_flight.remove(key)?;
        self.order.remove(&entry.first_seq);
        let entry = match self.release(key) {
            Some(newer) => {
                self.stats.coalesced += 1;
                self.merged(entry, newer)
            }
            None => entry,
        };
        match self.give_up(entry, error) {
            Outcome::Failed(failure) => Some(failure),
            _ => None,
        }
    }

    /// Forgets `key`'s in-flight entry, counted as failed but not kept among the failures (it
    /// was already reported, as of unknown outcome).
    pub fn drop_in_flight(&mut self, key: &Key) {
        if let Some(entry) = self.in_flight.remove(key) {
            self.order.remove(&entry.first_seq);
            self.stats.failed += 1;
        }
    }

    /// Gives up `key`'s in-flight entry alone with `error`: a value logged for the key since
    /// stays pending.
    pub fn give_up_in_flight_only(&mut self, key: &Key, error: Error) -> Option<Failure> {
        let entry = self.in_flight.remove(key)?;
        self.order.remove(&entry.first_seq);
        match self.give_up(entry, error) {
            Outcome::Failed(failure) => Some(failure),
            _ => None,
        }
    }

    /// Gives up every pending point (not in flight) for which `expired(logged_at,
    /// failing_since)` holds, with `error`; in the order they were logged.
    pub fn give_up_pending(
        &mut self,
        error: &Error,
        expired: impl Fn(f64, Option<f64>) -> bool,
    ) -> Vec<Failure> {
        let keys: Vec<Key> = self
            .order
            .values()
            .filter(|key| {
                !self.in_flight.contains_key(*key)
                    && self
                        .pending
                        .get(*key)
                        .is_some_and(|e| expired(e.logged_at, e.failing_since))
            })
            .cloned()
            .collect();
        let mut failures = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(entry) = self.release(&key) {
                if let Outcome::Failed(failure) = self.give_up(entry, error.clone()) {
                    failures.push(failure);
                }
            }
        }
        failures
    }

    /// The points held (pending or in flight) that settle sequence numbers up to `mark`, in
    /// the order logged, `limit` at most.
    pub fn held_up_to(&self, mark: u64, limit: usize) -> Vec<QueuedPoint> {
        self.order
            .range(..=mark)
            .filter_map(|(_, key)| self.pending.get(key).or_else(|| self.in_flight.get(key)))
            .take(limit)
            .map(|entry| entry.point.clone())
            .collect()
    }

    /// How many held points settle sequence numbers up to `mark`.
    pub fn count_held_up_to(&self, mark: u64) -> usize {
        self.order.range(..=mark).count()
    }

    /// How long until a waiting point may be sent (0 if one may now), or `None` if every
    /// waiting key is in flight, or nothing waits.
    pub fn next_due_in(&self, now: f64) -> Option<f64> {
        let ready_now = self
            .ready
            .values()
            .any(|key| !self.in_flight.contains_key(key));
        if ready_now {
            return Some(0.0);
        }
        self.delayed
            .iter()
            .find(|(_, key)| !self.in_flight.contains_key(*key))
            .map(|(&(not_before, _), _)| (not_before as f64 - now).max(0.0))
    }

    /// Puts the point `next()` just gave for `key` back, unsent, at its place.
    pub fn unsend(&mut self, key: &Key) {
        let Some(entry) = self.in_flight.remove(key) else {
            return;
        };
        self.order.remove(&entry.first_seq);
        match self.release(key) {
            // A value logged since: it stays, and covers this one too.
            Some(newer) => self.hold(
                key.clone(),
                Entry {
                    first_seq: newer.first_seq.min(entry.first_seq),
                    ..newer
                },
            ),
            None => self.hold(key.clone(), entry),
        }
    }

    /// The request for `key` succeeded.
    pub fn succeeded(&mut self, key: &Key) {
        if let Some(entry) = self.in_flight.remove(key) {
            self.order.remove(&entry.first_seq);
            self.stats.sent += 1;
        }
    }

    /// The request for `key` failed with `error` at `now`; `retryable` says whether trying
    /// again may help (see [`crate::core::retry::is_retryable`]); `random` in [0, 1) for the
    /// jitter.
    pub fn failed(
        &mut self,
        key: &Key,
        error: Error,
        retryable: bool,
        now: f64,
        random: f64,
        policy: &RetryPolicy,
    ) -> Option<Outcome> {
        let mut entry = self.in_flight.remove(key)?;
        self.order.remove(&entry.first_seq);
        let attempts = entry.attempts.saturating_add(1);
        let since = *entry.failing_since.get_or_insert(now);
        let may_retry = retryable && !policy.gives_up(attempts, since, now);
        let wait = || {
            let retry_after = match &error {
                Error::Api(api) => api.retry_after_ms,
                _ => None,
            };
            policy.delay_ms(attempts, random, retry_after)
        };
        if let Some(newer) = self.release(key) {
            // A later value waits for this key: it settles what this one covered, and it
            // inherits the key's failures, so that logging the same key again and again
            // cannot keep a dead server's points (and `flush()`) waiting for ever.
            self.stats.coalesced += 1;
            let merged = self.merged(Entry { attempts, ..entry }, newer);
            if retryable && !may_retry {
                return Some(self.give_up(merged, error));
            }
            let not_before = if retryable {
                (now + wait()).ceil() as u64
            } else {
                0
            };
            self.hold(
                key.clone(),
                Entry {
                    not_before: not_before.max(merged.not_before),
                    ..merged
                },
            );
            return Some(Outcome::Superseded);
        }
        if may_retry {
            let delay = wait();
            entry.attempts = attempts;
            entry.not_before = ((now + delay).ceil() as u64).max(1);
            self.hold(key.clone(), entry);
            self.stats.retried += 1;
            return Some(Outcome::Retry(delay));
        }
        Some(self.give_up(entry, error))
    }

    fn give_up(&mut self, entry: Entry, error: Error) -> Outcome {
        self.stats.failed += 1;
        let failure = Failure {
            point: entry.point,
            first_seq: entry.first_seq,
            error,
        };
        self.failures.push(failure.clone());
        Outcome::Failed(failure)
    }

    /// Whether failures wait to be taken.
    pub fn has_failures(&self) -> bool {
        !self.failures.is_empty()
    }

    /// Takes the failures of points logged up to `mark`, for a `flush()` to report.
    pub fn take_failures(&mut self, mark: u64) -> Vec<Failure> {
        let (taken, kept) = std::mem::take(&mut self.failures)
            .into_iter()
            .partition(|f| f.first_seq <= mark);
        self.failures = kept;
        taken
    }

    /// The failures of points logged up to `mark`, kept for another flush that covers them.
    pub fn peek_failures(&self, mark: u64) -> Vec<Failure> {
        self.failures
            .iter()
            .filter(|f| f.first_seq <= mark)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests;
