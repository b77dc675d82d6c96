//! Unit tests of `core::queue`.

use super::*;
use crate::core::decode::api_error;
use crate::core::retry::{is_retryable, RetryPolicy};

fn values(pairs: &[(&str, f64)]) -> Vec<(String, f64)> {
    pairs.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect()
}

fn unavailable() -> Error {
    api_error(503, "", None, "POST", "/p")
}

const POLICY: RetryPolicy = RetryPolicy {
    retries: 2,
    min_delay_ms: 100.0,
    max_delay_ms: 1000.0,
    give_up_after_ms: f64::INFINITY,
};

#[test]
fn sends_in_the_order_logged_and_coalesces_repeats() {
    let mut q = MetricQueue::new(100, false);
    q.log(&values(&[("a", 1.0), ("b", 2.0)]), Some(1), None)
        .unwrap();
    q.log(&values(&[("a", 3.0)]), Some(1), None).unwrap();
    q.log(&values(&[("a", 4.0)]), Some(2), None).unwrap();
    assert_eq!(q.stats().coalesced, 1);
    let sent: Vec<(String, f64)> = std::iter::from_fn(|| q.next(0.0))
        .map(|p| (p.name, p.value))
        .collect();
    assert_eq!(sent, values(&[("a", 3.0), ("b", 2.0), ("a", 4.0)]));
}

#[test]
fn a_key_in_flight_is_not_sent_twice_and_the_last_value_wins() {
    let mut q = MetricQueue::new(100, false);
    q.log(&values(&[("a", 1.0)]), Some(0), None).unwrap();
    let first = q.next(0.0).unwrap();
    q.log(&values(&[("a", 2.0)]), Some(0), None).unwrap();
    assert_eq!(q.next(0.0), None, "the same key went out while in flight");
    q.succeeded(&first.key());
    assert_eq!(q.next(0.0).map(|p| p.value), Some(2.0));
}

#[test]
fn a_failed_request_superseded_by_a_newer_value_is_not_retried() {
    let mut q = MetricQueue::new(100, false);
    q.log(&values(&[("a", 1.0)]), None, None).unwrap();
    let mark = q.mark();
    let first = q.next(0.0).unwrap();
    q.log(&values(&[("a", 2.0)]), None, None).unwrap();
    assert_eq!(
        q.failed(&first.key(), unavailable(), true, 0.0, 0.5, &POLICY),
        Some(Outcome::Superseded)
    );
    assert!(
        !q.is_settled(mark),
        "the first value is settled only when the newer one is"
    );
    assert_eq!(q.next(0.0), None, "the newer value waits as a retry would");
    let newer = q.next(1000.0).unwrap();
    assert_eq!(newer.value, 2.0);
    q.succeeded(&newer.key());
    assert!(q.is_settled(q.mark()));
    assert_eq!(q.stats().sent, 1);
    assert_eq!(q.stats().coalesced, 1);
}

#[test]
fn relogging_a_key_cannot_outlast_the_retry_budget() {
    // Found in review: a value logged again before each failure reset the attempts, so
    // flush() never settled against a dead server.
    let mut q = MetricQueue::new(100, false);
    let mut now = 0.0;
    q.log(&values(&[("lr", 0.0)]), None, None).unwrap();
    let mark = q.mark();
    let mut outcomes = Vec::new();
    for i in 1..=10 {
        let Some(p) = q.next(now) else {
            now += 10_000.0;
            continue;
        };
        q.log(&values(&[("lr", f64::from(i))]), None, None).unwrap();
        let outcome = q
            .failed(&p.key(), unavailable(), true, now, 0.5, &POLICY)
            .unwrap();
        let failed = matches!(outcome, Outcome::Failed(_));
        outcomes.push(outcome);
        if failed {
            break;
        }
        now += 10_000.0;
    }
    assert!(
        matches!(outcomes.last(), Some(Outcome::Failed(_))),
        "{outcomes:?}"
    );
    assert!(
        outcomes.len() <= POLICY.retries as usize + 1,
        "{outcomes:?}"
    );
    assert!(q.is_settled(mark));
}

#[test]
fn automatic_steps_never_go_back() {
    // Found in review: an explicit lower step made later automatic ones overwrite data.
    let mut q = MetricQueue::new(100, true);
    for _ in 0..5 {
        q.log(&values(&[("loss", 1.0)]), None, None).unwrap();
    }
    q.log(&values(&[("loss", 100.0)]), Some(1), None).unwrap();
    q.log(&values(&[("loss", 5.0)]), None, None).unwrap();
    let steps: Vec<Option<i64>> = std::iter::from_fn(|| q.next(0.0)).map(|p| p.step).collect();
    assert_eq!(steps, [0, 1, 2, 3, 4, 5].map(Some).to_vec());
}

#[test]
fn a_call_that_can_never_fit_is_told_apart_from_a_full_queue() {
    let mut q = MetricQueue::new(1, false);
    assert_eq!(
        q.log(&values(&[("a", 1.0), ("b", 2.0)]), None, None),
        Err(Refusal::TooMany {
            points: 2,
            max_queue: 1
        })
    );
    q.log(&values(&[("a", 1.0)]), None, None).unwrap();
    assert_eq!(
        q.log(&values(&[("b", 2.0)]), None, None),
        Err(Refusal::Full(1))
    );
}

