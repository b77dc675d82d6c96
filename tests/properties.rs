//! Property tests of the pure core: the value codec, name validation, response decoding,
//! the cookie jar, request encoding, the pager and the logger's queue.
//!
//! Each property runs a bounded number of cases (see `config`) so that the whole file stays
//! well under 15 s on two cores. Failures are not written to `proptest-regressions/` files
//! (persistence is off); a failing run prints the shrunk input. Seeds are random per run;
//! `PROPTEST_RNG_SEED=<u64>` fixes one (for a deterministic CI run, say).
//!
//! Where a property found a bug in `src/`, the minimal counterexample is pinned in an
//! test named `regression_*` (they were fixed; the tests keep them fixed).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;
use regex::Regex;
use serde_json::{json, Value};

use dioptra_metrics::core::cookies::CookieJar;
use dioptra_metrics::core::decode::{
    api_error, ErrorBody, JobMetrics, LoginAnswer, Metric, Page, Snapshot,
};
use dioptra_metrics::core::endpoints::{append_metric, percent_encode, NewMetric};
use dioptra_metrics::core::error::{ApiError, Error};
use dioptra_metrics::core::input::Input;
use dioptra_metrics::core::paging::{IndexMode, PageRequest, Pager};
use dioptra_metrics::core::queue::{Key, MetricQueue, Outcome, Refusal};
use dioptra_metrics::core::retry::RetryPolicy;
use dioptra_metrics::core::text::json_string;
use dioptra_metrics::core::validate::{is_metric_name, METRIC_NAME_RULE};
use dioptra_metrics::core::value::{encode_value, metric_value, WireValue};

/// `cases` cases, and no regression files written next to the sources.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The value codec
// ---------------------------------------------------------------------------------------------

const SIGN: u64 = 1 << 63;
const EXPONENT: u64 = 0x7ff << 52;
const MANTISSA: u64 = (1 << 52) - 1;

/// f64 bit patterns: uniform ones (almost all normal numbers), and the ones uniform bits
/// rarely hit: NaNs with any payload and sign, subnormals, zeros, infinities, and neighbours
/// of the thresholds where `json_number` switches between plain digits and an exponent.
fn f64_bits() -> impl Strategy<Value = u64> {
    let specials = vec![
        0,
        SIGN,
        EXPONENT,
        SIGN | EXPONENT,
        1,
        SIGN | 1,
        f64::MIN_POSITIVE.to_bits(),
        f64::MAX.to_bits(),
        f64::MIN.to_bits(),
        f64::EPSILON.to_bits(),
        f64::NAN.to_bits(),
        (-f64::NAN).to_bits(),
    ];
    let thresholds = vec![
        1e-6,
        1e-7,
        1e20,
        1e21,
        1e22,
        1e15,
        1e16,
        9_007_199_254_740_992.0,
    ];
    prop_oneof![
        6 => any::<u64>(),
        2 => (any::<bool>(), 1..=MANTISSA)
            .prop_map(|(negative, payload)| (if negative { SIGN } else { 0 }) | EXPONENT | payload),
        1 => (any::<bool>(), 1..=MANTISSA)
            .prop_map(|(negative, mantissa)| (if negative { SIGN } else { 0 }) | mantissa),
        1 => prop::sample::select(specials),
        2 => (prop::sample::select(thresholds), -16i64..=16, any::<bool>()).prop_map(
            |(base, delta, negative)| {
                let bits = (f64::to_bits(base) as i64 + delta) as u64;
                if negative { bits | SIGN } else { bits }
            }
        ),
    ]
}

