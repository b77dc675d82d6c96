//! The failure bookkeeping of the queue: requests put back, retried after a delay, or given
//! up on, and the failures kept for the `flush()` that covers them.

use super::store::Entry;
use super::{Failure, Key, MetricQueue, Outcome};
use crate::core::error::Error;
use crate::core::retry::RetryPolicy;

impl MetricQueue {
    /// The in-flight entry of `key` back among the pending ones, at its place and ready to
    /// send, with the failed attempt counted (a value logged meanwhile takes its place and
    /// inherits the count). For failures that say nothing about the point itself: the server
    /// was down, or the session had expired. Gives the key's failed attempts and since when
    /// it fails.
    pub fn put_back(&mut self, key: &Key, now: f64, count_attempt: bool) -> Option<(u32, f64)> {
        let at = self.store.find(key)?;
        let mut entry = self.store.take_in_flight(at)?;
        if count_attempt {
            entry.attempts = entry.attempts.saturating_add(1);
            entry.failing_since.get_or_insert(now);
        }
        let entry = match self.store.release(at) {
            Some(newer) => {
                self.stats.coalesced += 1;
                self.merged(entry, newer)
            }
            None => entry,
        };
        let failing = (entry.attempts, entry.failing_since.unwrap_or(now));
        self.store.hold(
            at,
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
        let at = self.store.find(key)?;
        let entry = self.store.release(at)?;
        self.store.tidy(at);
        Some(self.give_up(entry, error))
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
        let at = self.store.find(key)?;
        let entry = self.store.take_in_flight(at)?;
        let entry = match self.store.release(at) {
            Some(newer) => {
                self.stats.coalesced += 1;
                self.merged(entry, newer)
            }
            None => entry,
        };
        self.store.tidy(at);
        Some(self.give_up(entry, error))
    }

    /// Forgets `key`'s in-flight entry, counted as failed but not kept among the failures (it
    /// was already reported, as of unknown outcome).
    pub fn drop_in_flight(&mut self, key: &Key) {
        if self.end_in_flight(key) {
            self.stats.failed += 1;
        }
    }

    /// Gives up `key`'s in-flight entry alone with `error`: a value logged for the key since
    /// stays pending.
    pub fn give_up_in_flight_only(&mut self, key: &Key, error: Error) -> Option<Failure> {
        let at = self.store.find(key)?;
        let entry = self.store.take_in_flight(at)?;
        self.store.tidy(at);
        Some(self.give_up(entry, error))
    }

    /// Gives up every pending point (not in flight) for which `expired(logged_at,
    /// failing_since)` holds, with `error`; in the order they were logged.
    pub fn give_up_pending(
        &mut self,
        error: &Error,
        expired: impl Fn(f64, Option<f64>) -> bool,
    ) -> Vec<Failure> {
        let slots = self
            .store
            .pending_where(|e| expired(e.logged_at, e.failing_since));
        let mut failures = Vec::with_capacity(slots.len());
        for at in slots {
            if let Some(entry) = self.store.release(at) {
                self.store.tidy(at);
                failures.push(self.give_up(entry, error.clone()));
            }
        }
        failures
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
        let at = self.store.find(key)?;
        let mut entry = self.store.take_in_flight(at)?;
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
        if let Some(newer) = self.store.release(at) {
            // A later value waits for this key: it settles what this one covered, and it
            // inherits the key's failures, so that logging the same key again and again
            // cannot keep a dead server's points (and `flush()`) waiting for ever.
            self.stats.coalesced += 1;
            let merged = self.merged(Entry { attempts, ..entry }, newer);
            if retryable && !may_retry {
                self.store.tidy(at);
                return Some(Outcome::Failed(self.give_up(merged, error)));
            }
            let not_before = if retryable {
                (now + wait()).ceil() as u64
            } else {
                0
            };
            self.store.hold(
                at,
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
            self.store.hold(at, entry);
            self.stats.retried += 1;
            return Some(Outcome::Retry(delay));
        }
        self.store.tidy(at);
        Some(Outcome::Failed(self.give_up(entry, error)))
    }

    /// Gives `entry` up with `error`: counted, and kept among the failures to report.
    fn give_up(&mut self, entry: Entry, error: Error) -> Failure {
        self.stats.failed += 1;
        let failure = Failure {
            point: entry.point,
            first_seq: entry.first_seq,
            error,
        };
        self.failures.push(failure.clone());
        failure
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