#[test]
fn a_point_put_back_unsent_keeps_its_place() {
    let mut q = MetricQueue::new(100, false);
    q.log(&values(&[("a", 1.0), ("b", 2.0)]), None, None)
        .unwrap();
    let a = q.next(0.0).unwrap();
    q.unsend(&a.key());
    assert_eq!(q.stats().in_flight, 0);
    assert_eq!(q.next(0.0).map(|p| p.name), Some("a".to_owned()));
}

#[test]
fn draining_a_large_queue_is_fast() {
    // Found in review: every pump scanned every waiting point (quadratic).
    let mut q = MetricQueue::new(200_000, false);
    for i in 0..100_000 {
        q.log(&values(&[("m", f64::from(i))]), Some(i64::from(i)), None)
            .unwrap();
    }
    let started = std::time::Instant::now();
    while let Some(p) = q.next(0.0) {
        q.next_due_in(0.0);
        q.succeeded(&p.key());
    }
    assert!(q.is_empty());
    assert!(
        started.elapsed().as_secs_f64() < 5.0,
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn retries_with_backoff_then_gives_up() {
    let mut q = MetricQueue::new(100, false);
    q.log(&values(&[("a", 1.0)]), Some(5), None).unwrap();
    let mark = q.mark();
    let p = q.next(0.0).unwrap();
    let Some(Outcome::Retry(delay)) = q.failed(&p.key(), unavailable(), true, 1000.0, 0.5, &POLICY)
    else {
        panic!()
    };
    assert_eq!(delay, 50.0);
    assert_eq!(q.next(1000.0), None, "sent before its delay was over");
    assert_eq!(q.next_due_in(1000.0), Some(50.0));
    let p = q.next(1050.0).unwrap();
    assert!(matches!(
        q.failed(&p.key(), unavailable(), true, 1050.0, 0.5, &POLICY),
        Some(Outcome::Retry(_))
    ));
    let p = q.next(5000.0).unwrap();
    let Some(Outcome::Failed(failure)) =
        q.failed(&p.key(), unavailable(), true, 5000.0, 0.5, &POLICY)
    else {
        panic!()
    };
    assert_eq!(failure.point.step, Some(5));
    assert!(q.is_settled(mark));
    assert_eq!(q.take_failures(mark).len(), 1);
    assert_eq!(q.take_failures(mark).len(), 0, "a failure is reported once");
    let stats = q.stats();
    assert_eq!((stats.retried, stats.failed, stats.sent), (2, 1, 0));
}

#[test]
fn refusals_fail_fast() {
    let mut q = MetricQueue::new(100, false);
    q.log(&values(&[("a", 1.0)]), None, None).unwrap();
    let p = q.next(0.0).unwrap();
    let not_found = api_error(404, "", None, "POST", "/p");
    assert!(matches!(
        q.failed(
            &p.key(),
            not_found.clone(),
            is_retryable(&not_found),
            0.0,
            0.5,
            &POLICY
        ),
        Some(Outcome::Failed(_))
    ));
    assert_eq!(q.stats().retried, 0);
}

#[test]
fn the_bound_refuses_a_whole_call() {
    let mut q = MetricQueue::new(3, false);
    q.log(&values(&[("a", 1.0), ("b", 1.0)]), None, None)
        .unwrap();
    assert_eq!(
        q.log(&values(&[("c", 1.0), ("d", 1.0)]), None, None),
        Err(Refusal::Full(3))
    );
    assert_eq!(q.len(), 2, "a refused call logged part of its points");
    q.log(&values(&[("a", 5.0), ("c", 1.0)]), None, None)
        .unwrap(); // a coalesces: fits
    assert_eq!(q.len(), 3);
}

#[test]
fn automatic_steps_count_per_name() {
    let mut q = MetricQueue::new(100, true);
    q.log(&values(&[("a", 1.0), ("b", 1.0)]), None, None)
        .unwrap();
    q.log(&values(&[("a", 1.0)]), None, None).unwrap();
    q.log(&values(&[("a", 1.0)]), Some(10), None).unwrap();
    q.log(&values(&[("a", 1.0)]), None, None).unwrap();
    let steps: Vec<(String, Option<i64>)> = std::iter::from_fn(|| q.next(0.0))
        .map(|p| (p.name, p.step))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("a".into(), Some(0)),
            ("b".into(), Some(0)),
            ("a".into(), Some(1)),
            ("a".into(), Some(10)),
            ("a".into(), Some(11))
        ]
    );
}

#[test]
fn stats_add_up() {
    let mut q = MetricQueue::new(1000, false);
    let mut logged = 0u64;
    for i in 0..300 {
        q.log(
            &values(&[("a", f64::from(i))]),
            Some(i64::from(i % 50)),
            None,
        )
        .unwrap();
        logged += 1;
    }
    let mut now = 0.0;
    let mut n = 0;
    while !q.is_empty() {
        now += 1000.0;
        while let Some(p) = q.next(now) {
            n += 1;
            if n % 3 == 0 {
                q.failed(&p.key(), unavailable(), true, now, 0.3, &POLICY);
            } else {
                q.succeeded(&p.key());
            }
        }
    }
    let s = q.stats();
    assert_eq!(
        s.sent + s.failed + s.coalesced + s.queued as u64 + s.in_flight as u64,
        logged
    );
}