proptest! {
    #![proptest_config(config(4000))]

    #[test]
    fn the_value_codec_round_trips_every_bit_pattern(bits in f64_bits()) {
        let x = f64::from_bits(bits);
        let token = encode_value(x);
        let parsed: Value = serde_json::from_str(&token)
            .map_err(|e| TestCaseError::fail(format!("{token} is not JSON: {e}")))?;
        let wire: WireValue = serde_json::from_str(&token)
            .map_err(|e| TestCaseError::fail(format!("{token} is not a WireValue: {e}")))?;
        if x.is_nan() {
            prop_assert_eq!(&token, "\"nan\"");
            prop_assert!(wire.0.is_nan());
        } else if x == f64::INFINITY {
            prop_assert_eq!(&token, "\"inf\"");
            prop_assert_eq!(wire.0, f64::INFINITY);
        } else if x == f64::NEG_INFINITY {
            prop_assert_eq!(&token, "\"-inf\"");
            prop_assert_eq!(wire.0, f64::NEG_INFINITY);
        } else {
            prop_assert!(parsed.is_number(), "{} is not a JSON number", token);
            // Rust's parser is correctly rounded (as Python's, the server's, and JavaScript's
            // JSON.parse are): the exact bits come back, -0.0 included.
            let back: f64 = token
                .parse()
                .map_err(|e| TestCaseError::fail(format!("{token}: {e}")))?;
            prop_assert_eq!(back.to_bits(), bits, "{:e} went out as {}", x, token);
            // And so does serde_json, with the `float_roundtrip` feature the dev-dependencies
            // turn on (its default parser can be 1-2 ULPs off).
            prop_assert_eq!(wire.0.to_bits(), bits, "{} read back as {:e}", token, wire.0);
        }
        // A number argument passes through untouched, NaN payloads included.
        let passed = metric_value(&Input::Number(x))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(passed.to_bits(), bits);
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Metric names
// ---------------------------------------------------------------------------------------------

fn name_rule() -> &'static Regex {
    static RULE: OnceLock<Regex> = OnceLock::new();
    RULE.get_or_init(|| Regex::new(METRIC_NAME_RULE).expect("the rule compiles"))
}

/// Characters that sit on the edge of the rule: separators, digits, a line break, and
/// non-ASCII letters that Python's `re.IGNORECASE` folds onto ASCII ones.
const EDGE_CHARS: &[char] = &[
    '\n', '\r', '\0', ' ', '\t', '-', '.', '/', '0', '9', '_', 'a', 'Z', 'é',
    '\u{212A}', // KELVIN SIGN
    '\u{17F}',  // LATIN SMALL LETTER LONG S
    '\u{131}',  // LATIN SMALL LETTER DOTLESS I
    '\u{130}',  // LATIN CAPITAL LETTER I WITH DOT ABOVE
    '\u{FF21}', // FULLWIDTH LATIN CAPITAL LETTER A
    '\u{663}',  // ARABIC-INDIC DIGIT THREE
];

/// A valid name with one edit: a character inserted, replaced or removed, or a newline
/// appended.
fn near_valid_name() -> impl Strategy<Value = String> {
    (
        "[A-Za-z]|[A-Za-z_][A-Za-z0-9_]{1,6}",
        0..5u8,
        any::<Index>(),
        prop::sample::select(EDGE_CHARS),
    )
        .prop_map(|(valid, edit, at, c)| {
            let mut s = valid; // ASCII: every byte index is a char boundary.
            match edit {
                0 => {}
                1 => s.insert(at.index(s.len() + 1), c),
                2 => {
                    let i = at.index(s.len());
                    s.replace_range(i..=i, c.encode_utf8(&mut [0; 4]));
                }
                3 => {
                    s.remove(at.index(s.len()));
                }
                _ => s.push('\n'),
            }
            s
        })
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn metric_names_are_exactly_the_language_of_the_rule(
        name in prop_oneof![
            any::<String>(),
            "[A-Za-z0-9_ ./é-]{0,8}",
            near_valid_name(),
        ]
    ) {
        prop_assert_eq!(
            is_metric_name(&name),
            name_rule().is_match(&name),
            "{:?}", name
        );
    }
}

/// The rule is applied as written: Rust's `$` (not multi-line) matches only at the very end.
/// The server is more lenient. Dioptra validates names with marshmallow's
/// `validate.Regexp(re.compile(r"^([A-Z]|[A-Z_][A-Z0-9_]+)$", flags=re.IGNORECASE))`, which
/// calls `re.match`; Python's `$` also matches before one trailing newline, and Unicode
/// IGNORECASE folds a few non-ASCII letters onto `[A-Z]`. So the server accepts "a\n", "ab\n",
/// "\u{212A}" (KELVIN SIGN), "\u{17F}" (long s), "\u{131}" (dotless i) and "\u{130}", all of
/// which the client refuses. (Checked by reasoning and against CPython's `re` module, not
/// against a server.) Being stricter is the safe side: the client never sends a name the
/// server would refuse, but it refuses a few the server would store.
#[test]
fn the_client_is_stricter_than_the_servers_python_regex() {
    for name in [
        "a\n",
        "ab\n",
        "\u{212A}",
        "\u{17F}",
        "\u{131}",
        "\u{130}",
        "a\u{212A}",
    ] {
        assert!(!is_metric_name(name), "{name:?}");
        assert!(!name_rule().is_match(name), "{name:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Response decoding
// ---------------------------------------------------------------------------------------------

const FIELD_NAMES: &[&str] = &[
    "index",
    "isComplete",
    "totalNumResults",
    "first",
    "next",
    "prev",
    "data",
    "name",
    "value",
    "step",
    "timestamp",
    "id",
    "metrics",
    "error",
    "message",
    "errors",
    "username",
    "status",
];

const ODD_STRINGS: &[&str] = &[
    "",
    "nan",
    "inf",
    "-inf",
    "NaN",
    "Infinity",
    "-Infinity",
    "+inf",
    "2026-11-27T05:41:08.123456",
    "2026-11-27T05:41:09+00:00",
    "2026-11-27 05:41",
    "2026-11-27",
    "2026-02-30T00:00:00Z",
    "+262143-12-31T23:59:59Z",
    "-262144-01-01T00:00:00",
    "9999-12-31T23:59:59.999999999999",
    "1970-01-01T00:00:00+23:59",
    "1970-01-01T00:00:00-99:99",
    "2026-11-27T05:41:08.",
    "T",
    "\u{0}",
    "é",
];

fn json_number() -> impl Strategy<Value = Value> {
    let finite = |f: f64| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number);
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-3i64..40).prop_map(Value::from),
        any::<f64>().prop_map(finite),
        prop::sample::select(vec![
            0.5,
            -0.0,
            1.5,
            -1.5,
            1e300,
            -1e300,
            5e-324,
            1.8446744073709552e19,
            9.3e18
        ])
        .prop_map(finite),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
    ]
}

fn json_string_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(ODD_STRINGS).prop_map(Value::from),
        "[0-9T:. +Z-]{0,28}".prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        json_string_value(),
    ]
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FIELD_NAMES).prop_map(str::to_owned),
        1 => "[a-zA-Z]{0,6}",
    ]
}

/// Arbitrary JSON trees whose keys are mostly the real field names.
fn json_tree() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(json_key(), inner, 0..10)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A value that is usually of the right type for `field`, and sometimes anything at all.
fn field_value(field: &'static str) -> BoxedStrategy<Value> {
    let right: BoxedStrategy<Value> = match field {
        "index" | "totalNumResults" | "id" => (0u64..5000).prop_map(Value::from).boxed(),
        "step" => any::<i64>().prop_map(Value::from).boxed(),
        "isComplete" => any::<bool>().prop_map(Value::Bool).boxed(),
        "value" => prop_oneof![
            json_number(),
            prop::sample::select(vec!["nan", "inf", "-inf"]).prop_map(Value::from)
        ]
        .boxed(),
        "timestamp" => json_string_value().boxed(),
        "message" => prop_oneof![Just(String::new()), "[a-z_ ]{1,8}"]
            .prop_map(Value::from)
            .boxed(),
        _ => "[a-z_]{1,8}".prop_map(Value::from).boxed(),
    };
    prop_oneof![6 => right, 1 => json_leaf()].boxed()
}

