//! The logger's failure policy (src/core/sender.rs), driven through simulated time.

use dioptra_metrics::core::decode::api_error;
use dioptra_metrics::core::error::Error;
use dioptra_metrics::core::queue::{Key, MetricQueue, QueuedPoint};
use dioptra_metrics::core::retry::RetryPolicy;
use dioptra_metrics::core::sender::{Link, Sender};

const CONCURRENCY: usize = 4;

fn sender(points: usize, policy: RetryPolicy, can_log_in: bool) -> Sender {
    let mut sender = Sender::new(MetricQueue::new(1_000_000, false), policy, can_log_in);
    for step in 0..points {
        sender
            .log(
                &[("loss".to_owned(), step as f64)],
                Some(step as i64),
                None,
                0.0,
            )
            .unwrap();
    }
    sender
}

fn refused_connection() -> Error {
    Error::Network {
        message: "connect ECONNREFUSED".into(),
        method: "POST".into(),
        path: "/api/v1/jobs/1/metrics".into(),
    }
}

fn status(code: u16) -> Error {
    api_error(code, "", None, "POST", "/api/v1/jobs/1/metrics")
}

/// Runs `sender` from `start` to `end` (ms) in 10 ms ticks against a server that answers each
/// request at once with `answer(now, point)`; gives the requests made and the points given up.
fn run(
    sender: &mut Sender,
    start: f64,
    end: f64,
    answer: impl Fn(f64, &QueuedPoint) -> Result<(), Error>,
) -> (u64, usize) {
    let before = sender.requests();
    let mut failed = 0;
    let mut now = start;
    while now < end {
        let mut batch: Vec<QueuedPoint> = Vec::new();
        while let Some(point) = sender.next(now, batch.len(), CONCURRENCY) {
            batch.push(point);
        }
        for point in batch {
            let key: Key = point.key();
            match answer(now, &point) {
                Ok(()) => sender.succeeded(&key),
                Err(error) => failed += sender.failed(&key, error, now, 0.5).failures.len(),
            }
        }
        now += 10.0;
    }
    (sender.requests() - before, failed)
}

#[test]
fn an_outage_pauses_the_queue_and_probes_one_request_at_a_time() {
    let mut s = sender(20_000, RetryPolicy::default(), false);
    let down_until = 60_000.0;
    let (requests, failed) = run(&mut s, 0.0, down_until, |_, _| Err(refused_connection()));
    assert_eq!(failed, 0, "points were given up during a 60 s outage");
    assert!(matches!(s.link(), Link::Outage { .. }));
    // Full jitter at half the bound (random = 0.5): 50, 100, ..., capped at 15 s per probe.
    assert!(requests <= 20, "{requests} requests during a 60 s outage");
    let (requests, failed) = run(&mut s, down_until, down_until + 90_000.0, |_, _| Ok(()));
    assert_eq!(failed, 0);
    assert!(s.queue().is_empty(), "{} points left", s.queue().len());
    assert_eq!(s.stats().sent, 20_000);
    assert!(requests >= 20_000);
    assert_eq!(s.link(), Link::Sending);
}

#[test]
fn points_are_given_up_only_after_the_give_up_time_of_continuous_outage() {
    let policy = RetryPolicy {
        give_up_after_ms: 10_000.0,
        max_delay_ms: 1_000.0,
        ..RetryPolicy::default()
    };
    let mut s = sender(100, policy, false);
    let (_, failed) = run(&mut s, 0.0, 9_000.0, |_, _| Err(refused_connection()));
    assert_eq!(failed, 0);
    // Points logged during the outage wait their own whole give-up time.
    s.log(&[("late".to_owned(), 1.0)], Some(0), None, 9_000.0)
        .unwrap();
    let (_, failed) = run(&mut s, 9_000.0, 12_000.0, |_, _| Err(refused_connection()));
    assert_eq!(failed, 100);
    assert_eq!(s.queue().len(), 1, "the late point was given up too early");
    let (_, failed) = run(&mut s, 12_000.0, 21_000.0, |_, _| Err(refused_connection()));
    assert_eq!(failed, 1);
    assert!(s.queue().is_empty());
}

