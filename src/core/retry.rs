//! When a failed request is tried again, and after how long.

use chrono::DateTime;

use crate::core::error::Error;

/// The longest wait a server's `Retry-After` can impose (5 minutes).
const MAX_RETRY_AFTER_MS: f64 = 300_000.0;

/// How many times to try again, and the bounds of the wait in between.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// The wait before the first retry is at most this long (ms); it doubles each time.
    pub min_delay_ms: f64,
    /// No wait is longer than this (ms), unless the server asks for longer.
    pub max_delay_ms: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 5,
            min_delay_ms: 100.0,
            max_delay_ms: 10_000.0,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first): "full jitter", a uniformly
    /// random share (`random` in [0, 1)) of the capped exponential bound; or what the server
    /// asked for with `Retry-After`.
    pub fn delay_ms(&self, retry: u32, random: f64, retry_after_ms: Option<f64>) -> f64 {
        if let Some(asked) = retry_after_ms {
            return asked.clamp(0.0, MAX_RETRY_AFTER_MS);
        }
        let exponent = retry.saturating_sub(1).min(52) as i32;
        let bound = (self.min_delay_ms * 2f64.powi(exponent)).min(self.max_delay_ms);
        random.clamp(0.0, 1.0) * bound
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
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.timestamp_millis() as f64 - now_ms).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::decode::api_error;

    #[test]
    fn waits_grow_exponentially_up_to_the_cap_with_full_jitter() {
        let policy = RetryPolicy {
            retries: 5,
            min_delay_ms: 100.0,
            max_delay_ms: 1000.0,
        };
        assert_eq!(policy.delay_ms(1, 0.999_999, None).round(), 100.0);
        assert_eq!(policy.delay_ms(2, 0.999_999, None).round(), 200.0);
        assert_eq!(policy.delay_ms(4, 0.999_999, None).round(), 800.0);
        assert_eq!(policy.delay_ms(5, 0.999_999, None).round(), 1000.0);
        assert_eq!(policy.delay_ms(60, 0.5, None), 500.0);
        assert_eq!(policy.delay_ms(3, 0.0, None), 0.0);
    }

    #[test]
    fn the_servers_retry_after_wins() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_ms(1, 0.9, Some(0.0)), 0.0);
        assert_eq!(policy.delay_ms(1, 0.9, Some(30_000.0)), 30_000.0);
        assert_eq!(policy.delay_ms(1, 0.9, Some(1e12)), MAX_RETRY_AFTER_MS);
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
}