/// An object with each of `fields` present (mostly well typed) with probability 9/10.
fn object_of(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let present: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
        .iter()
        .map(|&f| {
            prop::option::weighted(0.9, field_value(f).prop_map(move |v| (f.to_owned(), v))).boxed()
        })
        .collect();
    present.prop_map(|pairs| Value::Object(pairs.into_iter().flatten().collect()))
}

const PAGE_FIELDS: &[&str] = &[
    "index",
    "isComplete",
    "totalNumResults",
    "first",
    "next",
    "prev",
];

fn page_of(item: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    (object_of(PAGE_FIELDS), prop::collection::vec(item, 0..6)).prop_map(|(mut page, data)| {
        page["data"] = Value::Array(data);
        page
    })
}

/// The server's `errors` map and what a broken server might put there instead: messages
/// (empty ones too) in lists and maps nested by field name (the empty name too).
fn error_tree() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        2 => Just(Value::from("")),
        2 => "[a-z <=0-9]{1,8}".prop_map(Value::from),
        1 => json_leaf(),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        let key = prop::sample::select(vec!["", "name", "pageLength", "a"]).prop_map(str::to_owned);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn metric_like() -> impl Strategy<Value = Value> {
    object_of(&["name", "value"])
}

/// Values close to the shapes the server answers with (so that decoding gets deep), mixed
/// with arbitrary trees.
fn answer_like() -> impl Strategy<Value = Value> {
    let job = (
        object_of(&["id"]),
        prop::collection::vec(metric_like(), 0..4),
    )
        .prop_map(|(mut job, metrics)| {
            job["metrics"] = Value::Array(metrics);
            job
        });
    prop_oneof![
        3 => json_tree(),
        2 => page_of(object_of(&["name", "value", "step", "timestamp"])),
        1 => page_of(job),
        1 => metric_like(),
        1 => object_of(&["username", "status"]),
        2 => (object_of(&["error", "message"]), prop_oneof![json_tree(), error_tree()]).prop_map(|(mut body, errors)| {
            body["errors"] = errors;
            body
        }),
    ]
}

/// Decodes `value` as every answer type. Results may be anything; panics fail the case.
fn decode_everything(value: &Value) {
    let _ = serde_json::from_value::<Page<Snapshot>>(value.clone());
    let _ = serde_json::from_value::<Page<JobMetrics>>(value.clone());
    let _ = serde_json::from_value::<Vec<Metric>>(value.clone());
    let _ = serde_json::from_value::<Metric>(value.clone());
    let _ = serde_json::from_value::<LoginAnswer>(value.clone());
    let _ = serde_json::from_value::<ErrorBody>(value.clone());
}

/// The same from text.
fn decode_everything_from_bytes(bytes: &[u8]) {
    let _ = serde_json::from_slice::<Page<Snapshot>>(bytes);
    let _ = serde_json::from_slice::<Page<JobMetrics>>(bytes);
    let _ = serde_json::from_slice::<Vec<Metric>>(bytes);
    let _ = serde_json::from_slice::<Metric>(bytes);
    let _ = serde_json::from_slice::<LoginAnswer>(bytes);
    let _ = serde_json::from_slice::<ErrorBody>(bytes);
    let text = String::from_utf8_lossy(bytes);
    let _ = serde_json::from_str::<Page<Snapshot>>(&text);
    let _ = serde_json::from_str::<ErrorBody>(&text);
}

/// The message `api_error` gives for `body`, checking that it is an `Error::Api` with the
/// status, method and path it was given.
fn api_message(status: u16, body: Option<ErrorBody>) -> Result<String, TestCaseError> {
    match api_error(status, "x", body, "GET", "/p") {
        Error::Api(e) => {
            prop_assert_eq!(e.status, status);
            prop_assert_eq!(&e.method, "GET");
            prop_assert_eq!(&e.path, "/p");
            Ok(e.message)
        }
        other => Err(TestCaseError::fail(format!("not an API error: {other:?}"))),
    }
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn the_decoders_never_panic_on_any_json(value in answer_like(), status in 100u16..600) {
        decode_everything(&value);
        let body = serde_json::from_value::<ErrorBody>(value.clone()).ok();
        let message = api_message(status, body)?;
        prop_assert!(!message.is_empty(), "empty message for {}", value);
        // With no usable body at all, the message names the request and status.
        let message = api_message(status, None)?;
        prop_assert!(message.contains(&status.to_string()), "{}", message);
    }

    #[test]
    fn the_decoders_never_panic_on_any_bytes(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            // Real JSON, then damaged: truncated and with bytes overwritten.
            (answer_like(), any::<Index>(), prop::collection::vec((any::<Index>(), any::<u8>()), 0..3))
                .prop_map(|(value, cut, edits)| {
                    let mut bytes = value.to_string().into_bytes();
                    for (at, b) in edits {
                        if !bytes.is_empty() {
                            let i = at.index(bytes.len());
                            bytes[i] = b;
                        }
                    }
                    let keep = cut.index(bytes.len() + 1).max(bytes.len() * 3 / 4);
                    bytes.truncate(keep);
                    bytes
                }),
        ]
    ) {
        decode_everything_from_bytes(&bytes);
        let body = serde_json::from_slice::<ErrorBody>(&bytes).ok();
        let message = api_message(500, body)?;
        prop_assert!(!message.is_empty());
    }
}

