//! Timestamps: what a caller may pass, how they go on the wire, how the server's are read.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

use crate::core::error::{Error, Result};
use crate::core::input::Input;

/// A `timestamp` option: a valid `Date` or an ISO 8601 / RFC 3339 string, as RFC 3339 text
/// with an explicit offset for the wire; `None` when absent (the server then uses its clock).
pub fn timestamp(input: &Input) -> Result<Option<String>> {
    let instant = match input {
        Input::Missing => return Ok(None),
        Input::Date(ms) => from_millis(*ms),
        Input::Text(text) => parse(text),
        _ => None,
    };
    instant.map(|t| Some(to_wire(&t))).ok_or_else(|| {
        Error::validation(
            "timestamp",
            format!(
                "timestamp must be a valid Date or an ISO 8601 date-time string \
                 (e.g. \"2026-11-27T05:41:08.123Z\"), not {}",
                input.describe()
            ),
        )
    })
}

/// The instant `ms` milliseconds after the Unix epoch (fractions of a millisecond dropped).
fn from_millis(ms: f64) -> Option<DateTime<Utc>> {
    if !ms.is_finite() {
        return None;
    }
    DateTime::from_timestamp_millis(ms.trunc() as i64)
}

/// A date-time string: RFC 3339 (with `T` or a space), a date-time without offset (UTC), or a
/// bare date (midnight UTC).
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    // chrono's `FromStr` parsers (no format strings: they would cost the wasm some 15 KB).
    // RFC 3339 / ISO 8601 with an offset, `T` or a space between date and time.
    if let Ok(t) = text.parse::<DateTime<FixedOffset>>() {
        return Some(t.with_timezone(&Utc));
    }
    // Without an offset: UTC. `NaiveDateTime` wants a `T` and seconds; allow a space and
    // `HH:MM` too.
    let with_t = text.replacen(' ', "T", 1);
    let candidates = [with_t.clone(), format!("{with_t}:00")];
    if let Some(t) = candidates
        .iter()
        .find_map(|c| c.parse::<NaiveDateTime>().ok())
    {
        return Some(t.and_utc());
    }
    text.parse::<NaiveDate>()
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// The instant `ms` milliseconds after the Unix epoch as wire text (the client's clock).
pub fn wire_millis(ms: f64) -> Option<String> {
    from_millis(ms).map(|t| to_wire(&t))
}

/// The instant `ms` milliseconds after the Unix epoch as wire text, keeping the fraction of
/// a millisecond to the nanosecond (a journaled point's timestamp, sent as it was logged):
/// [`server_millis`] of the text gives `ms` back.
pub fn wire_millis_exact(ms: f64) -> Option<String> {
    if !ms.is_finite() {
        return None;
    }
    let whole = ms.floor();
    let nanos = ((ms - whole) * 1e6).round() as i64;
    let t = DateTime::from_timestamp_millis(whole as i64)?
        .checked_add_signed(chrono::TimeDelta::nanoseconds(nanos))?;
    Some(to_wire(&t))
}

/// RFC 3339 with microseconds where there are any, and a `+00:00` offset.
fn to_wire(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// A timestamp as the server answers it, in milliseconds since the Unix epoch (with the
/// fraction of a millisecond kept), or `None` if it is not a date-time.
pub fn server_millis(text: &str) -> Option<f64> {
    let t = parse(text)?;
    let whole_ms = t.timestamp_millis() as f64;
    let sub_ms = f64::from(t.timestamp_subsec_nanos() % 1_000_000) / 1e6;
    Some(whole_ms + sub_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(input: Input) -> String {
        timestamp(&input).unwrap().unwrap()
    }

    #[test]
    fn exact_wire_text_gives_the_same_millis_back() {
        for text in [
            "2026-11-27T05:41:08.123+00:00",
            "2026-11-27T05:41:08.123456+00:00",
            "2026-11-27T05:41:08+00:00",
            "1969-12-31T23:59:59.999500+00:00",
        ] {
            let ms = server_millis(text).unwrap();
            let again = wire_millis_exact(ms).unwrap();
            assert_eq!(
                server_millis(&again).unwrap().to_bits(),
                ms.to_bits(),
                "{text} -> {again}"
            );
        }
        assert_eq!(
            wire_millis_exact(1_795_000_000_123.0).as_deref(),
            wire_millis(1_795_000_000_123.0).as_deref()
        );
        assert_eq!(wire_millis_exact(f64::NAN), None);
    }

    #[test]
    fn dates_go_out_as_rfc3339_with_an_offset() {
        assert_eq!(wire(Input::Date(0.0)), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            wire(Input::Date(1_795_000_000_123.0)),
            "2026-11-18T11:06:40.123+00:00"
        );
    }

    #[test]
    fn strings_without_an_offset_mean_utc() {
        assert_eq!(
            wire(Input::Text("2026-11-27T05:41:08".into())),
            "2026-11-27T05:41:08+00:00"
        );
        assert_eq!(
            wire(Input::Text("2026-11-27 05:41".into())),
            "2026-11-27T05:41:00+00:00"
        );
        assert_eq!(
            wire(Input::Text("2026-11-27".into())),
            "2026-11-27T00:00:00+00:00"
        );
    }

    #[test]
    fn offsets_are_honoured() {
        assert_eq!(
            wire(Input::Text("2026-11-27T07:41:08.5+02:00".into())),
            "2026-11-27T05:41:08.500+00:00"
        );
        assert_eq!(
            wire(Input::Text("2026-11-27T05:41:08Z".into())),
            "2026-11-27T05:41:08+00:00"
        );
    }

    #[test]
    fn refuses_what_is_not_a_date_time() {
        for bad in [
            Input::Date(f64::NAN),
            Input::Text("".into()),
            Input::Text("yesterday".into()),
            Input::Text("2026-13-01".into()),
            Input::Text("2026-02-30T00:00:00Z".into()),
            Input::Number(0.0),
            Input::Other("null"),
        ] {
            match timestamp(&bad) {
                Err(Error::Validation { field, .. }) => assert_eq!(field, "timestamp"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        assert_eq!(timestamp(&Input::Missing).unwrap(), None);
    }

    #[test]
    fn reads_server_timestamps_with_or_without_offset() {
        assert_eq!(server_millis("1970-01-01T00:00:01.000500"), Some(1000.5));
        assert_eq!(server_millis("1970-01-01T00:00:01+00:00"), Some(1000.0));
        assert_eq!(server_millis("1970-01-01T02:00:01+02:00"), Some(1000.0));
        assert_eq!(server_millis("garbage"), None);
    }
}
