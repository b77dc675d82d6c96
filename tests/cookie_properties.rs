//! Property tests of what RFC 6265 asks of the cookie jar beyond expiry (which
//! tests/properties.rs checks): `Domain` and `Secure` are honoured, and whatever a server
//! sends, the jar holds at most 50 cookies of at most 4 KiB each and never loses a held cookie
//! to a newcomer.
//!
//! Cases are bounded (see `config`); failures are not persisted; `PROPTEST_RNG_SEED=<u64>`
//! fixes the seed.

use proptest::prelude::*;

use dioptra_metrics::core::cookies::{CookieJar, MAX_COOKIES, MAX_COOKIE_BYTES};

const NOW: f64 = 1_800_000_000_000.0;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Origins the jar may serve: names, addresses, loopback or not, http or https.
fn origin() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "http://127.0.0.1:5000",
        "http://localhost:5000",
        "http://[::1]:5000",
        "http://api.example.org",
        "https://api.example.org",
        "http://10.1.2.3:8080",
        "https://10.1.2.3",
        "http://example.org",
    ])
}

/// `Domain` values: matching and not, in any case, with or without a leading dot.
fn domain() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "127.0.0.1",
        "0.0.1",
        "localhost",
        "::1",
        "[::1]",
        "api.example.org",
        "example.org",
        ".EXAMPLE.org",
        "org",
        "pi.example.org",
        "x.api.example.org",
        "evil.example",
        "10.1.2.3",
        "2.3",
        "",
        ".",
    ])
    .prop_map(str::to_owned)
}

/// Whether `host` domain-matches `domain` (both lower-case), written from RFC 6265 §5.1.3.
fn rfc_domain_match(host: &str, domain: &str) -> bool {
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    host == domain || (!is_ip && host.len() > domain.len() && host.ends_with(&format!(".{domain}")))
}

/// The host and whether the connection is secure, for an origin of `origin()`.
fn host_and_security(origin: &str) -> (String, bool) {
    let (scheme, authority) = origin.split_once("://").unwrap();
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap().to_owned()
    } else {
        authority.split(':').next().unwrap().to_owned()
    };
    let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "::1");
    (host, scheme == "https" || loopback)
}

proptest! {
    #![proptest_config(config(400))]

    /// A cookie is sent iff its Domain (if any) domain-matches the host and, if Secure, the
    /// connection is secure.
    #[test]
    fn domain_and_secure_decide_what_is_kept(
        origin in origin(),
        cookies in prop::collection::vec((prop::option::of(domain()), any::<bool>()), 1..10),
    ) {
        let (host, secure_channel) = host_and_security(origin);
        let mut jar = CookieJar::for_origin(origin);
        let mut expected = Vec::new();
        for (i, (domain, secure)) in cookies.iter().enumerate() {
            let mut header = format!("c{i}=v{i}; Path=/");
            if let Some(domain) = domain {
                header.push_str(&format!("; Domain={domain}"));
            }
            if *secure {
                header.push_str("; Secure");
            }
            jar.store(&header, "/api/v1/auth/login", NOW);
            let attribute = domain.as_deref().map(|d| d.strip_prefix('.').unwrap_or(d).to_ascii_lowercase());
            let domain_ok = match attribute.as_deref() {
                None | Some("") => true,
                Some(d) => rfc_domain_match(&host, d),
            };
            if domain_ok && (secure_channel || !secure) {
                expected.push(format!("c{i}=v{i}"));
            }
        }
        let sent = jar.header("/api/v1/jobs/1/metrics", NOW).unwrap_or_default();
        prop_assert_eq!(sent, expected.join("; "));
    }

    /// Whatever a server sets, at most 50 cookies of at most 4 KiB are held and sent, and the
    /// session cookie set first (no expiry) is sent after every answer.
    #[test]
    fn the_jar_stays_bounded_and_keeps_what_it_holds(
        answers in prop::collection::vec(
            prop::collection::vec((0usize..200, 0usize..5000, prop::option::of(0u64..5)), 0..80),
            1..6,
        ),
    ) {
        let mut jar = CookieJar::for_origin("http://127.0.0.1:5000");
        jar.store("session=keep; Path=/; HttpOnly", "/api/v1/auth/login", NOW);
        let mut now = NOW;
        for answer in &answers {
            for (name, size, max_age) in answer {
                let mut header = format!("n{name}={}; Path=/", "v".repeat(*size));
                if let Some(seconds) = max_age {
                    header.push_str(&format!("; Max-Age={seconds}"));
                }
                jar.store(&header, "/api/v1/jobs/1/metrics", now);
            }
            now += 1500.0;
            prop_assert!(jar.len() <= MAX_COOKIES, "{} cookies held", jar.len());
            let sent = jar.header("/api/v1/jobs/1/metrics", now).unwrap_or_default();
            let pairs: Vec<&str> = sent.split("; ").collect();
            prop_assert!(pairs.len() <= MAX_COOKIES, "{} cookies sent", pairs.len());
            prop_assert!(pairs.iter().all(|p| p.len() <= MAX_COOKIE_BYTES + 1));
            prop_assert!(pairs.contains(&"session=keep"), "the session cookie was lost");
        }
    }
}