#[test]
fn an_infinite_give_up_time_keeps_every_point() {
    let policy = RetryPolicy {
        give_up_after_ms: f64::INFINITY,
        max_delay_ms: 5_000.0,
        ..RetryPolicy::default()
    };
    let mut s = sender(10, policy, false);
    let (_, failed) = run(&mut s, 0.0, 3_600_000.0, |_, _| Err(refused_connection()));
    assert_eq!(failed, 0);
    assert_eq!(s.queue().len(), 10);
}

#[test]
fn retry_after_sets_the_probe_time_within_the_cap() {
    let mut s = sender(3, RetryPolicy::default(), false);
    let mut busy = status(503);
    if let Error::Api(api) = &mut busy {
        api.retry_after_ms = Some(3_600_000.0);
    }
    let point = s.next(0.0, 0, CONCURRENCY).unwrap();
    s.failed(&point.key(), busy, 0.0, 0.5);
    assert_eq!(
        s.next_due_in(0.0),
        Some(30_000.0),
        "Retry-After is capped at maxDelayMs"
    );
}

#[test]
fn a_missing_job_fails_the_whole_queue_with_one_error() {
    let mut s = sender(1_500, RetryPolicy::default(), false);
    let (requests, failed) = run(&mut s, 0.0, 1_000.0, |_, _| Err(status(404)));
    assert_eq!(failed, 1_500);
    assert!(requests <= CONCURRENCY as u64, "{requests} requests");
    assert!(s.queue().is_empty());
}

#[test]
fn a_refused_point_fails_alone() {
    let mut s = sender(10, RetryPolicy::default(), false);
    let (_, failed) = run(&mut s, 0.0, 1_000.0, |_, p| {
        if p.step == Some(3) {
            Err(status(400))
        } else {
            Ok(())
        }
    });
    assert_eq!(failed, 1);
    assert_eq!(s.stats().sent, 9);
}

#[test]
fn a_point_the_server_fails_on_is_retried_by_itself_while_the_rest_goes_on() {
    let policy = RetryPolicy {
        give_up_after_ms: 5_000.0,
        ..RetryPolicy::default()
    };
    let mut s = sender(50, policy, false);
    let (_, failed) = run(&mut s, 0.0, 20_000.0, |_, p| {
        if p.step == Some(7) {
            Err(status(500))
        } else {
            Ok(())
        }
    });
    assert_eq!(s.stats().sent, 49);
    assert_eq!(
        failed, 1,
        "the failing point was not given up after its give-up time"
    );
}

#[test]
fn an_expired_session_pauses_until_the_login_resumes_the_queue() {
    let mut s = sender(100, RetryPolicy::default(), true);
    let mut logins = 0;
    let mut now = 0.0;
    let mut session_valid = false;
    while !s.queue().is_empty() && now < 10_000.0 {
        let mut batch = Vec::new();
        while let Some(point) = s.next(now, batch.len(), CONCURRENCY) {
            batch.push(point);
        }
        for point in batch {
            if session_valid {
                s.succeeded(&point.key());
            } else {
                let verdict = s.failed(&point.key(), status(401), now, 0.5);
                assert!(verdict.failures.is_empty());
                if verdict.needs_login {
                    logins += 1;
                }
            }
        }
        if s.link() == Link::Unauthorized {
            assert_eq!(s.next(now, 0, CONCURRENCY), None, "sent while unauthorized");
            session_valid = true;
            s.resume();
        }
        now += 10.0;
    }
    assert_eq!(
        logins, 1,
        "one login per expiry, however many requests saw the 401"
    );
    assert_eq!(s.stats().sent, 100);
    assert_eq!(s.stats().failed, 0);
}

