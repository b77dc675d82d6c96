//! HTTP dates (a cookie's `Expires`, a `Retry-After` date), read as RFC 6265 §5.1.1 reads
//! them: the IMF-fixdate servers send (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete
//! forms (RFC 850's `Sunday, 06-Nov-94 08:49:37 GMT`, C's asctime `Sun Nov  6 08:49:37 1994`),
//! in UTC whatever zone is named, as browsers read them. Hand-written (chrono is not in the
//! shipped code); a native test checks it against chrono's RFC 2822 reader on IMF-fixdates.

use crate::core::timestamp::{days_from_civil, days_in_month};

/// The instant an HTTP date names, in milliseconds since the Unix epoch; `None` when it is
/// not one (a missing or out-of-range field, or a day the month does not have).
pub fn http_date_millis(text: &str) -> Option<f64> {
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    for token in text.split(is_delimiter).filter(|t| !t.is_empty()) {
        let token = token.as_bytes();
        if time.is_none() {
            if let Some(t) = hms(token) {
                time = Some(t);
                continue;
            }
        }
        if day.is_none() {
            if let Some((d, _)) = leading_number(token, 1, 2) {
                day = Some(d);
                continue;
            }
        }
        if month.is_none() {
            if let Some(m) = month_of(token) {
                month = Some(m);
                continue;
            }
        }
        if year.is_none() {
            if let Some((y, _)) = leading_number(token, 2, 4) {
                year = Some(y);
            }
        }
    }
    let ((hour, minute, second), day, month, mut year) = (time?, day?, month?, year?);
    if (70..=99).contains(&year) {
        year += 1900;
    } else if (0..=69).contains(&year) {
        year += 2000;
    }
    if year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(secs as f64 * 1000.0)
}

/// RFC 6265's delimiters: tab, and the printable ASCII that is not a digit, letter or `:`.
fn is_delimiter(c: char) -> bool {
    matches!(c, '\t' | ' '..='/' | ';'..='@' | '['..='`' | '{'..='~')
}

/// `min` to `max` digits at the start of `token`, followed by its end or a non-digit: the
/// number and what follows it.
fn leading_number(token: &[u8], min: usize, max: usize) -> Option<(i64, &[u8])> {
    let len = token.iter().take_while(|b| b.is_ascii_digit()).count();
    if len < min || len > max {
        return None;
    }
    let (digits, rest) = token.split_at_checked(len)?;
    let n = digits.iter().fold(0, |n, &b| n * 10 + i64::from(b - b'0'));
    Some((n, rest))
}

/// `hh:mm:ss` (one or two digits each) at the start of `token`.
fn hms(token: &[u8]) -> Option<(i64, i64, i64)> {
    let (hour, rest) = leading_number(token, 1, 2)?;
    let (minute, rest) = leading_number(rest.strip_prefix(b":")?, 1, 2)?;
    let (second, _) = leading_number(rest.strip_prefix(b":")?, 1, 2)?;
    Some((hour, minute, second))
}

/// The month (1-12) a token's first three letters name, in any case.
fn month_of(token: &[u8]) -> Option<i64> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let head = token.get(..3)?;
    let index = MONTHS.iter().position(|m| head.eq_ignore_ascii_case(*m))?;
    i64::try_from(index).ok().map(|i| i + 1)
}

#[cfg(test)]
mod tests;
