//! Property tests of what complete reads and read-backs rest on: the bounded search for one
//! stored step against a model server, the retry decisions of a failed page, the metric name
//! limit against the request line it protects, and the bound on what messages quote. (tests/properties.rs holds the rest of the
//! core's properties; this file keeps it from growing.)

use proptest::prelude::*;

use dioptra_metrics::core::address::parse_address;
use dioptra_metrics::core::decode::{api_error, decode_error, ErrorBody};
use dioptra_metrics::core::endpoints::metric_snapshots;
use dioptra_metrics::core::error::Error;
use dioptra_metrics::core::input::Input;
use dioptra_metrics::core::lookup::{request_bound, Lookup, StepLookup};
use dioptra_metrics::core::read_retry::{PageAttempts, PageFailure, READ_RETRY};
use dioptra_metrics::core::retry::RetryPolicy;
use dioptra_metrics::core::validate::{
    metric_name, MAX_METRIC_NAME_LENGTH, MAX_PAGE_LENGTH, MAX_REQUEST_LINE_BYTES, MAX_SAFE_INTEGER,
};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A model of the history endpoint: `items` (steps) in the order it serves them, `index` a
/// page number or an offset, at most `cap` items a page whatever is asked.
struct Model {
    items: Vec<i64>,
    page_number: bool,
    cap: u32,
    requests: u32,
    scanned: bool,
    /// Every page answered, in order.
    served: Vec<Vec<i64>>,
}

impl Model {
    fn page(&mut self, index: u64, page_length: u32) -> (Vec<i64>, u64) {
        self.requests += 1;
        let length = page_length.min(self.cap) as usize;
        let start = if self.page_number {
            index as usize * length
        } else {
            index as usize
        };
        let page: Vec<i64> = self
            .items
            .iter()
            .skip(start)
            .take(length)
            .copied()
            .collect();
        self.served.push(page.clone());
        (page, self.items.len() as u64)
    }

    /// Runs a lookup of `step` to its end: the step found (by its key), or `None`.
    fn look_up(&mut self, step: i64, page_length: u32) -> Option<i64> {
        let mut lookup = StepLookup::new(step, page_length);
        let mut request = lookup.first();
        loop {
            let (keys, total) = self.page(request.index, request.page_length);
            match lookup.accept(request, &keys, total) {
                Lookup::Ask(next) => request = next,
                Lookup::Found(i) => return keys.get(i).copied(),
                Lookup::Absent => return None,
                Lookup::Scan => {
                    self.scanned = true;
                    return self.items.iter().copied().find(|k| *k == step);
                }
            }
        }
    }
}

/// Distinct steps, in step order.
fn history() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::btree_set(-50i64..400, 0..160).prop_map(|s| s.into_iter().collect())
}

proptest! {
    #![proptest_config(config())]

    /// A history in step order: the right answer under either meaning of `index`, with any
    /// silent cap on the page length, in at most 3 + ⌈log₂ pages⌉ requests, without a scan.
    #[test]
    fn sorted_histories_give_the_right_answer_within_the_bound(
        items in history(),
        step in -60i64..410,
        page_number in any::<bool>(),
        page_length in 1u32..40,
        cap in 1u32..60,
    ) {
        let expected = items.binary_search(&step).ok().map(|_| step);
        let mut model = Model { items, page_number, cap, requests: 0, scanned: false, served: Vec::new() };
        let found = model.look_up(step, page_length);
        prop_assert_eq!(found, expected);
        prop_assert!(!model.scanned, "a sorted history was scanned");
        let served = page_length.min(cap);
        let bound = request_bound(model.items.len() as u64, served);
        prop_assert!(model.requests <= bound, "{} requests, bound {}", model.requests, bound);
    }

    /// Any order: a step found is the step asked for (so its value is the stored one), a step
    /// not stored is never found, and a stored step is missed only when every page read was in
    /// step order (disorder that shows makes the lookup read every page).
    #[test]
    fn any_history_never_gives_a_wrong_value(
        sorted in history(),
        seed in any::<u64>(),
        swaps in 0usize..6,
        step_choice in any::<prop::sample::Index>(),
        absent in any::<bool>(),
        page_number in any::<bool>(),
        page_length in 1u32..40,
        cap in 1u32..60,
    ) {
        let mut items = sorted;
        // A few swaps (disorder that may or may not show), or a full shuffle.
        let mut state = seed | 1;
        let mut next = move || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state };
        let n = items.len();
        if n > 1 {
            let count = if swaps == 0 { n * 2 } else { swaps };
            for _ in 0..count {
                let (a, b) = ((next() % n as u64) as usize, (next() % n as u64) as usize);
                items.swap(a, b);
            }
        }
        let step = if absent || items.is_empty() { 1000 } else { items[step_choice.index(n)] };
        let mut model = Model { items, page_number, cap, requests: 0, scanned: false, served: Vec::new() };
        let found = model.look_up(step, page_length);
        match found {
            Some(key) => prop_assert_eq!(key, step),
            None if model.items.contains(&step) => {
                // Missed: only where every page it read was in step order (the disorder did
                // not show), so it searched rather than scanned.
                prop_assert!(!model.scanned);
                for page in &model.served {
                    prop_assert!(page.windows(2).all(|w| w[0] < w[1]), "ignored disorder in {:?}", page);
                }
            }
            None => {}
        }
        if absent {
            prop_assert_eq!(found, None);
        }
    }

    /// A history that is all in one page is answered from that page, whatever its order.
    #[test]
    fn one_page_histories_are_exact_in_any_order(
        items in prop::collection::hash_set(-50i64..400, 0..30),
        step in -60i64..410,
        page_number in any::<bool>(),
    ) {
        let items: Vec<i64> = items.into_iter().collect();
        let expected = items.contains(&step).then_some(step);
        let mut model = Model { items, page_number, cap: 1000, requests: 0, scanned: false, served: Vec::new() };
        prop_assert_eq!(model.look_up(step, 30), expected);
        prop_assert_eq!(model.requests, 1);
    }

    /// A page failing for good: retried while retryable, never waiting past the give-up time,
    /// and given up once that time has passed (or the count is spent), never before.
    #[test]
    fn a_failing_page_is_retried_until_the_give_up_time(
        status in prop::sample::select(vec![408u16, 429, 500, 502, 503, 504]),
        retry_after in prop::option::of(0.0f64..20_000.0),
        give_up in 0.0f64..30_000.0,
        randoms in prop::collection::vec(0.0f64..1.0, 1..40),
        answer_ms in 0.0f64..2_000.0,
    ) {
        let policy = RetryPolicy { give_up_after_ms: give_up, ..READ_RETRY };
        let mut error = api_error(status, "", None, "GET", "/p");
        if let Error::Api(api) = &mut error {
            api.retry_after_ms = retry_after;
        }
        let mut page = PageAttempts::default();
        let mut now = 0.0;
        for random in randoms {
            match page.after_failure(&error, &policy, now, random) {
                PageFailure::Retry { wait_ms } => {
                    prop_assert!(now < give_up);
                    prop_assert!(wait_ms >= 0.0 && wait_ms <= policy.max_delay_ms);
                    prop_assert!(now + wait_ms <= give_up + 1e-6, "waits past the give-up time");
                    if let Some(asked) = retry_after {
                        prop_assert_eq!(wait_ms, asked.min(policy.max_delay_ms).min(give_up - now));
                    }
                    now += wait_ms + answer_ms;
                }
                PageFailure::Fail => {
                    prop_assert!(now >= give_up, "gave up at {} of {}", now, give_up);
                    break;
                }
            }
        }
    }
}