/// Error trees as deep as serde_json lets text nest (128 levels) decode without trouble; the
/// decoder reads messages down to its depth bound (16) and skips what lies deeper.
#[test]
fn deeply_nested_error_bodies_decode() {
    for depth in [1usize, 10, 15, 16, 60, 125] {
        let nested = format!("{}\"m\"{}", "[".repeat(depth), "]".repeat(depth));
        let text = format!("{{\"message\":\"\",\"errors\":{nested}}}");
        let body: ErrorBody = serde_json::from_str(&text).expect("nests within the limit");
        let Error::Api(e) = api_error(400, "x", Some(body), "GET", "/p") else {
            panic!("not an API error")
        };
        let expected = if depth < 16 {
            "m"
        } else {
            "GET /p failed with HTTP 400 (x)"
        };
        assert_eq!(e.message, expected, "depth {depth}");
        decode_everything_from_bytes(text.as_bytes());
        let objects = format!("{}\"m\"{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        decode_everything_from_bytes(format!("{{\"errors\":{objects}}}").as_bytes());
    }
}

/// Fixed: a 4xx/5xx answer whose body is `{"errors": ""}` (or `{"errors": [""]}`,
/// `{"errors": {"": ""}}`, any with only empty messages under no field name, and no non-empty
/// `message`) gives an `ApiError` whose message is the empty string, instead of the
/// "GET /p failed with HTTP 400 (x)" fallback: `summarize` joins the empty messages.
#[test]
fn regression_an_empty_field_error_gives_an_empty_message() {
    let body: ErrorBody = serde_json::from_str(r#"{"errors": ""}"#).expect("an error body");
    let Error::Api(e) = api_error(400, "x", Some(body), "GET", "/p") else {
        panic!("not an API error")
    };
    assert!(!e.message.is_empty(), "the message is empty");
}

// ---------------------------------------------------------------------------------------------
// 4. The cookie jar
// ---------------------------------------------------------------------------------------------

const NOW: f64 = 1_800_000_000_000.0;

/// `s` without the characters the tests use to mark and split cookies.
fn unmarked(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '#' | ';')).collect()
}

fn max_age_value() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5i64..5).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (0u64..100_000).prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            "0",
            "-0",
            "00",
            "+5",
            " 7 ",
            "\t-1",
            "1e3",
            "",
            "abc",
            "--1",
            "\u{663}",
            "-99999999999999999999",
            "99999999999999999999",
        ])
        .prop_map(str::to_owned),
    ]
}

fn cookie_attribute() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (
            prop::sample::select(vec!["Max-Age", "max-age", "MAX-AGE", " Max-Age ", "Max-Age\t"]),
            max_age_value()
        )
            .prop_map(|(key, value)| format!("{key}={value}")),
        1 => prop::sample::select(vec![
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Sat, 27 Nov 2027 05:41:08 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "yesterday",
        ])
        .prop_map(|date| format!("Expires={date}")),
        2 => cookie_path().prop_map(|path| format!("Path={path}")),
        1 => prop::sample::select(vec!["HttpOnly", "Secure", "SameSite=Lax", "Domain=x", "", "="])
            .prop_map(str::to_owned),
        1 => any::<String>().prop_map(|s| unmarked(&s)),
    ]
}

fn cookie_path() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "/",
            "/api",
            "/api/v1/auth/login",
            "/api/v1/jobs/1/metrics",
            "/a/b/",
            "//",
            "",
            "noslash",
            "/é/ü",
        ])
        .prop_map(str::to_owned),
        "/[a-z/é]{0,8}",
        any::<String>(),
    ]
}

/// One `Set-Cookie` header value: `name=#i#` (the value marks it; `i` is filled in later)
/// with attributes, or anything at all.
fn set_cookie() -> impl Strategy<Value = (bool, String, Vec<String>)> {
    prop_oneof![
        4 => (
            prop::sample::select(vec!["a", "b", "session", " a ", "x y", "é"]).prop_map(str::to_owned),
            prop::collection::vec(cookie_attribute(), 0..4),
        )
            .prop_map(|(name, attributes)| (true, name, attributes)),
        1 => any::<String>().prop_map(|s| (false, unmarked(&s), Vec::new())),
    ]
}

/// What a cookie's Max-Age says.
enum MaxAge {
    /// Delta-seconds ≤ 0: expired at once.
    Expired,
    /// Expires after so many seconds (`None`: too many to expire within the test).
    Seconds(Option<u64>),
}

/// RFC 6265 §5.2.2 and §5.3: the Max-Age that applies is the last attribute named `Max-Age`
/// (any case, spaces and tabs trimmed) whose value is `-?DIGIT+`; others are ignored. Returns
/// what it says, if there is one.
fn rfc_max_age(attributes: &[String]) -> Option<MaxAge> {
    let wsp: &[char] = &[' ', '\t'];
    attributes
        .iter()
        .filter_map(|attribute| {
            let (key, value) = attribute.split_once('=').unwrap_or((attribute, ""));
            let value = value.trim_matches(wsp);
            let digits = value.strip_prefix('-').unwrap_or(value);
            let valid = key.trim_matches(wsp).eq_ignore_ascii_case("max-age")
                && !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit());
            valid.then(|| {
                if value.starts_with('-') || digits.bytes().all(|b| b == b'0') {
                    MaxAge::Expired
                } else {
                    MaxAge::Seconds(digits.parse::<u64>().ok())
                }
            })
        })
        .next_back()
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn the_jar_never_sends_an_expired_cookie(
        stores in prop::collection::vec((set_cookie(), cookie_path(), 0.0..100_000.0f64), 1..12),
        asks in prop::collection::vec(cookie_path(), 1..4),
    ) {
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
        let mut now = NOW;
        // Marker → the time from which it must not be sent (NEG_INFINITY: never sent).
        let mut dead_from: Vec<(String, f64)> = Vec::new();
        for (i, ((marked, name, attributes), request_path, dt)) in stores.iter().enumerate() {
            now += dt;
            let header = if *marked {
                let marker = format!("#{i}#");
                match rfc_max_age(attributes) {
                    Some(MaxAge::Expired) => dead_from.push((marker.clone(), f64::NEG_INFINITY)),
                    Some(MaxAge::Seconds(Some(seconds))) => {
                        dead_from.push((marker.clone(), now + seconds as f64 * 1000.0));
                    }
                    _ => {}
                }
                let mut header = format!("{name}={marker}");
                for attribute in attributes {
                    header.push(';');
                    header.push_str(attribute);
                }
                header
            } else {
                name.clone()
            };
            jar.store(&header, request_path, now);
            for path in asks.iter().chain([request_path]) {
                for at in [now, now + 1000.0, now + 100_000_000.0] {
                    let Some(sent) = jar.header(path, at) else { continue };
                    prop_assert!(!sent.is_empty());
                    for (marker, from) in &dead_from {
                        prop_assert!(
                            !(sent.contains(marker.as_str()) && at >= *from),
                            "sent {} (expired from {}) at {}: {:?}", marker, from, at, sent
                        );
                    }
                }
            }
        }
    }

    /// A Max-Age ≤ 0 deletes the cookie of the same name and path.
    #[test]
    fn a_max_age_of_zero_or_less_deletes(
        path in "/[a-z/]{0,6}",
        request_path in cookie_path(),
        max_age in prop_oneof![(-1000i64..=0).prop_map(|n| n.to_string()), Just("-0".to_owned())],
        between in prop::collection::vec(set_cookie(), 0..4),
        asks in prop::collection::vec(cookie_path(), 1..4),
    ) {
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
        jar.store(&format!("gone=#old#; Path={path}"), &request_path, NOW);
        prop_assert_eq!(jar.len(), 1);
        for (_, other, attributes) in &between {
            let mut header = format!("{}=x", other.replace("gone", "g"));
            for attribute in attributes {
                header.push(';');
                header.push_str(attribute);
            }
            jar.store(&header, &request_path, NOW);
        }
        jar.store(&format!("gone=; Max-Age={max_age}; Path={path}"), "/", NOW + 1.0);
        for ask in asks.iter().chain([&path]) {
            let sent = jar.header(ask, NOW + 1.0).unwrap_or_default();
            prop_assert!(!sent.contains("#old#"), "{}", sent);
            prop_assert!(!sent.contains("gone="), "{}", sent);
        }
    }
}

