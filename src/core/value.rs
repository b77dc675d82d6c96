//! The metric value codec: what a caller may pass, what goes on the wire, what comes back.
//!
//! JavaScript hands over real numbers (NaN and ±Infinity included); the wire spells the special
//! values as the strings `"nan"`, `"inf"` and `"-inf"`; finite values travel as JSON numbers
//! written with the shortest digits that read back to the same `f64`.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::core::error::{Error, Result};
use crate::core::input::Input;

/// The special-value spellings a caller may pass as a string (compared without letter case).
const SPECIAL_SPELLINGS: &str =
    "\"nan\", \"inf\", \"-inf\", \"NaN\", \"Infinity\" or \"-Infinity\"";

/// The value of a caller's `metricValue` argument: any number, or a special value's name.
pub fn metric_value(input: &Input) -> Result<f64> {
    match input {
        Input::Number(n) => Ok(*n),
        Input::Text(text) => special_value(text).ok_or_else(|| {
            Error::validation(
                "metricValue",
                format!(
                    "metricValue {} is not a number: pass a number, or one of {SPECIAL_SPELLINGS}",
                    input.describe()
                ),
            )
        }),
        other => Err(Error::validation(
            "metricValue",
            format!(
                "metricValue must be a number (or one of {SPECIAL_SPELLINGS}), not {}",
                other.describe()
            ),
        )),
    }
}

/// The special value a string names (`nan`, `inf`, `-inf`, `infinity`, `-infinity`, any case).
pub fn special_value(text: &str) -> Option<f64> {
    match text.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// The JSON token for `value` on the wire: `"nan"`, `"inf"`, `"-inf"` or an exact number.
pub fn encode_value(value: f64) -> String {
    if value.is_nan() {
        "\"nan\"".to_owned()
    } else if value == f64::INFINITY {
        "\"inf\"".to_owned()
    } else if value == f64::NEG_INFINITY {
        "\"-inf\"".to_owned()
    } else {
        json_number(value)
    }
}

/// A finite `f64` as a JSON number with the fewest digits that read back to the same bits
/// (`-0` stays negative; very large and very small magnitudes use an exponent).
pub fn json_number(value: f64) -> String {
    debug_assert!(value.is_finite());
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0"
        }
        .to_owned();
    }
    let text = shortest(value);
    // JavaScript writes `1e+21`; `1e21` is the same JSON number, and what Rust writes.
    match text.split_once("e+") {
        Some((digits, exponent)) => format!("{digits}e{exponent}"),
        None => text,
    }
}

/// A finite, non-zero `f64` with the fewest digits that read back to the same bits, as
/// JavaScript's `String(n)` writes it: without an exponent from 10^-6 up to 10^21, as
/// `d.ddde±x` outside (the exponent's `+` optional).
///
/// In the wasm, JavaScript writes it (`Number.prototype.toString`, the digits `JSON.stringify`
/// writes too): Rust's float formatting (Grisu/Dragon4, some 16 KB) is not in the `.wasm`.
/// Natively, Rust writes the same digits (both are the shortest round-trip digits).
#[cfg(not(target_arch = "wasm32"))]
fn shortest(value: f64) -> String {
    if (1e-6..1e21).contains(&value.abs()) {
        // Rust's `Display` prints the shortest round-trip digits without an exponent.
        format!("{value}")
    } else {
        // `LowerExp` prints the same shortest digits as `d.ddde±x`.
        format!("{value:e}")
    }
}

#[cfg(target_arch = "wasm32")]
fn shortest(value: f64) -> String {
    crate::wasm::convert::number_text(value)
}

/// A number as JavaScript would print it in a message (`NaN`, `Infinity`, `1.5`).
pub fn describe_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_owned()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        json_number(n)
    }
}

/// A number in a message, written as [`describe_number`] writes it: `format!("{}", Num(x))`
/// where `format!("{x}")` would bring Rust's float formatting into the wasm.
#[derive(Debug, Clone, Copy)]
pub struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_number(self.0))
    }
}

/// A metric value as the server answers it: a JSON number or `"nan"` / `"inf"` / `"-inf"`.
/// It serializes to JavaScript as a plain number (NaN and ±Infinity included).
#[derive(Debug, Clone, Copy)]
pub struct WireValue(pub f64);

