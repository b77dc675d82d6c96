//! What the logger sends next, and what it does when a request fails: the queue of points
//! ([`MetricQueue`]) under one failure policy for the whole logger.
//!
//! - **Outages are the logger's state, not each point's.** A failure that says the server is
//!   down for everyone ([`FailureKind::Outage`]) pauses the whole queue: one probe request at
//!   a time, backing off with full jitter up to the policy's cap; the first answer from the
//!   server ends the pause and the queue drains at full speed. A point is given up only when
//!   it has waited through `give_up_after_ms` of continuous failure, so the cost of an outage
//!   (requests, CPU) is bounded whatever the queue holds.
//! - **Failures no retry can fix fail the queue once:** a refused job (404) fails every
//!   pending point with that one error; a refused point (400) fails only itself.
//! - **An expired session pauses the queue** until the caller logs in again ([`Sender::resume`]),
//!   when the logger has a way to (`onUnauthorized`); otherwise it fails the queue once.
//! - **Other failures are the point's own** (500, an answer that is not the one promised):
//!   that key is retried with its own backoff, the rest of the queue goes on.

use crate::core::error::Error;
use crate::core::queue::{Failure, Key, MetricQueue, Outcome, QueuedPoint, Refusal, Stats};
use crate::core::retry::{classify, FailureKind, RetryPolicy};

/// Where the logger stands with the server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Link {
    /// Requests go out as the concurrency allows.
    Sending,
    /// The server is down: one probe at a time.
    Outage {
        /// When the outage began (ms since the epoch).
        since: f64,
        /// Failed probes so far (the backoff's exponent).
        probes: u32,
        /// When the next probe may go (ms since the epoch).
        probe_at: f64,
        /// Whether a probe is under way.
        probing: bool,
    },
    /// The session expired: nothing goes out until [`Sender::resume`].
    Unauthorized,
}

impl Link {
    /// The state's name, as `logger.stats.state` shows it.
    pub fn name(&self) -> &'static str {
        match self {
            Link::Sending => "sending",
            Link::Outage { .. } => "outage",
            Link::Unauthorized => "unauthorized",
        }
    }
}

/// What became of a failed request, for the caller to act on.
#[derive(Debug, Default, PartialEq)]
pub struct Verdict {
    /// Points given up on now (to report, e.g. through `onError`).
    pub failures: Vec<Failure>,
    /// The session expired and the caller should log in again, then call [`Sender::resume`].
    pub needs_login: bool,
}

/// 401s in a row, each after a resume with no success in between, before the queue fails.
const MAX_LOGINS_WITHOUT_SUCCESS: u32 = 3;

/// Failures in a row of the point-by-point kind (500, answers that are not the point) with no
/// success in between that make the sender treat the server as down: a server that answers
/// every request with a 500 is probed like an unreachable one, not hammered point by point.
const TRANSIENT_FAILURES_FOR_AN_OUTAGE: u32 = 8;

/// The queue and the failure policy of one logger (see the module docs).
#[derive(Debug)]
pub struct Sender {
    queue: MetricQueue,
    link: Link,
    policy: RetryPolicy,
    /// Whether a 401 pauses the queue (there is a way to log in again) or fails it.
    can_log_in: bool,
    /// Resumes after a 401 with no success since.
    logins: u32,
    /// The key of the probe under way during an outage.
    probe: Option<Key>,
    /// Point-by-point failures since the last success.
    transients: u32,
    /// Closed past its deadline: what is still in flight is not retried (it was reported as
    /// of unknown outcome).
    closed: bool,
    /// Requests started.
    requests: u64,
}

impl Sender {
    /// A sender over `queue` with `policy`; `can_log_in` says whether a 401 waits for a new
    /// login ([`Self::resume`]) or fails the queue.
    pub fn new(queue: MetricQueue, policy: RetryPolicy, can_log_in: bool) -> Self {
        Sender {
            queue,
            link: Link::Sending,
            policy,
            can_log_in,
            logins: 0,
            probe: None,
            transients: 0,
            closed: false,
            requests: 0,
        }
    }

    /// The queue (read only).
    pub fn queue(&self) -> &MetricQueue {
        &self.queue
    }

    /// Where the logger stands.
    pub fn link(&self) -> Link {
        self.link
    }

    /// Requests started so far.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// The queue's counters.
    pub fn stats(&self) -> Stats {
        self.queue.stats()
    }

    /// Logs points at `now` (see [`MetricQueue::log_at`]).
    pub fn log(
        &mut self,
        values: &[(String, f64)],
        step: Option<i64>,
        timestamp: Option<&str>,
        now: f64,
    ) -> Result<(), Refusal> {
        self.queue.log_at(values, step, timestamp, now)
    }