/// Fixed: RFC 6265 §5.2.2: "If delta-seconds is less than or equal to zero (0), let expiry-time
/// be the earliest representable date and time." The jar parses Max-Age as an i64, so a
/// Max-Age below i64::MIN is ignored and the cookie is kept (and sent) as a session cookie.
#[test]
fn regression_a_huge_negative_max_age_keeps_the_cookie() {
    let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
    jar.store("a=1; Max-Age=-99999999999999999999", "/", NOW);
    assert_eq!(jar.header("/", NOW), None);
}

/// Fixed: RFC 6265 §5.2.2 ignores a Max-Age whose first character is not a digit or
/// `-`, so in `Max-Age=-1; Max-Age=+5` the `-1` applies and the cookie is deleted; the jar
/// takes `+5` (i64::from_str accepts a plus sign) and keeps it.
#[test]
fn regression_a_plus_signed_max_age_overrides_a_deletion() {
    let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
    jar.store("a=1; Max-Age=-1; Max-Age=+5", "/", NOW);
    assert_eq!(jar.header("/", NOW), None);
}

// ---------------------------------------------------------------------------------------------
// 5. Request encoding
// ---------------------------------------------------------------------------------------------

/// Strings of any characters (control characters, quotes, backslashes, astral ones).
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter),
        "[\"\\\\\n\r\t\u{0}\u{1f}\u{7f} a%/?#&=+é\u{2028}\u{1F600}]{0,12}",
    ]
}

/// Undoes `percent_encode`, refusing anything but unreserved characters and `%XX`.
fn percent_decode(encoded: &str) -> Result<Vec<u8>, String> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b);
            i += 1;
        } else if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| {
                    h.iter()
                        .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
                })
                .ok_or_else(|| format!("bad escape at {i} in {encoded}"))?;
            let hex = std::str::from_utf8(hex).map_err(|e| e.to_string())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
            i += 3;
        } else {
            return Err(format!("{:?} at {i} in {encoded}", char::from(b)));
        }
    }
    Ok(out)
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn percent_encoding_is_unreserved_characters_and_escapes_and_decodes_back(text in any_text()) {
        let encoded = percent_encode(&text);
        let decoded = percent_decode(&encoded).map_err(TestCaseError::fail)?;
        prop_assert_eq!(decoded, text.as_bytes());
    }

    #[test]
    fn json_strings_parse_back_to_the_text(text in any_text()) {
        let literal = json_string(&text);
        let back: String = serde_json::from_str(&literal)
            .map_err(|e| TestCaseError::fail(format!("{literal}: {e}")))?;
        prop_assert_eq!(back, text);
    }

    #[test]
    fn append_bodies_are_json_with_what_was_given(
        name in any_text(),
        bits in f64_bits(),
        step in prop::option::of(any::<i64>()),
        timestamp in prop::option::of(any_text()),
        job_id in 1u64..=9_007_199_254_740_991,
    ) {
        let value = f64::from_bits(bits);
        let fields = 2 + usize::from(step.is_some()) + usize::from(timestamp.is_some());
        let metric = NewMetric { name: name.clone(), value, step, timestamp: timestamp.clone() };
        let request = append_metric(job_id, &metric);
        prop_assert_eq!(request.path, format!("/jobs/{job_id}/metrics"));
        let body = request.body.unwrap_or_default();
        let parsed: Value = serde_json::from_str(&body)
            .map_err(|e| TestCaseError::fail(format!("{body}: {e}")))?;
        prop_assert_eq!(&parsed["name"], &Value::from(name));
        let wire: WireValue = serde_json::from_value(parsed["value"].clone())
            .map_err(|e| TestCaseError::fail(format!("{body}: {e}")))?;
        prop_assert_eq!(wire, WireValue(value), "{}", body);
        prop_assert_eq!(parsed.get("step").cloned(), step.map(Value::from));
        prop_assert_eq!(parsed.get("timestamp").cloned(), timestamp.map(Value::from));
        prop_assert_eq!(parsed.as_object().map(|o| o.len()), Some(fields));
    }
}

// ---------------------------------------------------------------------------------------------
// 6. The pager
// ---------------------------------------------------------------------------------------------

/// A server holding the keys `0..n` that reads `index` as a page number or as an element
/// offset, and that refuses a `pageLength` above `max_page_length` (with a 400 stating it).
#[derive(Debug)]
struct FakeServer {
    n: u64,
    page_number: bool,
    max_page_length: Option<u32>,
    requests: u64,
    refusals: u64,
}

