//! Retries of the page requests of a complete read: what to do after page `k` failed, and the
//! read options that set the policy.
//!
//! A failed page is asked again, alone: the pages already read are kept, the pages in flight
//! go on, and the read never starts over because of a retried page. Failures that
//! [`classify`] calls [`FailureKind::Outage`] or [`FailureKind::Transient`] are retried
//! (network error, time-out, 408, 429, 5xx, a 2xx that does not decode), with full jitter,
//! `Retry-After` honoured up to `maxDelayMs`, until the page has failed for `giveUpAfterMs`;
//! anything else (400, 401, 403, 404, an abort) fails the read at once.

use crate::core::error::{Error, Result};
use crate::core::input::Input;
use crate::core::retry::{self, classify, FailureKind, RetryPolicy};

/// A complete read's default policy: a UI would rather show an error after a minute than
/// spin for the logger's 15; waits from 100 ms (doubling) up to 10 s; no bound by count.
pub const READ_RETRY: RetryPolicy = RetryPolicy {
    retries: u32::MAX,
    min_delay_ms: 100.0,
    max_delay_ms: 10_000.0,
    give_up_after_ms: 60_000.0,
};

/// What a read does after one of its page requests failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PageFailure {
    /// Ask for the page again after this many ms.
    Retry {
        /// The wait, in ms.
        wait_ms: f64,
    },
    /// The read fails with this failure's error.
    Fail,
}

/// The failures of one page request so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PageAttempts {
    failures: u32,
    failing_since: Option<f64>,
}

impl PageAttempts {
    /// How many times this page failed.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records that the page failed with `error` at `now` (ms) and says what to do: retry
    /// after a wait (`random` in [0, 1) picks it, full jitter), or fail. The wait never ends
    /// after the give-up time, so a page that is still failing then fails at that time.
    pub fn after_failure(
        &mut self,
        error: &Error,
        policy: &RetryPolicy,
        now: f64,
        random: f64,
    ) -> PageFailure {
        if !matches!(
            classify(error),
            FailureKind::Outage | FailureKind::Transient
        ) {
            return PageFailure::Fail;
        }
        let since = *self.failing_since.get_or_insert(now);
        self.failures = self.failures.saturating_add(1);
        if policy.gives_up(self.failures, since, now) {
            return PageFailure::Fail;
        }
        let asked = match error {
            Error::Api(api) => api.retry_after_ms,
            _ => None,
        };
        let wait = policy.delay_ms(self.failures, random, asked);
        let left = since + policy.give_up_after_ms - now;
        PageFailure::Retry {
            wait_ms: wait.min(left).max(0.0),
        }
    }
}

