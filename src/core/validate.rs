//! The rules every argument and option must meet before a request is sent.

use crate::core::error::{Error, Result};
use crate::core::input::Input;
use crate::core::value::{describe_number, Num};

/// The server's rule for metric names, as it states it.
pub const METRIC_NAME_RULE: &str = "^([A-Za-z]|[A-Za-z_][A-Za-z0-9_]+)$";

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The largest `pageLength` the server accepts by default.
pub const MAX_PAGE_LENGTH: u32 = 1000;

/// Whether `name` matches [`METRIC_NAME_RULE`]: one letter, or a letter or `_` followed by one
/// or more letters, digits or `_` (so `_` alone is refused).
pub fn is_metric_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes {
        [only] => only.is_ascii_alphabetic(),
        [first, rest @ ..] if !rest.is_empty() => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        }
        _ => false,
    }
}

/// The longest request line Dioptra's gunicorn accepts (its `limit_request_line`, 4,094 bytes):
/// a longer one gets 414.
pub const MAX_REQUEST_LINE_BYTES: usize = 4094;

/// The bytes of the longest history read's request line that are not the metric name nor
/// the base path: `GET ` (4), `/jobs/` (6), a 16-digit job id, `/metrics/` (9),
/// `/snapshots` (10), `?index=` (7), a 16-digit index, `&pageLength=` (12), 4 digits, and
/// ` HTTP/1.1` (9).
pub const READ_LINE_OVERHEAD_BYTES: usize = 4 + 6 + 16 + 9 + 10 + 7 + 16 + 12 + 4 + 9;

/// The room left for the API's base path (`/api/v1` is 7 bytes; a reverse proxy's prefix
/// adds a few more).
pub const BASE_PATH_ALLOWANCE_BYTES: usize = 200;

/// The longest metric name accepted: 4,094 − 93 − 200 = 3,801, rounded down to 3,800. Names
/// are ASCII, so characters are bytes and need no percent-encoding. Dioptra 1.2.2 stores
/// longer names (they travel in the POST body) but cannot read them back: every read puts the
/// name in the URL, and a request line over 4,094 bytes gets 414.
pub const MAX_METRIC_NAME_LENGTH: usize = 3800;

/// A `metricName` argument.
pub fn metric_name(input: &Input) -> Result<String> {
    match input {
        Input::Text(name) if name.len() > MAX_METRIC_NAME_LENGTH => Err(Error::validation(
            "metricName",
            format!(
                "metricName {} is {} characters long; the longest name this package accepts is \
                 {MAX_METRIC_NAME_LENGTH} characters (Dioptra stores longer names but cannot read \
                 them back: a read puts the name in its URL, and the server refuses request lines \
                 over {MAX_REQUEST_LINE_BYTES} bytes)",
                input.describe(),
                name.chars().count()
            ),
        )),
        Input::Text(name) if is_metric_name(name) => Ok(name.clone()),
        Input::Text(_) => Err(Error::validation(
            "metricName",
            format!(
                "metricName {} is not a valid metric name: it must match {METRIC_NAME_RULE} \
                 (a letter, or a letter or _ followed by letters, digits or _)",
                input.describe()
            ),
        )),
        other => Err(Error::validation(
            "metricName",
            format!("metricName must be a string, not {}", other.describe()),
        )),
    }
}

/// A job or experiment id: a positive safe integer, or a string of decimal digits naming one.
pub fn resource_id(input: &Input, field: &str) -> Result<u64> {
    let refuse = || {
        Error::validation(
            field,
            format!(
                "{field} must be a positive integer (or a string of digits), not {}",
                input.describe()
            ),
        )
    };
    let id = match input {
        Input::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n <= MAX_SAFE_INTEGER => *n as u64,
        Input::Text(s)
            if !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse::<u64>().map_err(|_| refuse())?
        }
        _ => return Err(refuse()),
    };
    if id == 0 || id as f64 > MAX_SAFE_INTEGER {
        return Err(refuse());
    }
    Ok(id)
}

/// A `step` option: a safe integer, or absent (then the server's default, 0, applies).
pub fn step(input: &Input) -> Result<Option<i64>> {
    match input {
        Input::Missing => Ok(None),
        Input::Number(n) if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER => Ok(Some(*n as i64)),
        Input::Number(n) => Err(Error::validation(
            "step",
            format!(
                "step must be a safe integer, not {} (the server would truncate it and \
                 overwrite another step)",
                describe_number(*n)
            ),
        )),
        other => Err(Error::validation(
            "step",
            format!("step must be an integer, not {}", other.describe()),
        )),
    }
}

/// A non-negative integer option such as `index`, defaulting to `default`.
pub fn page_index(input: &Input, field: &str, default: u64) -> Result<u64> {
    match input {
        Input::Missing => Ok(default),
        Input::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= MAX_SAFE_INTEGER => {
            Ok(*n as u64)
        }
        other => Err(Error::validation(
            field,
            format!("{field} must be an integer ≥ 0, not {}", other.describe()),
        )),
    }
}

/// A `pageLength` option: an integer from 1 to `max`, defaulting to `default`.
pub fn page_length(input: &Input, default: u32, max: u32) -> Result<u32> {
    match input {
        Input::Missing => Ok(default),
        Input::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n <= f64::from(max) => Ok(*n as u32),
        other => Err(Error::validation(
            "pageLength",
            format!(
                "pageLength must be an integer from 1 to {max}, not {}",
                other.describe()
            ),
        )),
    }
}

