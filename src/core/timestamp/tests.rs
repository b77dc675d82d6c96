//! The timestamp parser and writer, checked against chrono (a dev-dependency: the rule they
//! keep) and on their own.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

use super::*;

/// What chrono made of `text` (the rule the hand parser keeps): the parser this module used
/// before, chrono's `FromStr` for an RFC 3339 date-time with an offset, then for one without
/// (a space for `T`, `:00` for missing seconds), then for a bare date.
fn chrono_parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = text.parse::<DateTime<FixedOffset>>() {
        return Some(t.with_timezone(&Utc));
    }
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

/// What chrono alone makes of `text` (the rule the hand parser must keep).
fn chrono_millis(text: &str) -> Option<f64> {
    let t = chrono_parse(text)?;
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
    let mut day = NaiveDate::from_ymd_opt(1896, 1, 1).unwrap();
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
        // The general parser alone (what the fast path leaves to it) agrees too.
        let general = parse(text).and_then(Instant::millis).map(f64::to_bits);
        assert_eq!(general, chrono_millis(text).map(f64::to_bits), "{text}");
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

/// A small deterministic generator (SplitMix64), so the generated cases are the same each run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// Date-times in the many shapes chrono accepted: fields of one or two digits, signed and
/// short years, `T`, `t` or spaces, fractions of any length, every offset spelling, and
/// whitespace where chrono allowed it.
fn shaped(g: &mut Gen) -> String {
    let year = g.pick(&[
        "2026", "1970", "1969", "0001", "0000", "26", "7", "9999", "+2026", "-0044", "+10000",
        "-262143", "+262142", "+262143", "1600", "2000", "2100",
    ]);
    let month = g.pick(&["01", "1", "02", "2", "09", "12", "13", "00"]);
    let day = g.pick(&["01", "1", "28", "29", "30", "31", "32", "0"]);
    let hour = g.pick(&["00", "0", "5", "05", "23", "24"]);
    let minute = g.pick(&["00", "7", "41", "59", "60"]);
    let second = g.pick(&[":08", ":8", ":59", ":60", ":61", "", " :08"]);
    let fraction = g.pick(&[
        "",
        ".5",
        ".000001",
        ".123456789",
        ".1234567891234",
        ".",
        ".0",
    ]);
    let offset = g.pick(&[
        "", "Z", "z", "UTC", " utc", "+00:00", "+0000", "-05:30", "+05:45", "−08:00", "+23:59",
        "+24:00", "-11 00", "+02::30", "+2:00", "+02", "+02:60", " Z", "GMT",
    ]);
    let sep = g.pick(&["T", "t", " ", "  ", "T ", " T"]);
    let space = |g: &mut Gen| if g.below(12) == 0 { " " } else { "" };
    let (s1, s2, s3, s4) = (space(g), space(g), space(g), space(g));
    if g.below(10) == 0 {
        return format!("{year}{s1}-{s2}{month}-{s3}{day}");
    }
    let time = if fraction.is_empty() || !second.is_empty() {
        format!("{hour}{s4}:{minute}{second}{fraction}")
    } else {
        format!("{hour}:{minute}")
    };
    format!("{year}-{month}{s1}-{s2}{day}{sep}{time}{offset}")
}

#[test]
fn every_date_time_chrono_read_is_read_the_same() {
    let mut g = Gen(0x5EED);
    let (mut both, mut only_ours) = (0, 0);
    for _ in 0..60_000 {
        let text = shaped(&mut g);
        let ours = server_millis(&text).map(f64::to_bits);
        let general = parse(&text).and_then(Instant::millis).map(f64::to_bits);
        assert_eq!(ours, general, "{text:?}");
        match chrono_millis(&text).map(f64::to_bits) {
            Some(theirs) => {
                assert_eq!(ours, Some(theirs), "{text:?}");
                both += 1;
            }
            None if ours.is_some() => only_ours += 1,
            None => {}
        }
    }
    assert!(both > 6_000, "only {both} accepted by chrono");
    // What only the hand parser takes: `t` or whitespace shapes chrono took only with an
    // offset, and seconds left out before an offset (see `the_differences_from_chrono`).
    assert!(
        only_ours < both,
        "{only_ours} taken by the hand parser alone"
    );
}

#[test]
fn mangled_text_chrono_read_is_read_the_same() {
    // Random edits of valid date-times: whatever chrono still read, the hand parser reads to
    // the same instant.
    let mut g = Gen(0xD10);
    let alphabet: Vec<char> = "0123456789-:.+TtZzU \t\u{2212}x".chars().collect();
    let mut agreed = 0;
    for _ in 0..40_000 {
        let mut chars: Vec<char> = shaped(&mut g).chars().collect();
        for _ in 0..=g.below(3) {
            let at = g.below(chars.len() + 1);
            let c = alphabet[g.below(alphabet.len())];
            match g.below(3) {
                0 => chars.insert(at, c),
                1 if at < chars.len() => {
                    chars.remove(at);
                }
                _ if at < chars.len() => chars[at] = c,
                _ => {}
            }
        }
        let text: String = chars.into_iter().collect();
        let general = parse(&text).and_then(Instant::millis).map(f64::to_bits);
        assert_eq!(server_millis(&text).map(f64::to_bits), general, "{text:?}");
        if let Some(theirs) = chrono_millis(&text) {
            assert_eq!(
                server_millis(&text).map(f64::to_bits),
                Some(theirs.to_bits()),
                "{text:?}"
            );
            agreed += 1;
        }
    }
    assert!(agreed > 1_000, "only {agreed} still dates");
}

#[test]
fn the_differences_from_chrono() {
    // Taken now, refused by chrono: `t` and whitespace-only separators without an offset, a
    // tab between date and time, and seconds left out before an offset.
    for (text, expected) in [
        ("2026-11-27t05:41:08", "2026-11-27T05:41:08+00:00"),
        ("2026-11-27\t05:41:08Z", "2026-11-27T05:41:08+00:00"),
        ("2026-11-27 T05:41:08", "2026-11-27T05:41:08+00:00"),
        ("2026-11-27T05:41Z", "2026-11-27T05:41:00+00:00"),
        ("2026-11-27T05:41+02:00", "2026-11-27T03:41:00+00:00"),
    ] {
        assert_eq!(chrono_parse(text), None, "{text}");
        assert_eq!(wire(Input::Text(text.into())), expected, "{text}");
    }
    // A leap second goes out as the first second of the next minute (chrono wrote `:60`,
    // which the server refuses); the instant is the same.
    let leap = "2016-12-31T23:59:60.5Z";
    assert_eq!(
        server_millis(leap).map(f64::to_bits),
        chrono_millis(leap).map(f64::to_bits)
    );
    assert_eq!(
        wire(Input::Text(leap.into())),
        "2017-01-01T00:00:00.500+00:00"
    );
}

#[test]
fn wire_text_is_what_chrono_wrote() {
    let mut g = Gen(0x3339);
    let nanos = [
        0,
        500_000_000,
        123_000_000,
        123_456_000,
        123_456_789,
        1,
        999_999_999,
    ];
    let bound = DateTime::<Utc>::MAX_UTC.timestamp();
    for i in 0..50_000 {
        let secs = match i % 4 {
            0 => (g.next() % (2 * bound as u64)) as i64 - bound,
            1 => (g.next() % 8_000_000_000) as i64 - 4_000_000_000,
            _ => (g.next() % 4_000_000_000) as i64,
        };
        let nano = nanos[g.below(nanos.len())];
        let Some(theirs) = DateTime::from_timestamp(secs, nano) else {
            continue;
        };
        let ours = Instant::new(secs, i64::from(nano)).map(to_wire);
        assert_eq!(
            ours.as_deref(),
            Some(
                theirs
                    .to_rfc3339_opts(SecondsFormat::AutoSi, false)
                    .as_str()
            ),
            "{secs} {nano}"
        );
    }
    for (secs, nano) in [
        (DateTime::<Utc>::MIN_UTC.timestamp(), 0),
        (DateTime::<Utc>::MAX_UTC.timestamp(), 999_999_999),
    ] {
        let theirs = DateTime::from_timestamp(secs, nano).unwrap();
        assert_eq!(
            to_wire(Instant::new(secs, i64::from(nano)).unwrap()),
            theirs.to_rfc3339_opts(SecondsFormat::AutoSi, false)
        );
    }
    let (min, max) = (
        DateTime::<Utc>::MIN_UTC.timestamp(),
        DateTime::<Utc>::MAX_UTC.timestamp(),
    );
    assert_eq!(Instant::new(min - 1, 999_999_999), None);
    assert_eq!(Instant::new(max + 1, 0), None);
}

#[test]
fn millis_go_out_as_chrono_wrote_them() {
    let mut g = Gen(0x7E57);
    let chrono_exact = |ms: f64| -> Option<String> {
        if !ms.is_finite() {
            return None;
        }
        let whole = ms.floor();
        let nanos = ((ms - whole) * 1e6).round() as i64;
        let t = DateTime::from_timestamp_millis(whole as i64)?
            .checked_add_signed(chrono::TimeDelta::nanoseconds(nanos))?;
        Some(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
    };
    let chrono_plain = |ms: f64| -> Option<String> {
        if !ms.is_finite() {
            return None;
        }
        DateTime::from_timestamp_millis(ms.trunc() as i64)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
    };
    let mut cases = vec![
        0.0,
        -0.0,
        -1.0,
        -0.5,
        0.25,
        1e-7,
        -1e-7,
        8.64e15,
        -8.64e15,
        8.2e15,
        -8.3e15,
        9e18,
        -9e18,
        1e300,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1_795_000_000_123.456_7,
    ];
    for _ in 0..30_000 {
        let ms = (g.next() % 4_000_000_000_000) as f64 - 1e12;
        cases.push(ms + (g.next() % 1_000_000) as f64 / 1e6);
        cases.push(f64::from_bits(g.next()));
    }
    for ms in cases {
        assert_eq!(wire_millis(ms), chrono_plain(ms), "{ms}");
        assert_eq!(wire_millis_exact(ms), chrono_exact(ms), "{ms}");
    }
}

#[test]
fn the_extremes_of_the_range() {
    assert_eq!(
        wire(Input::Text("+262142-12-31T23:59:59.999999999Z".into())),
        "+262142-12-31T23:59:59.999999999+00:00"
    );
    assert_eq!(
        wire(Input::Text("-262143-01-01".into())),
        "-262143-01-01T00:00:00+00:00"
    );
    for beyond in [
        "+262143-01-01T00:00:00Z",
        "-262144-12-31T23:59:59Z",
        "+262142-12-31T23:59:59-00:01",
        "-262143-01-01T00:00:00+00:01",
        "+99999999999999999999-01-01",
    ] {
        assert_eq!(parse(beyond), None, "{beyond}");
        assert_eq!(chrono_parse(beyond), None, "{beyond}");
    }
    assert_eq!(
        wire(Input::Text("-0044-03-15".into())),
        "-0044-03-15T00:00:00+00:00"
    );
    assert_eq!(
        wire(Input::Date(-62_135_596_800_000.0 - 1.0)),
        "0000-12-31T23:59:59.999+00:00"
    );
}
