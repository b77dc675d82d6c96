//! Timestamps: what a caller may pass, how they go on the wire, how the server's are read.
//!
//! Hand-written (no chrono in the shipped code: it weighed 20 KB of the wasm): the ISO 8601 /
//! RFC 3339 shapes that chrono's `FromStr` parsers accepted, read by one small parser (after a
//! fixed-place fast path for the server's own shape), and RFC 3339 written as chrono's
//! `to_rfc3339_opts(AutoSi, false)` wrote it. Native tests check them against chrono (a
//! dev-dependency) on some 250,000 generated date-times and instants.

use crate::core::error::{Error, Result};
use crate::core::input::Input;

/// An instant: whole seconds since the Unix epoch (UTC) and nanoseconds (below 10^9) after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant {
    /// Seconds since 1970-01-01T00:00:00Z (negative before).
    pub secs: i64,
    /// Nanoseconds after `secs`, `0..1_000_000_000`.
    pub nanos: u32,
}

/// The first year an instant may fall in (chrono's range, which this parser keeps).
const MIN_YEAR: i64 = -262_143;
/// The last year an instant may fall in.
const MAX_YEAR: i64 = 262_142;
const SECS_PER_DAY: i64 = 86_400;
/// The first second of [`MIN_YEAR`].
const FIRST_SECOND: i64 = days_from_civil(MIN_YEAR, 1, 1) * SECS_PER_DAY;
/// The first second after [`MAX_YEAR`].
const END_SECOND: i64 = (days_from_civil(MAX_YEAR, 12, 31) + 1) * SECS_PER_DAY;

impl Instant {
    /// The instant `secs` + `nanos` (any `nanos`, carried into seconds), if it falls in the
    /// years [`MIN_YEAR`] to [`MAX_YEAR`].
    fn new(secs: i64, nanos: i64) -> Option<Instant> {
        let secs = secs.checked_add(nanos.div_euclid(1_000_000_000))?;
        let nanos = u32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
        (FIRST_SECOND..END_SECOND)
            .contains(&secs)
            .then_some(Instant { secs, nanos })
    }

    /// Milliseconds since the Unix epoch, the fraction of a millisecond kept.
    pub fn millis(self) -> Option<f64> {
        let whole_ms = self.secs.checked_mul(1000)? + i64::from(self.nanos / 1_000_000);
        Some(whole_ms as f64 + f64::from(self.nanos % 1_000_000) / 1e6)
    }
}

