//! Timestamps: what a caller may pass, how they go on the wire, how the server's are read.

#[cfg(test)]
use chrono::Datelike;
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
    let (secs, nanos) = match plain_date_time(text.trim().as_bytes()) {
        Some(read) => read,
        None => {
            let t = parse(text)?;
            (t.timestamp(), t.timestamp_subsec_nanos())
        }
    };
    let whole_ms = secs.checked_mul(1000)? + i64::from(nanos / 1_000_000);
    let sub_ms = f64::from(nanos % 1_000_000) / 1e6;
    Some(whole_ms as f64 + sub_ms)
}

/// The server's own shape, `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM]`, read without chrono
/// (a history page has a thousand of them: this is ~10x faster than the general parser, which
/// takes over for anything else, so what is accepted stays chrono's rule): seconds since the
/// epoch and nanoseconds. `None` when `text` is not in exactly this shape, or is not a valid
/// date and time (the general parser then decides).
fn plain_date_time(text: &[u8]) -> Option<(i64, u32)> {
    let digits = |from: usize, len: usize| -> Option<i64> {
        let part = text.get(from..from + len)?;
        part.iter().try_fold(0i64, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
        })
    };
    let byte = |at: usize| text.get(at).copied();
    if byte(4) != Some(b'-')
        || byte(7) != Some(b'-')
        || !matches!(byte(10), Some(b'T' | b' '))
        || byte(13) != Some(b':')
        || byte(16) != Some(b':')
    {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None; // a leap second, or no time: chrono's call
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if byte(at) == Some(b'.') {
        let start = at + 1;
        let len = text
            .get(start..)?
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if !(1..=9).contains(&len) {
            return None;
        }
        let fraction = u32::try_from(digits(start, len)?).ok()?;
        nanos = fraction * 10u32.pow(9 - len as u32);
        at = start + len;
    }
    let offset = match text.get(at..)? {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits(at + 1, 2)?, digits(at + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60;
    Some((secs, nanos))
}

/// Days in `month` (1-12) of `year`, proleptic Gregorian.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to `year`-`month`-`day` (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What chrono alone makes of `text` (the rule the fast path must keep).
    fn chrono_millis(text: &str) -> Option<f64> {
        let t = parse(text)?;
        let whole_ms = t.timestamp_millis() as f64;
        Some(whole_ms + f64::from(t.timestamp_subsec_nanos() % 1_000_000) / 1e6)
    }

    #[test]
    fn the_fast_path_agrees_with_chrono() {
        let mut texts = vec![
            "2026-11-27T05:41:08.123456+00:00".to_owned(),
            "2026-11-27 05:41:08".to_owned(),
            "2024-02-29T23:59:59.999999999Z".to_owned(),
            "2023-02-29T00:00:00".to_owned(),
            "2026-04-31T00:00:00".to_owned(),
            "1900-02-29T00:00:00".to_owned(),
            "2000-02-29T00:00:00-05:30".to_owned(),
            "1969-12-31T23:59:59.5+14:00".to_owned(),
            "0001-01-01T00:00:00".to_owned(),
            "2026-11-27T24:00:00".to_owned(),
            "2026-11-27T23:59:60".to_owned(),
            "2026-11-27T05:41:08.".to_owned(),
            "2026-11-27T05:41:08.1234567890".to_owned(),
            "2026-11-27T05:41:08+0000".to_owned(),
            "2026-11-27T05:41:08+24:00".to_owned(),
            "2026-13-01T00:00:00".to_owned(),
            "2026-1-01T00:00:00".to_owned(),
            "2026-11-27T05:41".to_owned(),
            "2026-11-27".to_owned(),
            " 2026-11-27T05:41:08z ".to_owned(),
            "soon".to_owned(),
        ];
        // Every day of a leap cycle and more, with offsets and fractions.
        let mut day = chrono::NaiveDate::from_ymd_opt(1896, 1, 1).unwrap();
        let mut k = 0u64;
        while day.year() < 2105 {
            let off = ["", "Z", "+05:45", "-11:00", "+00:00"][(k % 5) as usize];
            let frac = ["", ".5", ".000001", ".123456789"][(k % 4) as usize];
            texts.push(format!(
                "{day}T{:02}:{:02}:{:02}{frac}{off}",
                k % 24,
                k % 60,
                (k * 7) % 60
            ));
            day = day.succ_opt().unwrap();
            k += 1;
        }
        let taken = texts
            .iter()
            .filter(|t| plain_date_time(t.trim().as_bytes()).is_some())
            .count();
        assert!(
            taken > 70_000,
            "the fast path took only {taken} of {}",
            texts.len()
        );
        for text in &texts {
            let fast = server_millis(text).map(f64::to_bits);
            assert_eq!(fast, chrono_millis(text).map(f64::to_bits), "{text}");
        }
    }

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
