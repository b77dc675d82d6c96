//! The cookie jar a Node client keeps for its one server (browsers keep their own).
//!
//! Cookies are stored per name, domain and path from `Set-Cookie` answers of the client's own
//! origin only, and sent back only there; expiry (`Max-Age`, `Expires`) and deletion are
//! honoured. What RFC 6265 asks of a client is kept: a `Domain` attribute that does not
//! domain-match the server's host makes the cookie ignored; `Secure` cookies are kept and sent
//! only where the connection counts as secure (https, and loopback http as browsers treat it);
//! at most [`MAX_COOKIES`] cookies are held and at most [`MAX_COOKIE_BYTES`] bytes of name and
//! value each. When the jar is full, expired cookies go first; if none has expired, a new
//! cookie is refused (those held, the session among them, are never pushed out by newcomers;
//! replacing a held cookie is always possible). Values never leave the jar except in the
//! `Cookie` header: `Debug` shows names only.

use std::fmt;

use crate::core::host::{is_ip_address, is_loopback};
use crate::core::http_date::http_date_millis;
use crate::core::sort::sorted_by_key;

/// The most cookies a jar holds (RFC 6265 §6.1's minimum per domain).
pub const MAX_COOKIES: usize = 50;
/// The most bytes of name and value one cookie may have (RFC 6265 §6.1's 4096 bytes).
pub const MAX_COOKIE_BYTES: usize = 4096;

/// One stored cookie.
#[derive(Clone, PartialEq)]
struct Cookie {
    name: String,
    value: String,
    /// The domain it was set for: the server's host, or the `Domain` attribute.
    domain: String,
    path: String,
    /// Sent only over a secure connection.
    secure: bool,
    /// When it expires, in ms since the Unix epoch; `None` lasts as long as the jar.
    expires_ms: Option<f64>,
}

/// The cookies of one origin.
#[derive(Clone)]
pub struct CookieJar {
    cookies: Vec<Cookie>,
    /// The server's host: lower-case, no port, no IPv6 brackets.
    host: String,
    /// Whether the connection to the server counts as secure (https, or loopback http).
    secure: bool,
}

impl fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.cookies.iter().map(|c| &c.name))
            .finish()
    }
}

impl CookieJar {
    /// An empty jar for the server at `origin` (`scheme://host[:port]`, as
    /// [`ApiBase::origin`](crate::core::address::ApiBase) holds it).
    pub fn for_origin(origin: &str) -> CookieJar {
        let (scheme, authority) = origin.split_once("://").unwrap_or(("", origin));
        let host = match authority.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap_or(rest),
            None => authority.split(':').next().unwrap_or(authority),
        }
        .to_ascii_lowercase();
        let secure = scheme.eq_ignore_ascii_case("https") || is_loopback(&host);
        CookieJar {
            cookies: Vec::new(),
            host,
            secure,
        }
    }

    /// Takes in one `Set-Cookie` header value received for `request_path` at `now_ms`.
    /// Malformed headers, and cookies RFC 6265 tells a client to ignore, are ignored.
    pub fn store(&mut self, set_cookie: &str, request_path: &str, now_ms: f64) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || name.len() + value.len() > MAX_COOKIE_BYTES {
            return;
        }
        let mut path = default_path(request_path);
        let mut max_age: Option<f64> = None;
        let mut expires: Option<f64> = None;
        let mut domain: Option<String> = None;
        let mut secure = false;
        for attribute in parts {
            let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
            let (key, val) = (key.trim().to_ascii_lowercase(), val.trim());
            match key.as_str() {
                "max-age" => max_age = max_age_expiry(val, now_ms).or(max_age),
                // RFC 6265 §5.2.1: an Expires that is not a cookie-date is ignored.
                "expires" => expires = http_date_millis(val).or(expires),
                "path" if val.starts_with('/') => path = val.to_owned(),
                // RFC 6265 §5.2.3: an empty Domain is ignored; a leading dot is dropped (and
                // `Domain=.` leaves an empty domain: a host-only cookie, §5.3 step 6).
                "domain" if !val.is_empty() => {
                    let val = val.strip_prefix('.').unwrap_or(val);
                    domain = (!val.is_empty()).then(|| val.to_ascii_lowercase());
                }
                "secure" => secure = true,
                _ => {}
            }
        }
        // RFC 6265 §5.3 step 6: a Domain the host does not domain-match voids the cookie.
        let domain = match domain {
            Some(domain) if !domain_matches(&self.host, &domain) => return,
            Some(domain) => domain,
            None => self.host.clone(),
        };
        // A Secure cookie from a connection that is not secure is never sent: not kept.
        if secure && !self.secure {
            return;
        }
        let expires_ms = max_age.or(expires);
        let held = self
            .cookies
            .iter()
            .position(|c| c.name == name && c.domain == domain && c.path == path);
        if expires_ms.is_some_and(|t| t <= now_ms) {
            // A deletion, or already stale.
            if let Some(i) = held {
                self.cookies.remove(i);
            }
            return;
        }
        let cookie = Cookie {
            name: name.to_owned(),
            value: value.to_owned(),
            domain,
            path,
            secure,
            expires_ms,
        };
        // A replaced cookie keeps its place (its creation time, RFC 6265 §5.3 step 11.3).
        if let Some(slot) = held.and_then(|i| self.cookies.get_mut(i)) {
            *slot = cookie;
            return;
        }
        if self.cookies.len() >= MAX_COOKIES {
            self.remove_expired(now_ms);
        }
        if self.cookies.len() < MAX_COOKIES {
            self.cookies.push(cookie);
        }
    }

    /// The `Cookie` header for a request to `request_path` at `now_ms`, if any cookie applies.
    pub fn header(&mut self, request_path: &str, now_ms: f64) -> Option<String> {
        self.remove_expired(now_ms);
        let applicable: Vec<&Cookie> = self
            .cookies
            .iter()
            .filter(|c| path_matches(&c.path, request_path) && (self.secure || !c.secure))
            .collect();
        if applicable.is_empty() {
            return None;
        }
        // Longer paths first, then older cookies first, as RFC 6265 asks.
        let applicable = sorted_by_key(applicable, |c| std::cmp::Reverse(c.path.len()));
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

    fn remove_expired(&mut self, now_ms: f64) {
        self.cookies
            .retain(|c| c.expires_ms.is_none_or(|t| t > now_ms));
    }
}