/// The `retry` option of a complete read, `{ retries, minDelayMs, maxDelayMs, giveUpAfterMs }`,
/// each checked as the logger checks its own ([`READ_RETRY`] for what is missing).
pub fn read_retry_policy(
    retries: &Input,
    min_delay_ms: &Input,
    max_delay_ms: &Input,
    give_up_after_ms: &Input,
) -> Result<RetryPolicy> {
    retry::policy_from(
        retries,
        min_delay_ms,
        max_delay_ms,
        give_up_after_ms,
        READ_RETRY,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::decode::api_error;

    fn status(code: u16, retry_after_ms: Option<f64>) -> Error {
        let mut error = api_error(code, "", None, "GET", "/p");
        if let Error::Api(api) = &mut error {
            api.retry_after_ms = retry_after_ms;
        }
        error
    }

    #[test]
    fn retries_what_may_pass_and_fails_the_rest_at_once() {
        for code in [408, 429, 500, 502, 503, 504] {
            let mut page = PageAttempts::default();
            assert!(
                matches!(
                    page.after_failure(&status(code, None), &READ_RETRY, 0.0, 0.5),
                    PageFailure::Retry { .. }
                ),
                "{code}"
            );
        }
        for code in [400, 401, 403, 404, 409, 414] {
            let mut page = PageAttempts::default();
            assert_eq!(
                page.after_failure(&status(code, None), &READ_RETRY, 0.0, 0.5),
                PageFailure::Fail,
                "{code}"
            );
        }
        let network = Error::Network {
            message: "reset".into(),
            method: "GET".into(),
            path: "/p".into(),
        };
        let garbage = Error::Decode {
            message: "{}".into(),
            method: "GET".into(),
            path: "/p".into(),
        };
        let abort = Error::Abort {
            method: "GET".into(),
            path: "/p".into(),
        };
        let mut page = PageAttempts::default();
        assert!(matches!(
            page.after_failure(&network, &READ_RETRY, 0.0, 0.5),
            PageFailure::Retry { .. }
        ));
        assert!(matches!(
            page.after_failure(&garbage, &READ_RETRY, 1.0, 0.5),
            PageFailure::Retry { .. }
        ));
        assert_eq!(page.failures(), 2);
        assert_eq!(
            page.after_failure(&abort, &READ_RETRY, 2.0, 0.5),
            PageFailure::Fail
        );
    }

    #[test]
    fn follows_retry_after_up_to_max_delay() {
        let mut page = PageAttempts::default();
        assert_eq!(
            page.after_failure(&status(503, Some(1000.0)), &READ_RETRY, 0.0, 0.99),
            PageFailure::Retry { wait_ms: 1000.0 }
        );
        assert_eq!(
            page.after_failure(&status(503, Some(3_600_000.0)), &READ_RETRY, 0.0, 0.99),
            PageFailure::Retry { wait_ms: 10_000.0 }
        );
    }

    #[test]
    fn gives_up_by_time_and_never_waits_past_it() {
        let policy = RetryPolicy {
            give_up_after_ms: 1000.0,
            min_delay_ms: 400.0,
            max_delay_ms: 400.0,
            ..READ_RETRY
        };
        let mut page = PageAttempts::default();
        let error = status(503, None);
        assert_eq!(
            page.after_failure(&error, &policy, 100.0, 0.999),
            PageFailure::Retry { wait_ms: 399.6 }
        );
        // 900 ms into the failure only 200 ms remain.
        assert_eq!(
            page.after_failure(&error, &policy, 900.0, 0.999),
            PageFailure::Retry { wait_ms: 200.0 }
        );
        assert_eq!(
            page.after_failure(&error, &policy, 1100.0, 0.999),
            PageFailure::Fail
        );
        let counted = RetryPolicy {
            retries: 1,
            ..READ_RETRY
        };
        let mut page = PageAttempts::default();
        assert!(matches!(
            page.after_failure(&error, &counted, 0.0, 0.5),
            PageFailure::Retry { .. }
        ));
        assert_eq!(
            page.after_failure(&error, &counted, 0.0, 0.5),
            PageFailure::Fail
        );
    }

    #[test]
    fn reads_and_checks_the_retry_option() {
        let missing = Input::Missing;
        assert_eq!(
            read_retry_policy(&missing, &missing, &missing, &missing),
            Ok(READ_RETRY)
        );
        let policy = read_retry_policy(
            &Input::Number(3.0),
            &Input::Number(10.0),
            &Input::Number(50.0),
            &Input::Number(f64::INFINITY),
        )
        .unwrap();
        assert_eq!(
            (policy.retries, policy.min_delay_ms, policy.max_delay_ms),
            (3, 10.0, 50.0)
        );
        assert!(policy.give_up_after_ms.is_infinite());
        // A minimum above the default maximum raises the maximum's default with it.
        let high =
            read_retry_policy(&missing, &Input::Number(20_000.0), &missing, &missing).unwrap();
        assert_eq!(high.max_delay_ms, 20_000.0);
        for (retries, min, max, give_up, field) in [
            (
                Input::Number(1.5),
                Input::Missing,
                Input::Missing,
                Input::Missing,
                "retry.retries",
            ),
            (
                Input::Number(-1.0),
                Input::Missing,
                Input::Missing,
                Input::Missing,
                "retry.retries",
            ),
            (
                Input::Missing,
                Input::Number(f64::NAN),
                Input::Missing,
                Input::Missing,
                "retry.minDelayMs",
            ),
            (
                Input::Missing,
                Input::Number(500.0),
                Input::Number(100.0),
                Input::Missing,
                "retry.maxDelayMs",
            ),
            (
                Input::Missing,
                Input::Missing,
                Input::Missing,
                Input::Number(-1.0),
                "retry.giveUpAfterMs",
            ),
            (
                Input::Missing,
                Input::Missing,
                Input::Missing,
                Input::Text("1".into()),
                "retry.giveUpAfterMs",
            ),
        ] {
            match read_retry_policy(&retries, &min, &max, &give_up) {
                Err(Error::Validation { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