enum Answer {
    Page(Vec<u64>, u64),
    Refused(u32),
}

impl FakeServer {
    fn answer(&mut self, request: PageRequest) -> Answer {
        self.requests += 1;
        if let Some(max) = self
            .max_page_length
            .filter(|max| request.page_length > *max)
        {
            self.refusals += 1;
            return Answer::Refused(max);
        }
        let length = u64::from(request.page_length);
        let start = if self.page_number {
            request.index.saturating_mul(length)
        } else {
            request.index
        };
        let end = start.saturating_add(length).min(self.n);
        Answer::Page((start.min(self.n)..end).collect(), self.n)
    }
}

/// Reads everything as `src/wasm/reader.rs` does: up to `concurrency` pages in flight,
/// answered in order; a refused page length shrinks the pager and starts over.
fn read_all(
    server: &mut FakeServer,
    pager: &mut Pager<u64>,
    concurrency: usize,
) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    let mut in_flight = VecDeque::new();
    for _ in 0..20_000 {
        while let Some(request) = pager.plan(in_flight.len(), concurrency) {
            in_flight.push_back(request);
        }
        let Some(request) = in_flight.pop_front() else {
            return if pager.is_done() {
                Ok(out)
            } else {
                Err("nothing in flight, yet not done".into())
            };
        };
        match server.answer(request) {
            Answer::Page(keys, total) => {
                for i in pager.accept(request, &keys, total).map_err(|e| e.0)? {
                    out.push(keys[i]);
                }
            }
            Answer::Refused(limit) if pager.shrink_page_length(limit) => in_flight.clear(),
            Answer::Refused(_) => return Err("refused a length already within the maximum".into()),
        }
    }
    Err("the pager never finished".into())
}

/// Reads with a pager that starts in `mode` and checks the promise: every key once, in order,
/// within the request budget of `paging.rs`'s unit test `costs_ceil_n_over_l_plus_at_most_one`
/// (`ceil(n/L) + 1`, and at most `max(ceil(n/L), 1)` when `index` is a page number and the
/// pager had to find that out), refused requests aside.
fn check_pager(
    n: u64,
    page_number: bool,
    page_length: u32,
    concurrency: usize,
    max_page_length: Option<u32>,
    mode: IndexMode,
) -> Result<(), TestCaseError> {
    let mut server = FakeServer {
        n,
        page_number,
        max_page_length,
        requests: 0,
        refusals: 0,
    };
    let mut pager = Pager::new(page_length, mode);
    let got = read_all(&mut server, &mut pager, concurrency).map_err(TestCaseError::fail)?;
    prop_assert!(
        got.iter().copied().eq(0..n),
        "read {} keys, first {:?}, of 0..{}",
        got.len(),
        &got[..got.len().min(5)],
        n
    );
    let length = u64::from(pager.page_length());
    let answered = server.requests - server.refusals;
    prop_assert!(
        answered <= n.div_ceil(length) + 1,
        "{} requests for n={} L={}",
        answered,
        n,
        length
    );
    if page_number && mode == IndexMode::Unknown {
        prop_assert!(
            answered <= n.div_ceil(length).max(1),
            "{} requests for n={} L={} (page numbers)",
            answered,
            n,
            length
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(400))]

    /// The history endpoint: `index` means a page number or an offset; the pager finds out.
    #[test]
    fn the_pager_reads_every_key_once_in_order(
        n in prop_oneof![0u64..3000, 0u64..30],
        page_number in any::<bool>(),
        page_length in prop_oneof![1u32..=1200, 1u32..12],
        concurrency in 1usize..=4,
    ) {
        check_pager(n, page_number, page_length, concurrency, None, IndexMode::Unknown)?;
    }

    /// The experiments endpoint: `index` is known to be an offset.
    #[test]
    fn a_pager_that_knows_index_is_an_offset_reads_every_key_once_in_order(
        n in prop_oneof![0u64..3000, 0u64..30],
        page_length in prop_oneof![1u32..=1200, 1u32..12],
        concurrency in 1usize..=4,
    ) {
        check_pager(n, false, page_length, concurrency, None, IndexMode::Offset)?;
    }

    /// A server whose maximum page length is lower than asked refuses the first request; the
    /// pager shrinks its page length and starts over.
    #[test]
    fn a_pager_told_a_smaller_maximum_still_reads_every_key_once_in_order(
        n in prop_oneof![0u64..3000, 0u64..30],
        page_number in any::<bool>(),
        page_length in prop_oneof![2u32..=1200, 2u32..12],
        max_page_length in prop_oneof![1u32..=1000, 1u32..12],
        concurrency in 1usize..=4,
        offset_known in any::<bool>(),
    ) {
        let mode = if offset_known && !page_number { IndexMode::Offset } else { IndexMode::Unknown };
        check_pager(n, page_number, page_length, concurrency, Some(max_page_length), mode)?;
    }
}

