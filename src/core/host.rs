//! What kind of host a server address names: an IP address or a name, loopback or not.
//!
//! Hand-written rather than std's address parser, which would add kilobytes to the wasm.

/// Whether `host` is a loopback host (127.0.0.0/8, `::1`, `localhost` and `*.localhost`),
/// where browsers treat plain http as secure.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || ipv4(host).is_some_and(|[first, ..]| first == 127)
        || is_ipv6_loopback(host)
}

/// Whether `host` is an IP address rather than a name: IPv6 (a name has no `:`) or IPv4.
pub fn is_ip_address(host: &str) -> bool {
    host.contains(':') || ipv4(host).is_some()
}

/// The four bytes of a dotted-decimal IPv4 address.
fn ipv4(host: &str) -> Option<[u8; 4]> {
    let mut parts = host.split('.');
    let mut bytes = [0u8; 4];
    for byte in &mut bytes {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *byte = part.parse().ok()?;
    }
    parts.next().is_none().then_some(bytes)
}

/// Whether `host` spells the IPv6 loopback address `::1` (`0:0:0:0:0:0:0:1`, `0::1`, ...):
/// groups of at most four hex digits, all zero but the last, which is 1; eight of them, or
/// fewer with one `::`.
fn is_ipv6_loopback(host: &str) -> bool {
    let compressed = host.contains("::");
    if host.contains(":::")
        || host.matches("::").count() > 1
        || (host.starts_with(':') && !host.starts_with("::"))
        || host.ends_with(':')
    {
        return false;
    }
    let Some((rest, last)) = host.rsplit_once(':') else {
        return false;
    };
    let mut groups = 1;
    for group in rest.split(':') {
        if group.is_empty() {
            if !compressed {
                return false;
            }
            continue;
        }
        if group.len() > 4 || !group.bytes().all(|b| b == b'0') {
            return false;
        }
        groups += 1;
    }
    let one = last.len() <= 4 && last.trim_start_matches('0') == "1";
    one && if compressed { groups <= 7 } else { groups == 8 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "ui.localhost",
            "127.0.0.1",
            "127.3.2.1",
            "::1",
            "0:0:0:0:0:0:0:1",
            "0::0001",
            "0:0::1",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "localhost.example",
            "127.example",
            "127.0.0",
            "127.0.0.256",
            "127.0.0.1.5",
            "10.0.0.1",
            "::",
            "::2",
            "::1:1",
            "1::1",
            ":::1",
            ":0::1",
            "0:0:0:0:0:0:1",
            "0:0:0:0:0:0:0:0:1",
            "00000::1",
            "::1:",
            "",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn ip_addresses_and_names() {
        for host in ["127.0.0.1", "255.255.255.255", "::1", "fe80::1", "0.0.0.0"] {
            assert!(is_ip_address(host), "{host}");
        }
        for host in [
            "example.org",
            "localhost",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "1.2.3.x",
        ] {
            assert!(!is_ip_address(host), "{host}");
        }
    }
}