impl PartialEq for WireValue {
    /// Same bits, except that every NaN equals every other NaN.
    fn eq(&self, other: &Self) -> bool {
        (self.0.is_nan() && other.0.is_nan()) || self.0.to_bits() == other.0.to_bits()
    }
}

impl Serialize for WireValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for WireValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(WireValueVisitor)
    }
}

struct WireValueVisitor;

impl Visitor<'_> for WireValueVisitor {
    type Value = WireValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or one of \"nan\", \"inf\", \"-inf\"")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<WireValue, E> {
        Ok(WireValue(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<WireValue, E> {
        Ok(WireValue(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<WireValue, E> {
        Ok(WireValue(v as f64))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<WireValue, E> {
        special_value(v)
            .map(WireValue)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> std::result::Result<WireValue, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn special_values_go_on_the_wire_as_strings() {
        assert_eq!(encode_value(f64::NAN), "\"nan\"");
        assert_eq!(encode_value(-f64::NAN), "\"nan\"");
        assert_eq!(encode_value(f64::INFINITY), "\"inf\"");
        assert_eq!(encode_value(f64::NEG_INFINITY), "\"-inf\"");
    }

    #[test]
    fn finite_values_round_trip_exactly_through_json() {
        let hard = [
            0.1 + 0.2,
            5e-324,
            -5e-324,
            1.7976931348623157e308,
            -1.7976931348623157e308,
            2.2250738585072014e-308,
            1e21,
            1e-7,
            123456789012345680000.0,
            0.000001,
            1.0,
            -0.0,
            0.0,
            9007199254740993.0,
        ];
        for v in hard {
            let token = encode_value(v);
            assert!(
                serde_json::from_str::<serde_json::Value>(&token).is_ok(),
                "{token}"
            );
            // Rust's parser is correctly rounded, as Python's (the server's) is.
            let back: f64 = token.parse().unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{v} went out as {token}");
        }
    }

    #[test]
    fn negative_zero_keeps_its_sign() {
        assert_eq!(encode_value(-0.0), "-0.0");
        assert_eq!(encode_value(0.0), "0");
    }

    #[test]
    fn callers_may_name_special_values_in_any_case() {
        for (text, want) in [
            ("nan", f64::NAN),
            ("NaN", f64::NAN),
            ("NAN", f64::NAN),
            ("inf", f64::INFINITY),
            ("Infinity", f64::INFINITY),
            ("INF", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
        ] {
            let got = metric_value(&Input::Text(text.into())).unwrap();
            assert_eq!(WireValue(got), WireValue(want), "{text}");
        }
    }

    #[test]
    fn nothing_else_is_coerced() {
        for bad in [
            Input::Text("".into()),
            Input::Text("1.5".into()),
            Input::Text("abc".into()),
            Input::Text("+inf".into()),
            Input::Text(" nan".into()),
            Input::Bool(true),
            Input::Missing,
            Input::Other("null"),
            Input::Other("bigint"),
            Input::Other("object"),
            Input::Date(0.0),
        ] {
            match metric_value(&bad) {
                Err(Error::Validation { field, message }) => {
                    assert_eq!(field, "metricValue");
                    assert!(message.contains("metricValue"), "{message}");
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn numbers_pass_through_unchanged() {
        for v in [0.5, -0.0, f64::NAN, f64::INFINITY, f64::MIN_POSITIVE] {
            assert_eq!(
                WireValue(metric_value(&Input::Number(v)).unwrap()),
                WireValue(v)
            );
        }
    }

    #[test]
    fn decodes_what_the_server_answers() {
        assert_eq!(decode("0.25").unwrap(), WireValue(0.25));
        assert_eq!(decode("3").unwrap(), WireValue(3.0));
        assert_eq!(decode("-3").unwrap(), WireValue(-3.0));
        assert_eq!(decode("\"nan\"").unwrap(), WireValue(f64::NAN));
        assert_eq!(decode("\"inf\"").unwrap(), WireValue(f64::INFINITY));
        assert_eq!(decode("\"-inf\"").unwrap(), WireValue(f64::NEG_INFINITY));
    }

    #[test]
    fn refuses_answers_that_are_not_values() {
        for bad in ["\"abc\"", "null", "true", "{}", "[]", "\"\""] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn describes_numbers_as_javascript_does() {
        assert_eq!(describe_number(f64::INFINITY), "Infinity");
        assert_eq!(describe_number(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(describe_number(2.0), "2");
    }
}