/// A `timestamp` option: a valid `Date` or an ISO 8601 / RFC 3339 string, as RFC 3339 text
/// with an explicit offset for the wire; `None` when absent (the server then uses its clock).
pub fn timestamp(input: &Input) -> Result<Option<String>> {
    let instant = match input {
        Input::Missing => return Ok(None),
        Input::Date(ms) => from_millis(*ms),
        Input::Text(text) => parse(text),
        _ => None,
    };
    instant.map(|t| Some(to_wire(t))).ok_or_else(|| {
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
fn from_millis(ms: f64) -> Option<Instant> {
    if !ms.is_finite() {
        return None;
    }
    let ms = ms.trunc() as i64;
    Instant::new(ms.div_euclid(1000), ms.rem_euclid(1000) * 1_000_000)
}

/// A date-time string: RFC 3339 / ISO 8601 with an offset (`Z`, `UTC`, `±HH:MM`, `±HHMM`),
/// `T` or spaces between date and time; a date-time without offset (UTC), seconds optional;
/// or a bare date (midnight UTC). Leading and trailing whitespace, and whitespace before each
/// number, `-` and `:`, are allowed as chrono allowed them; a leap second (`:60`) is the first
/// second of the next minute.
pub fn parse(text: &str) -> Option<Instant> {
    let mut c = Cursor(text);
    c.skip_space();
    c.0 = c.0.trim_end();
    let year = c.year()?;
    let month = c.then(b'-')?.number(2)?;
    let day = c.then(b'-')?.number(2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if c.0.is_empty() {
        return Instant::new(days * SECS_PER_DAY, 0);
    }
    // Between date and time: a `T` (either case), whitespace, or both.
    let before = c.0.len();
    c.skip_space();
    c.eat(|b| b == b'T' || b == b't');
    if c.0.len() == before {
        return None;
    }
    let hour = c.number(2)?;
    let minute = c.then(b':')?.number(2)?;
    let mut second = 0;
    let mut nanos = 0;
    let mut after_minute = c;
    after_minute.skip_space();
    if after_minute.0.as_bytes().first() == Some(&b':') {
        c = after_minute;
        second = c.then(b':')?.number(2)?;
        if c.eat(|b| b == b'.') {
            nanos = c.fraction()?;
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    c.skip_space();
    let offset = c.offset()?;
    if !c.0.is_empty() {
        return None;
    }
    Instant::new(
        days * SECS_PER_DAY + hour * 3600 + minute * 60 + second - offset,
        nanos,
    )
}

/// What is left of a text being read.
#[derive(Clone, Copy)]
struct Cursor<'a>(&'a str);

impl Cursor<'_> {
    /// Past the next byte if `wanted` (which takes ASCII bytes only): whether it was.
    fn eat(&mut self, wanted: impl Fn(u8) -> bool) -> bool {
        let found = self.0.as_bytes().first().is_some_and(|&b| wanted(b));
        if found {
            self.0 = self.0.get(1..).unwrap_or_default();
        }
        found
    }

    fn skip_space(&mut self) {
        // Most texts have no whitespace where it may be: the first byte tells.
        if self
            .0
            .as_bytes()
            .first()
            .is_some_and(|&b| b >= 0x80 || b.is_ascii_whitespace() || b == 0x0b)
        {
            self.0 = self.0.trim_start();
        }
    }

    /// Past optional whitespace and then `byte`, or `None` if `byte` is not there.
    fn then(&mut self, byte: u8) -> Option<&mut Self> {
        self.skip_space();
        self.eat(|b| b == byte).then_some(self)
    }

    /// Up to `max` digits (at least one) after optional whitespace.
    fn number(&mut self, max: usize) -> Option<i64> {
        self.skip_space();
        self.digits(max)
    }

    /// Up to `max` digits (at least one), right here.
    fn digits(&mut self, max: usize) -> Option<i64> {
        let mut n = 0i64;
        let mut len = 0;
        for &b in self.0.as_bytes() {
            if len == max || !b.is_ascii_digit() {
                break;
            }
            n = n.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
            len += 1;
        }
        if len == 0 {
            return None;
        }
        self.0 = self.0.get(len..)?;
        Some(n)
    }

    /// A year: up to four digits, or a sign and any number of digits, in range.
    fn year(&mut self) -> Option<i64> {
        self.skip_space();
        let year = if self.eat(|b| b == b'-') {
            self.digits(usize::MAX)?.checked_neg()?
        } else if self.eat(|b| b == b'+') {
            self.digits(usize::MAX)?
        } else {
            self.number(4)?
        };
        (MIN_YEAR..=MAX_YEAR).contains(&year).then_some(year)
    }

    /// A fraction of a second's digits (at least one; those past the ninth are ignored), as
    /// nanoseconds.
    fn fraction(&mut self) -> Option<i64> {
        let (mut nanos, mut len) = (0i64, 0);
        for &b in self.0.as_bytes() {
            if !b.is_ascii_digit() {
                break;
            }
            if len < 9 {
                nanos = nanos * 10 + i64::from(b - b'0');
            }
            len += 1;
        }
        if len == 0 {
            return None;
        }
        self.0 = self.0.get(len..)?;
        for _ in len..9 {
            nanos *= 10;
        }
        Some(nanos)
    }

    /// A UTC offset in seconds: none (UTC), `Z`, `UTC` (any case), or a sign (`+`, `-` or
    /// `−`), two digits of hours, optional colons or whitespace and two digits of minutes,
    /// less than a day.
    fn offset(&mut self) -> Option<i64> {
        let text = self.0;
        if text.is_empty() {
            return Some(0);
        }
        if let Some(rest) = text.strip_prefix(['Z', 'z']) {
            self.0 = rest.trim_start();
            return Some(0);
        }
        if text.get(..3).is_some_and(|t| t.eq_ignore_ascii_case("utc")) {
            self.0 = text.get(3..)?.trim_start();
            return Some(0);
        }
        let (sign, rest) = if let Some(rest) = text.strip_prefix('+') {
            (1, rest)
        } else if let Some(rest) = text.strip_prefix(['-', '\u{2212}']) {
            (-1, rest)
        } else {
            return None;
        };
        let two = |t: &str| -> Option<i64> {
            match t.as_bytes() {
                [a @ b'0'..=b'9', b @ b'0'..=b'9', ..] => {
                    Some(i64::from((a - b'0') * 10 + (b - b'0')))
                }
                _ => None,
            }
        };
        let hours = two(rest)?;
        let rest = rest
            .get(2..)?
            .trim_start_matches(|c: char| c == ':' || c.is_whitespace());
        let minutes = two(rest)?;
        if minutes > 59 {
            return None;
        }
        let seconds = hours * 3600 + minutes * 60;
        if seconds >= SECS_PER_DAY {
            return None;
        }
        self.0 = rest.get(2..)?.trim_start();
        Some(sign * seconds)
    }
}

/// The instant `ms` milliseconds after the Unix epoch as wire text (the client's clock).
pub fn wire_millis(ms: f64) -> Option<String> {
    from_millis(ms).map(to_wire)
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
    let whole = whole as i64;
    let t = Instant::new(
        whole.div_euclid(1000),
        whole.rem_euclid(1000) * 1_000_000 + nanos,
    )?;
    Some(to_wire(t))
}

/// RFC 3339 with milliseconds, microseconds or nanoseconds where there are any (the fewest of
/// the three that hold the fraction), and a `+00:00` offset.
pub fn to_wire(t: Instant) -> String {
    let days = t.secs.div_euclid(SECS_PER_DAY);
    let secs = t.secs.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let mut out = String::with_capacity(35);
    if (0..=9999).contains(&year) {
        push_digits(&mut out, year, 4);
    } else {
        out.push(if year < 0 { '-' } else { '+' });
        push_digits(&mut out, year.abs(), 4);
    }
    for (sep, n) in [
        ('-', month),
        ('-', day),
        ('T', secs / 3600),
        (':', secs / 60 % 60),
        (':', secs % 60),
    ] {
        out.push(sep);
        push_digits(&mut out, n, 2);
    }
    let nanos = i64::from(t.nanos);
    if nanos != 0 {
        out.push('.');
        if nanos % 1_000_000 == 0 {
            push_digits(&mut out, nanos / 1_000_000, 3);
        } else if nanos % 1000 == 0 {
            push_digits(&mut out, nanos / 1000, 6);
        } else {
            push_digits(&mut out, nanos, 9);
        }
    }
    out.push_str("+00:00");
    out
}

/// `n` (not negative) in decimal, zero-padded to at least `width` digits.
fn push_digits(out: &mut String, n: i64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    let mut n = n.unsigned_abs();
    while n > 0 || at > digits.len().saturating_sub(width) {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
    }
    for &d in digits.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

/// A timestamp as the server answers it, in milliseconds since the Unix epoch (with the
/// fraction of a millisecond kept), or `None` if it is not a date-time.
pub fn server_millis(text: &str) -> Option<f64> {
    match plain_date_time(text.trim().as_bytes()) {
        Some((secs, nanos)) => Instant { secs, nanos }.millis(),
        None => parse(text)?.millis(),
    }
}

/// The server's own shape, `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM]`, read at fixed
/// places (a history page has a thousand of them: this is about twice as fast as [`parse`],
/// which takes over for anything else): seconds since the epoch and nanoseconds. `None` when
/// `text` is not in exactly this shape, or is not a valid date and time ([`parse`] then
/// decides).
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
pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to `year`-`month`-`day` (proleptic Gregorian; H. Hinnant's algorithm).
pub(crate) const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` days after 1970-01-01: (year, month 1-12, day 1-31) (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests;
