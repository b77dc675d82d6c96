//! The HTTP date reader, checked against chrono's RFC 2822 reader (a dev-dependency) on
//! IMF-fixdates, and on RFC 6265's own examples and limits.

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::*;

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

#[test]
fn imf_fixdates_read_as_chrono_read_them() {
    // Every 7,919th second from 1900 to 2200: the three forms of each, against chrono.
    let mut secs = -2_208_988_800i64;
    let mut n = 0;
    while secs < 7_258_118_400 {
        let t = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
        let weekday = t.weekday().num_days_from_monday() as usize;
        let month = MONTHS[t.month0() as usize];
        let (d, y) = (t.day(), t.year());
        let (hh, mm, ss) = (t.hour(), t.minute(), t.second());
        let imf = format!(
            "{}, {d:02} {month} {y} {hh:02}:{mm:02}:{ss:02} GMT",
            DAYS[weekday]
        );
        let chrono_ms = DateTime::parse_from_rfc2822(&imf)
            .map(|t| t.timestamp_millis() as f64)
            .ok();
        assert_eq!(chrono_ms, Some(secs as f64 * 1000.0), "{imf}");
        assert_eq!(http_date_millis(&imf), chrono_ms, "{imf}");
        if (1970..2070).contains(&y) {
            let rfc850 = format!(
                "{}, {d:02}-{month}-{:02} {hh:02}:{mm:02}:{ss:02} GMT",
                LONG_DAYS[weekday],
                y % 100
            );
            assert_eq!(http_date_millis(&rfc850), chrono_ms, "{rfc850}");
        }
        let asctime = format!(
            "{} {month} {d:>2} {hh:02}:{mm:02}:{ss:02} {y}",
            DAYS[weekday]
        );
        assert_eq!(http_date_millis(&asctime), chrono_ms, "{asctime}");
        secs += 7919 * 97;
        n += 1;
    }
    assert!(n > 12_000, "{n}");
}

#[test]
fn reads_the_three_forms_of_rfc_9110() {
    let expected = Some(784_111_777_000.0);
    for text in [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun, 06 Nov 1994 08:49:37",
        "06 Nov 1994 08:49:37 GMT",
        "sun, 6 nov 1994 8:49:37 gmt",
        "Sun, 06 November 1994 08:49:37 GMT",
        "  Sun, 06 Nov 1994 08:49:37 GMT;  ",
    ] {
        assert_eq!(http_date_millis(text), expected, "{text}");
    }
}

#[test]
fn two_digit_years_and_the_limits_of_rfc_6265() {
    assert_eq!(http_date_millis("Thu, 01-Jan-70 00:00:00 GMT"), Some(0.0));
    assert_eq!(
        http_date_millis("Sat, 01-Jan-69 00:00:00 GMT"),
        http_date_millis("Tue, 01 Jan 2069 00:00:00 GMT")
    );
    assert_eq!(
        http_date_millis("Fri, 31 Dec 9999 23:59:59 GMT"),
        Some(253_402_300_799_000.0)
    );
    for bad in [
        "",
        "soon",
        "Sun, 06 Nov 1994",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, Nov 1994 08:49:37 GMT",
        "Sun, 06 1994 08:49:37 GMT",
        "Sun, 06 Nov 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Thu, 29 Feb 1900 00:00:00 GMT",
        "Sun, 06 Nov 1600 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:60 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 006 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 19945 08:49:37 GMT",
    ] {
        assert_eq!(http_date_millis(bad), None, "{bad:?}");
    }
    assert_eq!(
        http_date_millis("Tue, 29 Feb 2000 12:00:00 GMT"),
        Some(951_825_600_000.0)
    );
}

#[test]
fn zones_are_not_read_as_browsers_do_not() {
    // RFC 6265 reads every HTTP date as UTC (servers must send GMT); chrono's RFC 2822 reader
    // applied a numeric zone. The hand reader does as browsers do.
    assert_eq!(
        http_date_millis("Sun, 06 Nov 1994 08:49:37 +0200"),
        Some(784_111_777_000.0)
    );
    assert_eq!(
        DateTime::parse_from_rfc2822("Sun, 06 Nov 1994 08:49:37 +0200")
            .unwrap()
            .timestamp_millis(),
        784_104_577_000
    );
}