/// Fixed: `Pager::shrink_page_length` resets `planned` but not `next_offset`. `plan` had set
/// `next_offset` to the refused page's length, and a pager in offset mode plans its next page
/// at `index = next_offset`: so after the server refuses `pageLength=L`, the read starts at
/// offset L, and the first L items are never read. It hits the experiments endpoint
/// (`IndexMode::Offset`) whenever the server's maximum is below the `pageLength` asked, and
/// the history endpoint when the stated maximum is 1 (which sets offset mode).
/// Minimal inputs: n = 1, L = 2, server maximum 1 (either starting mode), and n = 3, L = 3,
/// maximum 2 in offset mode: the read returns nothing.
#[test]
fn regression_a_refused_page_length_skips_the_first_page() {
    // (server maximum, pager's starting mode, n, L): the read should give 0..n.
    for (max, mode, n, length) in [
        (1, IndexMode::Offset, 1, 2),
        (1, IndexMode::Unknown, 1, 2),
        (2, IndexMode::Offset, 3, 3),
    ] {
        let mut server = FakeServer {
            n,
            page_number: false,
            max_page_length: Some(max),
            requests: 0,
            refusals: 0,
        };
        let mut pager = Pager::new(length, mode);
        let got = read_all(&mut server, &mut pager, 1).expect("the read finishes");
        assert_eq!(
            got,
            (0..n).collect::<Vec<_>>(),
            "{mode:?} n={n} L={length} max={max}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 7. The logger's queue
// ---------------------------------------------------------------------------------------------

const NAMES: &[&str] = &["a", "b", "c"];

#[derive(Debug, Clone)]
enum Op {
    /// Log (name, value) pairs at a step (or none).
    Log(Vec<(usize, f64)>, Option<i64>),
    Next,
    Succeed(Index),
    /// Fail an in-flight key: retryable, the jitter draw, the server's Retry-After.
    Fail(Index, bool, f64, Option<f64>),
    Advance(f64),
    /// Acknowledge a key that is not in flight (must change nothing).
    Stray(usize, i64, bool),
}

fn queue_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (
            prop::collection::vec((0..NAMES.len(), -10.0..10.0f64), 1..4),
            prop::option::weighted(0.8, 0i64..4)
        )
            .prop_map(|(values, step)| Op::Log(values, step)),
        4 => Just(Op::Next),
        2 => any::<Index>().prop_map(Op::Succeed),
        2 => (any::<Index>(), any::<bool>(), 0.0..1.0f64, prop::option::weighted(0.2, 0.0..500.0f64))
            .prop_map(|(at, retryable, random, retry_after)| Op::Fail(at, retryable, random, retry_after)),
        2 => (0.0..300.0f64).prop_map(Op::Advance),
        1 => (0..NAMES.len(), 0i64..4, any::<bool>()).prop_map(|(n, s, ok)| Op::Stray(n, s, ok)),
    ]
}

/// The model's view of one entry: the sequence numbers it settles, its value, its failed
/// attempts, and when it may be sent.
#[derive(Debug, Clone)]
struct ModelEntry {
    covers: BTreeSet<u64>,
    value: f64,
    attempts: u32,
    not_before: f64,
}

#[derive(Debug, Default)]
struct Model {
    pending: BTreeMap<Key, ModelEntry>,
    in_flight: BTreeMap<Key, ModelEntry>,
    auto_steps: BTreeMap<String, i64>,
    logged: u64,
    sent: u64,
    failed: u64,
    coalesced: u64,
    retried: u64,
}

impl Model {
    /// The oldest sequence number not yet settled.
    fn oldest_unsettled(&self) -> Option<u64> {
        self.pending
            .values()
            .chain(self.in_flight.values())
            .filter_map(|e| e.covers.first().copied())
            .min()
    }
}

fn unavailable(retry_after_ms: Option<f64>) -> Error {
    Error::Api(Box::new(ApiError {
        status: 503,
        error_type: None,
        message: "unavailable".into(),
        field_errors: None,
        method: "POST".into(),
        path: "/p".into(),
        retry_after_ms,
    }))
}

/// Checks the queue against the model after each operation.
fn check_queue(q: &MetricQueue, model: &Model, marks: &[u64]) -> Result<(), TestCaseError> {
    let s = q.stats();
    prop_assert_eq!(
        s.sent + s.failed + s.coalesced + s.queued as u64 + s.in_flight as u64,
        model.logged,
        "{:?}",
        s
    );
    prop_assert_eq!(
        (
            s.sent,
            s.failed,
            s.coalesced,
            s.retried,
            s.queued,
            s.in_flight
        ),
        (
            model.sent,
            model.failed,
            model.coalesced,
            model.retried,
            model.pending.len(),
            model.in_flight.len()
        )
    );
    let oldest = model.oldest_unsettled();
    let mut probes = vec![0, q.mark()];
    probes.extend_from_slice(marks);
    if let Some(oldest) = oldest {
        probes.extend([oldest - 1, oldest]);
    }
    for mark in probes {
        prop_assert_eq!(
            q.is_settled(mark),
            oldest.is_none_or(|o| o > mark),
            "is_settled({}) with the oldest unsettled {:?}",
            mark,
            oldest
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn the_queue_keeps_its_books(
        ops in prop::collection::vec(queue_op(), 0..80),
        max_queue in prop_oneof![1usize..6, Just(1000)],
        auto_steps in any::<bool>(),
        retries in 0u32..3,
    ) {
        let policy = RetryPolicy { retries, min_delay_ms: 10.0, max_delay_ms: 100.0, give_up_after_ms: f64::INFINITY };
        let mut q = MetricQueue::new(max_queue, auto_steps);
        let mut model = Model::default();
        let mut marks = Vec::new();
        let mut now = 0.0;
        for op in ops {
            match op {
                Op::Log(values, step) => {
                    let values: Vec<(String, f64)> =
                        values.iter().map(|(n, v)| (NAMES[*n].to_owned(), *v)).collect();
                    let (len, mark, stats) = (q.len(), q.mark(), q.stats());
                    match q.log(&values, step, None) {
                        Ok(()) => {
                            prop_assert!(q.len() <= max_queue);
                            prop_assert_eq!(q.mark(), mark + values.len() as u64);
                            // Steps are chosen for the whole call first, then counted on.
                            let steps: Vec<i64> = values
                                .iter()
                                .map(|(name, _)| match step {
                                    Some(step) => step,
                                    None if auto_steps => {
                                        model.auto_steps.get(name).copied().unwrap_or(0)
                                    }
                                    None => 0,
                                })
                                .collect();
                            for (i, ((name, value), step)) in values.iter().zip(steps).enumerate() {
                                if auto_steps {
                                    let next = model.auto_steps.entry(name.clone()).or_insert(0);
                                    *next = (*next).max(step.saturating_add(1));
                                }
                                let seq = mark + 1 + i as u64;
                                model.logged += 1;
                                let key = (name.clone(), step);
                                if let Some(entry) = model.pending.get_mut(&key) {
                                    entry.covers.insert(seq);
                                    entry.value = *value;
                                    model.coalesced += 1;
                                } else {
                                    model.pending.insert(key, ModelEntry {
                                        covers: BTreeSet::from([seq]),
                                        value: *value,
                                        attempts: 0,
                                        not_before: 0.0,
                                    });
                                }
                            }
                            marks.push(q.mark());
                        }
                        Err(refusal) => {
                            match refusal {
                                Refusal::Full(m) => {
                                    prop_assert_eq!(m, max_queue);
                                    prop_assert!(len + values.len() > max_queue, "refused with room");
                                }
                                Refusal::TooMany { points, max_queue: m } => {
                                    prop_assert_eq!(m, max_queue);
                                    prop_assert!(points > max_queue && values.len() >= points);
                                }
                            }
                            prop_assert_eq!((q.len(), q.mark(), q.stats()), (len, mark, stats));
                        }
                    }
                }
                Op::Next => {
                    let eligible: Vec<(&Key, u64)> = model
                        .pending
                        .iter()
                        .filter(|(key, e)| !model.in_flight.contains_key(*key) && e.not_before <= now)
                        .filter_map(|(key, e)| e.covers.first().map(|first| (key, *first)))
                        .collect();
                    let expected = eligible.iter().min_by_key(|(_, first)| *first).map(|(k, _)| (*k).clone());
                    let got = q.next(now);
                    prop_assert_eq!(got.as_ref().map(|p| p.key()), expected.clone());
                    if let (Some(point), Some(key)) = (got, expected) {
                        // Never two `next()`s for one key without an answer in between.
                        prop_assert!(!model.in_flight.contains_key(&key), "{:?} sent twice", key);
                        let entry = model.pending.remove(&key).expect("eligible");
                        prop_assert_eq!(point.value.to_bits(), entry.value.to_bits(), "not the last value");
                        model.in_flight.insert(key, entry);
                    }
                }
                Op::Succeed(at) => {
                    let keys: Vec<Key> = model.in_flight.keys().cloned().collect();
                    if !keys.is_empty() {
                        let key = &keys[at.index(keys.len())];
                        q.succeeded(key);
                        model.in_flight.remove(key);
                        model.sent += 1;
                    }
                }
                Op::Fail(at, retryable, random, retry_after) => {
                    let keys: Vec<Key> = model.in_flight.keys().cloned().collect();
                    if !keys.is_empty() {
                        let key = keys[at.index(keys.len())].clone();
                        let outcome = q.failed(&key, unavailable(retry_after), retryable, now, random, &policy);
                        let mut entry = model.in_flight.remove(&key).expect("in flight");
                        let attempts = entry.attempts + 1;
                        let wait = policy.delay_ms(attempts, random, retry_after);
                        if let Some(mut newer) = model.pending.remove(&key) {
                            // The newer value settles both and inherits the key's failures.
                            model.coalesced += 1;
                            newer.covers.append(&mut entry.covers);
                            newer.attempts = newer.attempts.max(attempts);
                            if retryable && entry.attempts >= retries {
                                let Some(Outcome::Failed(failure)) = outcome else {
                                    return Err(TestCaseError::fail(format!("{outcome:?}, not a failure")));
                                };
                                prop_assert_eq!(Some(failure.first_seq), newer.covers.first().copied());
                                model.failed += 1;
                            } else {
                                prop_assert_eq!(outcome, Some(Outcome::Superseded));
                                if retryable {
                                    newer.not_before = newer.not_before.max((now + wait).ceil());
                                }
                                model.pending.insert(key, newer);
                            }
                        } else if retryable && entry.attempts < retries {
                            let Some(Outcome::Retry(delay)) = outcome else {
                                return Err(TestCaseError::fail(format!("{outcome:?}, not a retry")));
                            };
                            prop_assert!(delay >= 0.0 && delay.is_finite(), "{}", delay);
                            prop_assert_eq!(delay, wait);
                            entry.attempts = attempts;
                            entry.not_before = (now + delay).ceil().max(1.0);
                            model.pending.insert(key, entry);
                            model.retried += 1;
                        } else {
                            let Some(Outcome::Failed(failure)) = outcome else {
                                return Err(TestCaseError::fail(format!("{outcome:?}, not a failure")));
                            };
                            prop_assert_eq!(failure.point.key(), key);
                            prop_assert_eq!(Some(failure.first_seq), entry.covers.first().copied());
                            model.failed += 1;
                        }
                    }
                }
                Op::Advance(dt) => now += dt,
                Op::Stray(name, step, ok) => {
                    let key = (NAMES[name].to_owned(), step);
                    if !model.in_flight.contains_key(&key) {
                        let (len, stats) = (q.len(), q.stats());
                        if ok {
                            q.succeeded(&key);
                        } else {
                            let outcome = q.failed(&key, unavailable(None), true, now, 0.5, &policy);
                            prop_assert_eq!(outcome, None);
                        }
                        prop_assert_eq!((q.len(), q.stats()), (len, stats));
                    }
                }
            }
            check_queue(&q, &model, &marks)?;
        }
        // Drain: answer everything in flight, then send what waits, until nothing is held.
        let in_flight: Vec<Key> = model.in_flight.keys().cloned().collect();
        for key in in_flight {
            q.succeeded(&key);
            model.in_flight.remove(&key);
            model.sent += 1;
        }
        let mut rounds = 0;
        while !q.is_empty() {
            rounds += 1;
            prop_assert!(rounds < 1000, "the queue never drained");
            now += 1_000_000.0; // Past any retry delay (Retry-After is capped at 5 minutes).
            while let Some(point) = q.next(now) {
                q.succeeded(&point.key());
                model.pending.remove(&point.key());
                model.sent += 1;
            }
        }
        check_queue(&q, &model, &marks)?;
        for mark in marks.iter().copied().chain([q.mark()]) {
            prop_assert!(q.is_settled(mark), "not settled at {} after draining", mark);
        }
        let s = q.stats();
        prop_assert_eq!((s.queued, s.in_flight), (0, 0));
        prop_assert_eq!(q.take_failures(q.mark()).len() as u64, model.failed);
    }
}
