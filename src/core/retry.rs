//! When a failed request is tried again, and after how long; and what a failure says about the
//! server (down for everyone, refusing one point, or refusing the whole job).

use crate::core::error::{Error, Result};
use crate::core::http_date::http_date_millis;
use crate::core::input::Input;
use crate::core::validate;

/// How long to keep trying, and the bounds of the wait in between.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts after the first, at most (`u32::MAX`: no bound by count, only by time).
    pub retries: u32,
    /// The wait before the first retry is at most this long (ms); it doubles each time.
    pub min_delay_ms: f64,
    /// No wait is longer than this (ms), not even one a server asks for with `Retry-After`.
    pub max_delay_ms: f64,
    /// A point (or a page) is given up once it has failed for this long (ms) without a
    /// success in between; `f64::INFINITY` never gives up.
    pub give_up_after_ms: f64,
}

/// The logger's default give-up time: 15 minutes of continuous failure.
pub const DEFAULT_GIVE_UP_AFTER_MS: f64 = 15.0 * 60.0 * 1000.0;

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: u32::MAX,
            min_delay_ms: 100.0,
            max_delay_ms: 30_000.0,
            give_up_after_ms: DEFAULT_GIVE_UP_AFTER_MS,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first): "full jitter", a uniformly
    /// random share (`random` in [0, 1)) of the capped exponential bound; or what the server
    /// asked for with `Retry-After`, capped by `max_delay_ms` too.
    // Not `f64::clamp`: its panic message (`min > max`) formats floats, which would bring
    // Rust's float formatting into the wasm.
    #[allow(clippy::manual_clamp)]
    pub fn delay_ms(&self, retry: u32, random: f64, retry_after_ms: Option<f64>) -> f64 {
        if let Some(asked) = retry_after_ms {
            return asked.max(0.0).min(self.max_delay_ms);
        }
        let exponent = retry.saturating_sub(1).min(52) as i32;
        let bound = (self.min_delay_ms * 2f64.powi(exponent)).min(self.max_delay_ms);
        random.max(0.0).min(1.0) * bound
    }

    /// Whether something failing since `since` (ms) after `attempts` failed attempts is to be
    /// given up at `now`.
    pub fn gives_up(&self, attempts: u32, since: f64, now: f64) -> bool {
        attempts > self.retries || now - since >= self.give_up_after_ms
    }
}

/// The longest wait between two attempts a caller may set (an hour).
pub const MAX_RETRY_DELAY_MS: f64 = 3_600_000.0;

/// The most retries by count a caller may set (more is what `giveUpAfterMs` is for).
pub const MAX_RETRIES: f64 = 1_000_000.0;

/// A `retry` option, `{ retries, minDelayMs, maxDelayMs, giveUpAfterMs }` (the logger's and the
/// complete reads'), checked, with `defaults` for what is missing.
pub fn policy_from(
    retries: &Input,
    min_delay_ms: &Input,
    max_delay_ms: &Input,
    give_up_after_ms: &Input,
    defaults: RetryPolicy,
) -> Result<RetryPolicy> {
    let retries = match retries {
        Input::Missing => defaults.retries,
        given => validate::bounded_integer(given, "retry.retries", 0.0, MAX_RETRIES, 0.0)? as u32,
    };
    let min_delay_ms = validate::bounded_number(
        min_delay_ms,
        "retry.minDelayMs",
        0.0,
        MAX_RETRY_DELAY_MS,
        defaults.min_delay_ms,
    )?;
    let max_delay_ms = validate::bounded_number(
        max_delay_ms,
        "retry.maxDelayMs",
        min_delay_ms,
        MAX_RETRY_DELAY_MS,
        defaults.max_delay_ms.max(min_delay_ms),
    )?;
    let give_up_after_ms = validate::bounded_number(
        give_up_after_ms,
        "retry.giveUpAfterMs",
        0.0,
        f64::INFINITY,
        defaults.give_up_after_ms,
    )?;
    Ok(RetryPolicy {
        retries,
        min_delay_ms,
        max_delay_ms,
        give_up_after_ms,
    })
}

/// What a failure says, and so what a sender does about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The server is unreachable or says it is overloaded (network error, time-out, 429,
    /// 502, 503, 504): every request would fail alike. Pause, probe, resume.
    Outage,
    /// This request failed but another may not (500, 408, a 2xx that is not the answer
    /// promised): retry this one later.
    Transient,
    /// The session is not (or no longer) valid: 401.
    Unauthorized,
    /// The job itself is refused (403, 404, 410), or every request is redirected (3xx): no
    /// point of it can be stored.
    Fatal,
    /// This one request is refused (400, 409, 422, ...): retrying it cannot help.
    Refused,
}

/// What `error` says about the server (see [`FailureKind`]).
pub fn classify(error: &Error) -> FailureKind {
    match error {
        Error::Network { .. } | Error::Timeout { .. } => FailureKind::Outage,
        Error::Api(api) => match api.status {
            429 | 502 | 503 | 504 => FailureKind::Outage,
            408 => FailureKind::Transient,
            401 => FailureKind::Unauthorized,
            // A redirect (a proxy sending everything to https or to a login page) or a
            // refused job: the same for every point.
            300..=399 | 403 | 404 | 410 => FailureKind::Fatal,
            status if status >= 500 => FailureKind::Transient,
            _ => FailureKind::Refused,
        },
        Error::Decode { .. } => FailureKind::Transient,
        Error::Validation { .. } | Error::Abort { .. } | Error::QueueFull { .. } => {
            FailureKind::Refused
        }
    }
}