/// RFC 6265 §5.1.3's domain match of a host (lower-case) and a domain (lower-case): equal, or
/// the host ends with `.` and the domain and is a name, not an IP address.
fn domain_matches(host: &str, domain: &str) -> bool {
    host == domain
        || (!is_ip_address(host)
            && host
                .strip_suffix(domain)
                .is_some_and(|rest| rest.ends_with('.')))
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
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
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
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
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
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
        jar.store("a=1; Max-Age=-99999999999999999999", "/", NOW);
        assert!(jar.is_empty());
        jar.store("b=1; Max-Age=-1; Max-Age=+5", "/", NOW);
        assert!(jar.is_empty());
        jar.store("c=1; Max-Age=99999999999999999999", "/", NOW);
        assert_eq!(jar.header("/", NOW).as_deref(), Some("c=1"));
    }

    #[test]
    fn max_age_wins_over_expires() {
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
        jar.store(
            "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60",
            "/",
            NOW,
        );
        assert_eq!(jar.header("/", NOW).as_deref(), Some("a=1"));
    }

    #[test]
    fn paths_limit_where_cookies_go() {
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
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
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
        for bad in ["", "novalue", "=x", ";", " = ; Path=/"] {
            jar.store(bad, "/", NOW);
        }
        assert!(jar.is_empty());
    }

    #[test]
    fn debug_output_shows_names_only() {
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
        jar.store("session=s3cr3t; Path=/", "/", NOW);
        let shown = format!("{jar:?}");
        assert!(
            shown.contains("session") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }

    fn jar_on(origin: &str) -> CookieJar {
        let mut jar = CookieJar::for_origin(origin);
        for cookie in [
            "plain=1",
            "same=1; Domain=api.example.org",
            "parent=1; Domain=.Example.ORG",
            "evil=1; Domain=evil.example",
            "suffix=1; Domain=pi.example.org",
            "child=1; Domain=x.api.example.org",
            "ip=1; Domain=0.0.1",
            "empty=1; Domain=",
            "dot=1; Domain=.",
        ] {
            jar.store(cookie, "/", NOW);
        }
        jar
    }

    #[test]
    fn a_domain_that_does_not_domain_match_the_host_voids_the_cookie() {
        let mut jar = jar_on("https://api.example.org:8443");
        assert_eq!(
            jar.header("/", NOW).as_deref(),
            Some("plain=1; same=1; parent=1; empty=1; dot=1")
        );
        // On an IP address only the address itself domain-matches.
        let mut jar = jar_on("http://127.0.0.1:5000");
        assert_eq!(
            jar.header("/", NOW).as_deref(),
            Some("plain=1; empty=1; dot=1")
        );
        jar.store("own=1; Domain=127.0.0.1", "/", NOW);
        jar.store("v6=1; Domain=::1", "/", NOW);
        assert!(jar.header("/", NOW).unwrap().ends_with("dot=1; own=1"));
        let mut jar = CookieJar::for_origin("http://[::1]:5000");
        jar.store("v6=1; Domain=::1", "/", NOW);
        jar.store("v4=1; Domain=127.0.0.1", "/", NOW);
        assert_eq!(jar.header("/", NOW).as_deref(), Some("v6=1"));
    }

    #[test]
    fn a_deletion_for_another_domain_deletes_nothing() {
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
        jar.store("session=abc; Path=/", "/", NOW);
        jar.store("session=; Max-Age=0; Path=/; Domain=evil.example", "/", NOW);
        assert_eq!(jar.header("/", NOW).as_deref(), Some("session=abc"));
    }

    #[test]
    fn secure_cookies_only_where_the_connection_is_secure() {
        for (origin, kept) in [
            ("https://dioptra.example", true),
            ("http://dioptra.example", false),
            ("http://10.0.0.1:5000", false),
            ("http://127.0.0.1:5000", true),
            ("http://127.3.2.1", true),
            ("http://[::1]:5000", true),
            ("http://localhost:5000", true),
            ("http://ui.localhost", true),
            ("http://localhost.example", false),
            ("http://[::2]", false),
            ("http://[0:0:0:0:0:0:0:1]", true),
            ("http://[0::0001]", true),
            ("http://[::1:1]", false),
            ("http://[1::1]", false),
            ("http://[0:0:0:0:0:0:1]", false),
            ("http://[:::1]", false),
            ("http://[::]", false),
            ("http://127.0.0.256", false),
            ("http://127.0.0", false),
            ("http://127.example", false),
        ] {
            let mut jar = CookieJar::for_origin(origin);
            jar.store("s=1; Secure; Path=/", "/", NOW);
            jar.store("p=1; Path=/", "/", NOW);
            let expected = if kept { "s=1; p=1" } else { "p=1" };
            assert_eq!(jar.header("/", NOW).as_deref(), Some(expected), "{origin}");
        }
    }

    #[test]
    fn a_cookie_over_4_kib_is_ignored() {
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
        let fits = "v".repeat(MAX_COOKIE_BYTES - 1);
        jar.store(&format!("a={fits}"), "/", NOW);
        jar.store(&format!("ab={fits}"), "/", NOW);
        assert_eq!(jar.len(), 1);
        // Nor does an oversized one replace a held one.
        jar.store(&format!("a={fits}x"), "/", NOW);
        assert_eq!(jar.header("/", NOW), Some(format!("a={fits}")));
    }

    #[test]
    fn at_most_50_cookies_and_newcomers_never_push_out_held_ones() {
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
        jar.store("session=s; Path=/", "/", NOW);
        jar.store("brief=b; Max-Age=1; Path=/", "/", NOW);
        for answer in 0..3 {
            for i in 0..60 {
                jar.store(&format!("c{answer}_{i}=x; Path=/"), "/", NOW);
            }
        }
        assert_eq!(jar.len(), MAX_COOKIES);
        let sent = jar.header("/", NOW).unwrap();
        assert_eq!(sent.split("; ").count(), MAX_COOKIES);
        assert!(sent.starts_with("session=s; brief=b; c0_0=x"), "{sent}");
        // Held cookies can still be replaced while the jar is full.
        jar.store("session=t; Path=/", "/", NOW);
        assert!(jar.header("/", NOW).unwrap().starts_with("session=t; "));
        // An expired cookie makes room.
        jar.store("later=1; Path=/", "/", NOW + 2000.0);
        let sent = jar.header("/", NOW + 2000.0).unwrap();
        assert!(
            sent.ends_with("; later=1") && !sent.contains("brief"),
            "{sent}"
        );
        assert_eq!(jar.len(), MAX_COOKIES);
    }

    #[test]
    fn a_replaced_cookie_keeps_its_place() {
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
        jar.store("a=1; Path=/", "/", NOW);
        jar.store("b=1; Path=/", "/", NOW);
        jar.store("a=2; Path=/", "/", NOW);
        assert_eq!(jar.header("/", NOW).as_deref(), Some("a=2; b=1"));
    }
}