/// An optional string option.
pub fn optional_text(input: &Input, field: &str) -> Result<Option<String>> {
    match input {
        Input::Missing => Ok(None),
        Input::Text(s) => Ok(Some(s.clone())),
        other => Err(Error::validation(
            field,
            format!("{field} must be a string, not {}", other.describe()),
        )),
    }
}

/// A required, non-empty string argument.
pub fn required_text(input: &Input, field: &str) -> Result<String> {
    match input {
        Input::Text(s) if !s.is_empty() => Ok(s.clone()),
        other => Err(Error::validation(
            field,
            format!(
                "{field} must be a non-empty string, not {}",
                other.describe()
            ),
        )),
    }
}

/// An optional boolean option.
pub fn optional_bool(input: &Input, field: &str) -> Result<Option<bool>> {
    match input {
        Input::Missing => Ok(None),
        Input::Bool(b) => Ok(Some(*b)),
        other => Err(Error::validation(
            field,
            format!("{field} must be a boolean, not {}", other.describe()),
        )),
    }
}

/// The longest time limit a timer can hold (2^31 − 1 ms, about 24.8 days).
pub const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;

/// A `timeoutMs` option: a positive number of milliseconds, or absent.
pub fn timeout_ms(input: &Input) -> Result<Option<f64>> {
    match input {
        Input::Missing => Ok(None),
        Input::Number(n) if *n >= 1.0 && *n <= MAX_TIMEOUT_MS => Ok(Some(n.floor())),
        other => Err(Error::validation(
            "timeoutMs",
            format!(
                "timeoutMs must be a number of milliseconds from 1 to {}, not {}",
                Num(MAX_TIMEOUT_MS),
                other.describe()
            ),
        )),
    }
}

/// A number option from `min` to `max`, defaulting to `default`.
pub fn bounded_number(value: &Input, field: &str, min: f64, max: f64, default: f64) -> Result<f64> {
    match value {
        Input::Missing => Ok(default),
        Input::Number(n) if (min..=max).contains(n) => Ok(*n),
        other => Err(Error::validation(
            field,
            format!(
                "{field} must be a number from {} to {}, not {}",
                Num(min),
                Num(max),
                other.describe()
            ),
        )),
    }
}

/// An integer option from `min` to `max`, defaulting to `default`.
pub fn bounded_integer(
    value: &Input,
    field: &str,
    min: f64,
    max: f64,
    default: f64,
) -> Result<f64> {
    match value {
        Input::Number(n) if n.fract() != 0.0 => Err(Error::validation(
            field,
            format!("{field} must be an integer, not {}", value.describe()),
        )),
        _ => bounded_number(value, field, min, max, default),
    }
}

/// A callback option (`onError`, `onProgress`): a function, or absent. Whether it is given.
pub fn callback(value: &Input, field: &str) -> Result<bool> {
    match value {
        Input::Missing => Ok(false),
        Input::Other("a function") => Ok(true),
        other => Err(Error::validation(
            field,
            format!("{field} must be a function, not {}", other.describe()),
        )),
    }
}

/// A logger's `step` option: `"auto"` (number steps per name) or absent. Whether it is auto.
pub fn logger_step(value: &Input) -> Result<bool> {
    match value {
        Input::Missing => Ok(false),
        Input::Text(s) if s == "auto" => Ok(true),
        other => Err(Error::validation(
            "step",
            format!(
                "a logger's step option must be \"auto\" or left out, not {}",
                other.describe()
            ),
        )),
    }
}

/// A logger's `timestamp` option: whether points logged without a timestamp are stamped
/// with the client's clock at `log()` (`"client"`, the default) or by the server when the
/// request arrives (`"server"`).
pub fn clock(value: &Input) -> Result<bool> {
    match value {
        Input::Missing => Ok(true),
        Input::Text(s) if s == "client" => Ok(true),
        Input::Text(s) if s == "server" => Ok(false),
        other => Err(Error::validation(
            "timestamp",
            format!(
                "a logger's timestamp option must be \"client\" or \"server\", not {}",
                other.describe()
            ),
        )),
    }
}

/// The `credentials` option: how a browser sends its cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// Only to the page's own origin (the default).
    SameOrigin,
    /// To any origin (the server must allow it with CORS).
    Include,
    /// Never.
    Omit,
}

/// A `credentials` option, defaulting to `same-origin`.
pub fn credentials(input: &Input) -> Result<Credentials> {
    match input {
        Input::Missing => Ok(Credentials::SameOrigin),
        Input::Text(s) if s == "same-origin" => Ok(Credentials::SameOrigin),
        Input::Text(s) if s == "include" => Ok(Credentials::Include),
        Input::Text(s) if s == "omit" => Ok(Credentials::Omit),
        other => Err(Error::validation(
            "credentials",
            format!(
                "credentials must be \"same-origin\", \"include\" or \"omit\", not {}",
                other.describe()
            ),
        )),
    }
}

/// Whether `name` may be set as an extra request header by the caller: a valid HTTP token,
/// and not one this client manages itself.
pub fn is_allowed_header_name(name: &str) -> bool {
    const MANAGED: [&str; 4] = ["cookie", "content-type", "content-length", "host"];
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        && !MANAGED.contains(&name.to_ascii_lowercase().as_str())
}

/// Whether `value` may be sent as a header value (no line breaks or other control bytes).
pub fn is_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

#[cfg(test)]
mod tests;