/// Whether a request that failed so is worth trying again: no answer (network, timeout),
/// or an answer that says "later" (408, 429, 5xx). Never 4xx refusals, which fail alike on
/// every attempt.
pub fn is_retryable(error: &Error) -> bool {
    match error {
        Error::Network { .. } | Error::Timeout { .. } => true,
        Error::Api(api) => api.status == 408 || api.status == 429 || api.status >= 500,
        Error::Validation { .. }
        | Error::Abort { .. }
        | Error::Decode { .. }
        | Error::QueueFull { .. } => false,
    }
}

/// A `Retry-After` header (delay-seconds or an HTTP date) as a wait in ms from `now_ms`.
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<f64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds as f64 * 1000.0);
    }
    let at = http_date_millis(value)?;
    Some((at - now_ms).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::decode::api_error;

    #[test]
    fn waits_grow_exponentially_up_to_the_cap_with_full_jitter() {
        let policy = RetryPolicy {
            min_delay_ms: 100.0,
            max_delay_ms: 1000.0,
            ..RetryPolicy::default()
        };
        assert_eq!(policy.delay_ms(1, 0.999_999, None).round(), 100.0);
        assert_eq!(policy.delay_ms(2, 0.999_999, None).round(), 200.0);
        assert_eq!(policy.delay_ms(4, 0.999_999, None).round(), 800.0);
        assert_eq!(policy.delay_ms(5, 0.999_999, None).round(), 1000.0);
        assert_eq!(policy.delay_ms(60, 0.5, None), 500.0);
        assert_eq!(policy.delay_ms(3, 0.0, None), 0.0);
    }

    #[test]
    fn the_servers_retry_after_is_followed_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_ms(1, 0.9, Some(0.0)), 0.0);
        assert_eq!(policy.delay_ms(1, 0.9, Some(20_000.0)), 20_000.0);
        // Found by trying: `Retry-After: 3600` kept flush() waiting 1,500 s.
        assert_eq!(policy.delay_ms(1, 0.9, Some(3_600_000.0)), 30_000.0);
        let short = RetryPolicy {
            max_delay_ms: 5.0,
            ..policy
        };
        assert_eq!(short.delay_ms(1, 0.9, Some(1e12)), 5.0);
    }

    #[test]
    fn gives_up_by_time_or_by_an_explicit_count() {
        let policy = RetryPolicy::default();
        assert!(!policy.gives_up(1_000_000, 0.0, DEFAULT_GIVE_UP_AFTER_MS - 1.0));
        assert!(policy.gives_up(1, 0.0, DEFAULT_GIVE_UP_AFTER_MS));
        let never = RetryPolicy {
            give_up_after_ms: f64::INFINITY,
            ..policy
        };
        assert!(!never.gives_up(u32::MAX, 0.0, 1e15));
        let counted = RetryPolicy {
            retries: 2,
            ..policy
        };
        assert!(!counted.gives_up(2, 0.0, 0.0));
        assert!(counted.gives_up(3, 0.0, 0.0));
    }

    #[test]
    fn reads_retry_after_in_both_forms() {
        assert_eq!(parse_retry_after("0", 0.0), Some(0.0));
        assert_eq!(parse_retry_after(" 3 ", 0.0), Some(3000.0));
        let now = 1_700_000_000_000.0; // 2023-11-14T22:13:20Z
        assert_eq!(
            parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now),
            Some(10_000.0)
        );
        assert_eq!(
            parse_retry_after("Tue, 14 Nov 2023 22:13:00 GMT", now),
            Some(0.0)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn retries_only_what_may_succeed_later() {
        let status = |s| api_error(s, "", None, "POST", "/p");
        for retryable in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable(&status(retryable)), "{retryable}");
        }
        for fatal in [400, 401, 403, 404, 409, 422] {
            assert!(!is_retryable(&status(fatal)), "{fatal}");
        }
        let network = Error::Network {
            message: "reset".into(),
            method: "POST".into(),
            path: "/p".into(),
        };
        assert!(is_retryable(&network));
        assert!(!is_retryable(&Error::validation("f", "m")));
    }

    #[test]
    fn classifies_what_a_failure_says_about_the_server() {
        let status = |s| classify(&api_error(s, "", None, "POST", "/p"));
        for outage in [429, 502, 503, 504] {
            assert_eq!(status(outage), FailureKind::Outage, "{outage}");
        }
        for transient in [408, 500, 501, 599] {
            assert_eq!(status(transient), FailureKind::Transient, "{transient}");
        }
        assert_eq!(status(401), FailureKind::Unauthorized);
        for fatal in [302, 307, 403, 404, 410] {
            assert_eq!(status(fatal), FailureKind::Fatal, "{fatal}");
        }
        for refused in [400, 409, 413, 422] {
            assert_eq!(status(refused), FailureKind::Refused, "{refused}");
        }
        let timeout = Error::Timeout {
            timeout_ms: 1.0,
            method: "POST".into(),
            path: "/p".into(),
        };
        assert_eq!(classify(&timeout), FailureKind::Outage);
        let garbage = Error::Decode {
            message: "{}".into(),
            method: "POST".into(),
            path: "/p".into(),
        };
        assert_eq!(classify(&garbage), FailureKind::Transient);
    }
}
