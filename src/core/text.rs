//! Text for the wire and for messages: JSON string literals, and quoted caller input.

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
}