/// The longest history read's request line for a name at the limit, the largest job id and
/// index a caller can reach, and a 200-byte base path, stays within gunicorn's 4,094 bytes.
#[test]
fn a_name_at_the_limit_fits_the_longest_read_request_line() {
    let name = "n".repeat(MAX_METRIC_NAME_LENGTH);
    assert_eq!(metric_name(&Input::Text(name.clone())), Ok(name.clone()));
    let prefix = format!("/{}", "p".repeat(192)); // With /api/v1: 200 bytes of base path.
    let base = parse_address(&format!("http://127.0.0.1:5000{prefix}")).unwrap();
    let id = MAX_SAFE_INTEGER as u64;
    let request = metric_snapshots(id, &name, id, MAX_PAGE_LENGTH);
    let url = request.url(&base);
    let target = url.strip_prefix(&base.origin).unwrap();
    assert!(target.starts_with(&format!("{prefix}/api/v1/")), "{target}");
    let line = format!("GET {target} HTTP/1.1");
    assert!(line.len() <= MAX_REQUEST_LINE_BYTES, "{} bytes", line.len());
    // The margin is no larger than the derivation says: one byte.
    assert!(
        line.len() + 2 > MAX_REQUEST_LINE_BYTES,
        "{} bytes",
        line.len()
    );
}

#[test]
fn one_character_more_is_refused_with_the_limit_and_a_short_message() {
    for length in [MAX_METRIC_NAME_LENGTH + 1, 100_000] {
        let name = "n".repeat(length);
        let Err(Error::Validation { field, message }) = metric_name(&Input::Text(name)) else {
            panic!("a name of {length} characters was accepted");
        };
        assert_eq!(field, "metricName");
        assert!(
            message.contains(&MAX_METRIC_NAME_LENGTH.to_string()),
            "{message}"
        );
        assert!(message.contains(&length.to_string()), "{message}");
        assert!(message.len() < 1024, "{} bytes", message.len());
    }
}

/// Messages quote at most ~200 characters of a path, a value or the server's text; the
/// `path` field keeps the whole path.
#[test]
fn messages_quote_a_bounded_share_of_long_paths_and_server_text() {
    let path = format!("/api/v1/jobs/1/metrics/{}/snapshots", "n".repeat(100_000));
    let cases = [
        api_error(414, "Request-URI Too Long", None, "GET", &path),
        api_error(414, &"r".repeat(50_000), None, "GET", &path),
        api_error(
            400,
            "",
            serde_json::from_value::<ErrorBody>(
                serde_json::json!({"message": "m".repeat(100_000)}),
            )
            .ok(),
            "POST",
            &path,
        ),
        api_error(
            400,
            "",
            serde_json::from_value::<ErrorBody>(serde_json::json!({"errors": {
                "name": ["x".repeat(100_000)], "a": ["1"], "b": ["2"], "c": ["3"], "d": ["4"],
            }}))
            .ok(),
            "POST",
            &path,
        ),
        decode_error("v".repeat(100_000), "GET", &path),
        Error::Network {
            message: "w".repeat(100_000),
            method: "GET".into(),
            path: path.clone(),
        },
        Error::Timeout {
            timeout_ms: 5.0,
            method: "GET".into(),
            path: path.clone(),
        },
        Error::Abort {
            method: "GET".into(),
            path: path.clone(),
        },
    ];
    for error in cases {
        let message = error.to_string();
        assert!(message.len() < 1024, "{} bytes: {message}", message.len());
        if let Error::Api(api) = &error {
            assert_eq!(api.path, path, "the path field keeps the whole path");
        }
    }
    let Error::Api(api) = api_error(414, "", None, "GET", &path) else {
        panic!()
    };
    assert!(api.message.contains("more characters"), "{}", api.message);
}