    /// Moves the automatic step counters past points journaled without being queued (see
    /// [`MetricQueue::note_steps`]).
    pub fn note_steps(&mut self, values: &[(String, f64)], steps: &[Option<i64>]) {
        self.queue.note_steps(values, steps);
    }

    /// The next point to send at `now` with `in_flight` requests under way and `concurrency`
    /// allowed, moved to in flight; `None` when nothing may go now.
    pub fn next(&mut self, now: f64, in_flight: usize, concurrency: usize) -> Option<QueuedPoint> {
        let point = match &mut self.link {
            Link::Unauthorized => None,
            Link::Outage {
                probe_at, probing, ..
            } => {
                if *probing || now < *probe_at {
                    return None;
                }
                let point = self.queue.next_probe();
                *probing = point.is_some();
                self.probe = point.as_ref().map(QueuedPoint::key);
                point
            }
            Link::Sending if in_flight >= concurrency => None,
            Link::Sending => self.queue.next(now),
        };
        if point.is_some() {
            self.requests += 1;
        }
        point
    }

    /// How long until a point may be sent (0 if one may now), or `None` when nothing will be
    /// due without an answer or a call first.
    pub fn next_due_in(&self, now: f64) -> Option<f64> {
        match self.link {
            Link::Unauthorized | Link::Outage { probing: true, .. } => None,
            Link::Outage { probe_at, .. } => {
                (self.queue.waiting() > 0).then(|| (probe_at - now).max(0.0))
            }
            Link::Sending => self.queue.next_due_in(now),
        }
    }

    /// Puts the point `next()` just gave for `key` back, unsent (see [`MetricQueue::unsend`]).
    pub fn unsend(&mut self, key: &Key) {
        self.queue.unsend(key);
        self.requests = self.requests.saturating_sub(1);
        if self.probe.as_ref() == Some(key) {
            self.probe = None;
            if let Link::Outage { probing, .. } = &mut self.link {
                *probing = false;
            }
        }
    }

    /// The request for `key` succeeded: whatever was paused for an outage goes on.
    pub fn succeeded(&mut self, key: &Key) {
        self.queue.succeeded(key);
        self.transients = 0;
        // A request sent before the session expired may still succeed: the pause for a new
        // login stands until the login is done.
        if self.link != Link::Unauthorized {
            self.link = Link::Sending;
            self.probe = None;
            self.logins = 0;
        }
    }

    /// The request for `key` failed with `error` at `now`; `random` in [0, 1) for the jitter.
    pub fn failed(&mut self, key: &Key, error: Error, now: f64, random: f64) -> Verdict {
        let mut verdict = Verdict::default();
        if self.closed {
            self.queue.drop_in_flight(key);
            return verdict;
        }
        match classify(&error) {
            FailureKind::Outage => {
                let failing = self.queue.put_back(key, now, true);
                let was_probe = self.probe.as_ref() == Some(key);
                self.enter_outage(&error, now, random, was_probe);
                if let Some((attempts, since)) = failing {
                    if self.policy.gives_up(attempts, since, now) {
                        verdict
                            .failures
                            .extend(self.queue.give_up_pending_key(key, error.clone()));
                    } else {
                        self.queue.count_retry();
                    }
                }
                verdict.failures.extend(self.give_up_expired(&error, now));
            }
            FailureKind::Unauthorized
                if self.can_log_in && self.logins < MAX_LOGINS_WITHOUT_SUCCESS =>
            {
                self.queue.put_back(key, now, false);
                if self.link != Link::Unauthorized {
                    self.link = Link::Unauthorized;
                    self.logins += 1;
                    verdict.needs_login = true;
                }
            }
            FailureKind::Unauthorized | FailureKind::Fatal => {
                verdict
                    .failures
                    .extend(self.queue.give_up_in_flight(key, error.clone()));
                verdict
                    .failures
                    .extend(self.queue.give_up_pending(&error, |_, _| true));
                self.leave_pause();
            }
            FailureKind::Refused => {
                verdict.failures = self.refused(key, error);
            }
            FailureKind::Transient => {
                let was_probe = self.probe.as_ref() == Some(key);
                let policy = self.policy;
                if let Some(Outcome::Failed(failure)) =
                    self.queue
                        .failed(key, error.clone(), true, now, random, &policy)
                {
                    verdict.failures.push(failure);
                }
                self.transients = self.transients.saturating_add(1);
                if self.transients >= TRANSIENT_FAILURES_FOR_AN_OUTAGE {
                    self.enter_outage(&error, now, random, was_probe);
                    verdict.failures.extend(self.give_up_expired(&error, now));
                } else {
                    // The server answered: it is up, whatever it thought of this point.
                    self.leave_pause();
                }
            }
        }
        verdict
    }