#[test]
fn without_a_way_to_log_in_a_401_fails_the_queue_once() {
    let mut s = sender(500, RetryPolicy::default(), false);
    let (requests, failed) = run(&mut s, 0.0, 1_000.0, |_, _| Err(status(401)));
    assert_eq!(failed, 500);
    assert!(requests <= CONCURRENCY as u64);
}

#[test]
fn logins_that_do_not_help_end_in_a_failure_not_a_loop() {
    let mut s = sender(20, RetryPolicy::default(), true);
    let mut failed = 0;
    for round in 0..10 {
        let now = f64::from(round) * 100.0;
        let mut batch = Vec::new();
        while let Some(point) = s.next(now, batch.len(), CONCURRENCY) {
            batch.push(point);
        }
        for point in batch {
            failed += s.failed(&point.key(), status(401), now, 0.5).failures.len();
        }
        s.resume();
    }
    assert_eq!(failed, 20);
    assert!(s.queue().is_empty());
}

#[test]
fn a_retry_count_still_bounds_attempts_when_asked_for() {
    let policy = RetryPolicy {
        retries: 2,
        max_delay_ms: 100.0,
        ..RetryPolicy::default()
    };
    // Found in review: with a count, an outage gave points up one probe at a time, so the
    // time to fail grew with the queue. The probes spend the count for every point waiting.
    let mut s = sender(1_000, policy, false);
    let (requests, failed) = run(&mut s, 0.0, 10_000.0, |_, _| Err(refused_connection()));
    assert_eq!(failed, 1_000);
    assert!(requests <= CONCURRENCY as u64 + 3, "{requests} requests");
}

#[test]
fn a_server_that_answers_500_to_everything_is_probed_not_hammered() {
    // Found in review: 500s were retried point by point at full speed for 15 minutes.
    let mut s = sender(5_000, RetryPolicy::default(), false);
    let (requests, failed) = run(&mut s, 0.0, 60_000.0, |_, _| Err(status(500)));
    assert_eq!(failed, 0);
    assert!(requests <= 40, "{requests} requests in a minute of 500s");
    assert!(matches!(s.link(), Link::Outage { .. }));
    let (_, failed) = run(&mut s, 60_000.0, 200_000.0, |_, _| Ok(()));
    assert_eq!(failed, 0);
    assert!(s.queue().is_empty());
}

#[test]
fn a_refused_point_does_not_take_a_newer_value_of_its_key_with_it() {
    let mut s = sender(0, RetryPolicy::default(), false);
    s.log(&[("loss".to_owned(), 1.0)], Some(1), None, 0.0)
        .unwrap();
    let first = s.next(0.0, 0, CONCURRENCY).unwrap();
    s.log(&[("loss".to_owned(), 2.0)], Some(1), None, 0.0)
        .unwrap();
    let failures = s.failed(&first.key(), status(400), 0.0, 0.5).failures;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].point.value, 1.0);
    let newer = s
        .next(0.0, 0, CONCURRENCY)
        .expect("the newer value was dropped");
    assert_eq!(newer.value, 2.0);
}

#[test]
fn a_success_during_a_login_does_not_end_the_pause() {
    let mut s = sender(10, RetryPolicy::default(), true);
    let a = s.next(0.0, 0, CONCURRENCY).unwrap();
    let b = s.next(0.0, 1, CONCURRENCY).unwrap();
    assert!(s.failed(&a.key(), status(401), 0.0, 0.5).needs_login);
    s.succeeded(&b.key()); // sent before the session ended
    assert_eq!(s.link(), Link::Unauthorized);
    assert_eq!(s.next(0.0, 0, CONCURRENCY), None);
}

