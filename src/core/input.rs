//! What a caller handed over, classified by JavaScript type, before any validation.
//!
//! The wasm layer turns each `JsValue` argument into an [`Input`]; everything after that is
//! plain Rust, so every validation rule is checked natively by `cargo test`.

/// One argument or option value as the caller passed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// `undefined`, or an option that is not there.
    Missing,
    /// A JavaScript number (any f64, NaN and infinities included).
    Number(f64),
    /// A JavaScript string.
    Text(String),
    /// A JavaScript boolean.
    Bool(bool),
    /// A `Date`, as its time value in milliseconds (NaN for an invalid date).
    Date(f64),
    /// Anything else, by a short description of its type (`null`, `bigint`, `object`, ...).
    Other(&'static str),
}

impl Input {
    /// An optional number argument (one a typed export took as `Option<f64>`), as the
    /// general path classifies it.
    pub fn optional_number(value: Option<f64>) -> Input {
        value.map_or(Input::Missing, Input::Number)
    }

    /// A short description of the value for error messages: the value itself for numbers and
    /// (shortened) strings, the type for everything else.
    pub fn describe(&self) -> String {
        match self {
            Input::Missing => "undefined".to_owned(),
            Input::Number(n) => crate::core::value::describe_number(*n),
            Input::Text(s) => crate::core::text::quote(s),
            Input::Bool(b) => b.to_string(),
            Input::Date(ms) if ms.is_nan() => "an invalid Date".to_owned(),
            Input::Date(_) => "a Date".to_owned(),
            Input::Other(kind) => (*kind).to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_values_by_what_they_are() {
        assert_eq!(Input::Text("a\nb".into()).describe(), "\"a\\nb\"");
        assert_eq!(Input::Number(1.5).describe(), "1.5");
        assert_eq!(Input::Number(f64::NAN).describe(), "NaN");
        assert_eq!(Input::Other("null").describe(), "null");
        assert_eq!(Input::Date(f64::NAN).describe(), "an invalid Date");
        assert_eq!(Input::Missing.describe(), "undefined");
    }
}