    /// The request for `key` was answered with a refusal of this very point that no retry can
    /// change, whatever its status says: the point is given up.
    pub fn refused(&mut self, key: &Key, error: Error) -> Vec<Failure> {
        self.leave_pause();
        // A value logged for the key since is not what was refused: it stays, to be sent.
        self.queue
            .give_up_in_flight_only(key, error)
            .into_iter()
            .collect()
    }

    /// The next point not in flight whatever the state and delays (a page going away sends
    /// everything at once), moved to in flight.
    pub fn next_unloading(&mut self) -> Option<QueuedPoint> {
        let point = self.queue.next_probe();
        if point.is_some() {
            self.requests += 1;
        }
        point
    }

    /// The failures of points logged up to `mark`, each once (see
    /// [`MetricQueue::take_failures`]).
    pub fn take_failures(&mut self, mark: u64) -> Vec<Failure> {
        self.queue.take_failures(mark)
    }

    /// Closes the sender past a deadline: every point not in flight is given up with `error`;
    /// the requests in flight end as they will, but a failed one is not tried again.
    pub fn close(&mut self, error: &Error) -> Vec<Failure> {
        let failures = self.fail_pending(error);
        self.closed = true;
        failures
    }

    /// Sends the next probe of an outage now (a flush with a deadline, the process exiting):
    /// the server may be back before the backoff would have looked.
    pub fn probe_now(&mut self, now: f64) {
        if let Link::Outage { probe_at, .. } = &mut self.link {
            *probe_at = probe_at.min(now);
        }
    }

    /// The failures of points logged up to `mark`, left in place (see
    /// [`MetricQueue::peek_failures`]).
    pub fn peek_failures(&self, mark: u64) -> Vec<Failure> {
        self.queue.peek_failures(mark)
    }

    /// After a 401, once the caller has logged in again: the queue goes on.
    pub fn resume(&mut self) {
        if self.link == Link::Unauthorized {
            self.link = Link::Sending;
        }
    }

    /// Gives up every point not in flight with `error` (the login after a 401 failed, or the
    /// logger is closing past its deadline).
    pub fn fail_pending(&mut self, error: &Error) -> Vec<Failure> {
        let failures = self.queue.give_up_pending(error, |_, _| true);
        // Whatever paused the queue, what is logged next is tried afresh (a new 401 asks for
        // a new login).
        self.link = Link::Sending;
        self.probe = None;
        self.logins = 0;
        failures
    }

    /// Gives up, at `now`, the points that have failed for the policy's give-up time, with
    /// `error`. Called on every failure during an outage (so at least once per backoff cap).
    fn give_up_expired(&mut self, error: &Error, now: f64) -> Vec<Failure> {
        let Link::Outage { since, probes, .. } = self.link else {
            return Vec::new();
        };
        if probes > self.policy.retries {
            // A bound by count: the probes spent it for every point waiting.
            return self.queue.give_up_pending(error, |_, _| true);
        }
        let limit = self.policy.give_up_after_ms;
        if !limit.is_finite() || now - since < limit {
            // No point can have waited through a whole outage's give-up time yet; points
            // that failed before it began are checked when next sent.
            return Vec::new();
        }
        self.queue
            .give_up_pending(error, |logged_at, failing_since| {
                let waiting_since = failing_since.unwrap_or(logged_at.max(since));
                now - waiting_since >= limit
            })
    }

    /// Enters (or stays in) an outage after a failure at `now`; `was_probe` says whether the
    /// request that failed was the outage's probe (then the next probe backs off further).
    fn enter_outage(&mut self, error: &Error, now: f64, random: f64, was_probe: bool) {
        let retry_after = match error {
            Error::Api(api) => api.retry_after_ms,
            _ => None,
        };
        let (since, probes) = match self.link {
            // A failure of the probe itself: back off further.
            Link::Outage { since, probes, .. } if was_probe => (since, probes.saturating_add(1)),
            // A request sent before the outage was noticed: the schedule stands.
            Link::Outage { .. } => return,
            Link::Sending | Link::Unauthorized => (now, 1),
        };
        let wait = self.policy.delay_ms(probes, random, retry_after);
        self.probe = None;
        self.link = Link::Outage {
            since,
            probes,
            probe_at: now + wait,
            probing: false,
        };
    }

    fn leave_pause(&mut self) {
        if matches!(self.link, Link::Outage { .. }) {
            self.link = Link::Sending;
            self.probe = None;
        }
    }
}