#[test]
fn failed_logins_do_not_stop_later_logins() {
    let mut s = sender(0, RetryPolicy::default(), true);
    for round in 0..6 {
        s.log(&[("loss".to_owned(), 1.0)], Some(round), None, 0.0)
            .unwrap();
        let point = s.next(0.0, 0, CONCURRENCY).unwrap();
        let verdict = s.failed(&point.key(), status(401), 0.0, 0.5);
        assert!(verdict.needs_login, "round {round}: no login asked for");
        s.fail_pending(&status(401)); // the login failed
    }
}

#[test]
fn only_the_probes_failures_back_the_probe_off() {
    let mut s = sender(10, RetryPolicy::default(), false);
    // Four requests in flight when the server goes away.
    let batch: Vec<QueuedPoint> = std::iter::from_fn(|| s.next(0.0, 0, CONCURRENCY))
        .take(CONCURRENCY)
        .collect();
    assert_eq!(batch.len(), CONCURRENCY);
    s.failed(&batch[0].key(), refused_connection(), 0.0, 0.5);
    let first_probe_in = s.next_due_in(0.0).unwrap();
    // The probe goes; the other three old requests fail while it is under way.
    let probe = s.next(first_probe_in, 0, CONCURRENCY).unwrap();
    for point in &batch[1..] {
        s.failed(&point.key(), refused_connection(), first_probe_in, 0.5);
    }
    assert_eq!(
        s.next(first_probe_in + 1e6, 0, CONCURRENCY),
        None,
        "a second probe while one is under way"
    );
    s.failed(&probe.key(), refused_connection(), first_probe_in, 0.5);
    let Link::Outage { probes, .. } = s.link() else {
        panic!("{:?}", s.link())
    };
    assert_eq!(
        probes, 2,
        "failures of requests sent before the outage backed the probe off"
    );
}

#[test]
fn a_failed_login_leaves_the_logger_able_to_send_again() {
    let mut s = sender(5, RetryPolicy::default(), true);
    let point = s.next(0.0, 0, CONCURRENCY).unwrap();
    assert!(s.failed(&point.key(), status(401), 0.0, 0.5).needs_login);
    assert_eq!(
        s.fail_pending(&status(401)).len(),
        5,
        "the point that met the 401 waits too"
    );
    s.log(&[("loss".to_owned(), 1.0)], Some(9), None, 1.0)
        .unwrap();
    assert!(
        s.next(1.0, 0, CONCURRENCY).is_some(),
        "the queue stayed paused after the login failed"
    );
}

/// The logger's pump sets its timer from `next_due_in(now)` after `next(now, ..)` has given
/// all it would, and reads 0 as "due, but waits for a free slot" (a request's end pumps
/// again): so with a slot free, what `next()` refused at `now` must be due strictly later,
/// or wait for an answer. Checked through an outage and its probes, at fractional times.
#[test]
fn what_next_refuses_with_a_slot_free_is_due_later_not_now() {
    let mut s = sender(50, RetryPolicy::default(), false);
    let mut now = 0.0;
    let mut probes_checked = 0;
    while now < 120_000.0 {
        let mut batch = Vec::new();
        while let Some(point) = s.next(now, 0, CONCURRENCY) {
            batch.push(point);
        }
        if batch.is_empty() {
            let due = s.next_due_in(now);
            assert!(
                due.is_none_or(|ms| ms > 0.0),
                "at {now} ms nothing was sent, yet due in {due:?} ms"
            );
            // Step to just before the next probe, then onto it: the edge where two clock
            // readings a millisecond apart disagreed.
            now += due.map_or(10.0, |ms| if ms > 0.75 { ms - 0.75 } else { ms });
            continue;
        }
        for point in batch {
            let verdict = s.failed(&point.key(), refused_connection(), now, 0.5);
            assert!(verdict.failures.is_empty());
            probes_checked += 1;
        }
        now += 0.25;
    }
    assert!(
        probes_checked >= 10,
        "only {probes_checked} probes in two minutes of outage"
    );
    assert!(matches!(s.link(), Link::Outage { .. }));
}
