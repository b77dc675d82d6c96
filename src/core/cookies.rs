//! The cookie jar a Node client keeps for its one server (browsers keep their own).
//!
//! Cookies are stored per name and path from `Set-Cookie` answers of the client's own origin
//! only, and sent back only there; expiry (`Max-Age`, `Expires`) and deletion are honoured.
//! Values never leave the jar except in the `Cookie` header: `Debug` shows names only.

use std::fmt;

use chrono::DateTime;

/// One stored cookie.
#[derive(Clone, PartialEq)]
struct Cookie {
    name: String,
    value: String,
    path: String,
    /// When it expires, in ms since the Unix epoch; `None` lasts as long as the jar.
    expires_ms: Option<f64>,
}

/// The cookies of one origin.
#[derive(Default, Clone)]
pub struct CookieJar {
    cookies: Vec<Cookie>,
}

impl fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.cookies.iter().map(|c| &c.name))
            .finish()
    }
}

impl CookieJar {
    /// Takes in one `Set-Cookie` header value received for `request_path` at `now_ms`.
    /// Malformed headers are ignored, as browsers ignore them.
    pub fn store(&mut self, set_cookie: &str, request_path: &str, now_ms: f64) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        let mut path = default_path(request_path);
        let mut max_age: Option<f64> = None;
        let mut expires: Option<f64> = None;
        for attribute in parts {
            let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
            let (key, val) = (key.trim().to_ascii_lowercase(), val.trim());
            match key.as_str() {
                "max-age" => max_age = max_age_expiry(val, now_ms).or(max_age),
                "expires" => {
                    if let Ok(t) = DateTime::parse_from_rfc2822(val) {
                        expires = Some(t.timestamp_millis() as f64);
                    }
                }
                "path" if val.starts_with('/') => path = val.to_owned(),
                _ => {}
            }
        }
        let expires_ms = max_age.or(expires);
        self.cookies.retain(|c| !(c.name == name && c.path == path));
        if expires_ms.is_some_and(|t| t <= now_ms) {
            return; // A deletion, or already stale.
        }
        self.cookies.push(Cookie {
            name: name.to_owned(),
            value: value.trim().to_owned(),
            path,
            expires_ms,
        });
    }

    /// The `Cookie` header for a request to `request_path` at `now_ms`, if any cookie applies.
    pub fn header(&mut self, request_path: &str, now_ms: f64) -> Option<String> {
        self.cookies
            .retain(|c| c.expires_ms.is_none_or(|t| t > now_ms));
        let mut applicable: Vec<&Cookie> = self
            .cookies
            .iter()
            .filter(|c| path_matches(&c.path, request_path))
            .collect();
        if applicable.is_empty() {
            return None;
        }
        // Longer paths first, as RFC 6265 asks.
        applicable.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let pairs: Vec<String> = applicable
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        Some(pairs.join("; "))
    }

    /// Forgets every cookie.
    pub fn clear(&mut self) {
        self.cookies.clear();
    }

    /// How many cookies are held.
    pub fn len(&self) -> usize {
        self.cookies.len()
    }

    /// Whether no cookie is held.
    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }
}

/// When a `Max-Age` value makes a cookie expire, per RFC 6265: `-` and digits (any size) is
/// already expired; digits alone count seconds (saturating); anything else is ignored.
fn max_age_expiry(value: &str, now_ms: f64) -> Option<f64> {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if value.strip_prefix('-').is_some_and(all_digits) {
        return Some(f64::NEG_INFINITY);
    }
    if !all_digits(value) {
        return None;
    }
    let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
    Some(now_ms + seconds as f64 * 1000.0)
}

/// RFC 6265's default path: the request path up to its last `/`.
fn default_path(request_path: &str) -> String {
    match request_path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => request_path.get(..i).unwrap_or("/").to_owned(),
    }
}

/// RFC 6265's path match.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path
                    .get(cookie_path.len()..)
                    .is_some_and(|rest| rest.starts_with('/'))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_800_000_000_000.0;

    #[test]
    fn sends_back_what_the_server_set() {
        let mut jar = CookieJar::default();
        jar.store(
            "session=abc.def; HttpOnly; Path=/; SameSite=Lax",
            "/api/v1/auth/login",
            NOW,
        );
        jar.store(
            "dioptra_remember_token=tok|en; Expires=Sat, 27 Nov 2027 05:41:08 GMT; HttpOnly; Path=/",
            "/api/v1/auth/login",
            NOW,
        );
        let header = jar.header("/api/v1/jobs/1/metrics", NOW).unwrap();
        assert_eq!(header, "session=abc.def; dioptra_remember_token=tok|en");
    }

    #[test]
    fn deletion_and_expiry_remove_cookies() {
        let mut jar = CookieJar::default();
        jar.store("session=abc; Path=/", "/api/v1/auth/login", NOW);
        jar.store("short=x; Max-Age=10; Path=/", "/api/v1/auth/login", NOW);
        assert_eq!(jar.len(), 2);
        jar.store(
            "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/",
            "/x",
            NOW,
        );
        assert_eq!(jar.header("/api/v1/jobs", NOW).unwrap(), "short=x");
        assert_eq!(jar.header("/api/v1/jobs", NOW + 10_001.0), None);
        assert!(jar.is_empty());
    }

    #[test]
    fn any_negative_max_age_deletes_and_a_signed_one_is_ignored() {
        // Found by tests/properties.rs: an i64 overflow and a "+" sign kept cookies alive.
        let mut jar = CookieJar::default();
        jar.store("a=1; Max-Age=-99999999999999999999", "/", NOW);
        assert!(jar.is_empty());
        jar.store("b=1; Max-Age=-1; Max-Age=+5", "/", NOW);
        assert!(jar.is_empty());
        jar.store("c=1; Max-Age=99999999999999999999", "/", NOW);
        assert_eq!(jar.header("/", NOW).as_deref(), Some("c=1"));
    }

    #[test]
    fn max_age_wins_over_expires() {
        let mut jar = CookieJar::default();
        jar.store(
            "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60",
            "/",
            NOW,
        );
        assert_eq!(jar.header("/", NOW).as_deref(), Some("a=1"));
    }

    #[test]
    fn paths_limit_where_cookies_go() {
        let mut jar = CookieJar::default();
        jar.store("a=1; Path=/api/v1/auth", "/api/v1/auth/login", NOW);
        jar.store("b=2", "/api/v1/auth/login", NOW); // default path /api/v1/auth
        assert_eq!(jar.header("/api/v1/jobs/1/metrics", NOW), None);
        assert_eq!(jar.header("/api/v1/authx", NOW), None);
        assert_eq!(
            jar.header("/api/v1/auth/logout", NOW).as_deref(),
            Some("a=1; b=2")
        );
    }

    #[test]
    fn ignores_malformed_headers() {
        let mut jar = CookieJar::default();
        for bad in ["", "novalue", "=x", ";", " = ; Path=/"] {
            jar.store(bad, "/", NOW);
        }
        assert!(jar.is_empty());
    }

    #[test]
    fn debug_output_shows_names_only() {
        let mut jar = CookieJar::default();
        jar.store("session=s3cr3t; Path=/", "/", NOW);
        let shown = format!("{jar:?}");
        assert!(
            shown.contains("session") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }
}
