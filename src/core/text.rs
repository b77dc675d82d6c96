//! Text for the wire and for messages: JSON string literals, quoted caller input, and paths or
//! server text cut to a length a message can hold.

use std::fmt::Write;

/// `text` as a JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Caller input shown in a message: as a JSON string literal (quotes, backslashes and control
/// characters escaped), cut to 60 characters.
pub fn quote(s: &str) -> String {
    const MAX: usize = 60;
    let cut: String = s.chars().take(MAX).collect();
    let mut quoted = json_string(&cut);
    if cut.len() < s.len() {
        quoted.insert(quoted.len() - 1, '…');
    }
    quoted
}

/// The most characters of one path, value or server text an error message quotes.
pub const MESSAGE_EXCERPT_CHARS: usize = 200;

/// `text` as a message shows it: whole when it has at most [`MESSAGE_EXCERPT_CHARS`]
/// characters, else its first 200 characters and how many more there were (a 100,000-character
/// path must not make a 100 KB message; the error's `path` field keeps the whole of it).
pub fn clip(text: &str) -> String {
    clip_to(text, MESSAGE_EXCERPT_CHARS)
}

/// `text` cut to its first `max` characters, saying how many more there were.
pub fn clip_to(text: &str, max: usize) -> String {
    let mut chars = text.char_indices();
    match chars.nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => {
            let more = text.get(cut..).map_or(0, |rest| rest.chars().count());
            format!(
                "{}… ({more} more characters)",
                text.get(..cut).unwrap_or(text)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_read_back_as_the_text() {
        for text in ["al\"ice", "p\\w\n\u{1}é", "", "\u{7f}\u{2028}"] {
            let parsed: String = serde_json::from_str(&json_string(text)).unwrap();
            assert_eq!(parsed, text);
        }
    }

    #[test]
    fn quotes_escape_and_cut() {
        assert_eq!(quote("q\"\\\u{1}é"), "\"q\\\"\\\\\\u0001é\"");
        let long = "x".repeat(200);
        let quoted = quote(&long);
        assert_eq!(quoted.chars().count(), 60 + 3);
        assert!(quoted.ends_with("…\""));
    }

    #[test]
    fn clips_long_text_and_says_how_much_was_left_out() {
        assert_eq!(clip("/jobs/1/metrics/loss"), "/jobs/1/metrics/loss");
        let exact = "é".repeat(MESSAGE_EXCERPT_CHARS);
        assert_eq!(clip(&exact), exact);
        let long = format!(
            "{}{}",
            "a".repeat(MESSAGE_EXCERPT_CHARS),
            "é".repeat(99_800)
        );
        let clipped = clip(&long);
        assert!(clipped.starts_with(&"a".repeat(MESSAGE_EXCERPT_CHARS)));
        assert!(clipped.ends_with("… (99800 more characters)"), "{clipped}");
        assert!(clipped.len() < 300);
    }
}
