//! The server address a client is made with: checked, and turned into the API's base URL.

use crate::core::error::{Error, Result};
use crate::core::input::Input;
use crate::core::text::quote;

/// The path under the server root where Dioptra's REST API lives.
pub const API_PREFIX: &str = "/api/v1";

/// Where a client sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase {
    /// `scheme://host[:port]`, lower-cased: the origin cookies belong to.
    pub origin: String,
    /// The origin plus any path prefix plus `/api/v1`, with no trailing `/`.
    pub base_url: String,
}

/// The `address` argument: a string, or absent where a default exists (a page's origin).
pub fn address_argument(address: &Input, default: Option<String>) -> Result<ApiBase> {
    let text = match (address, default) {
        (Input::Missing, Some(default)) => default,
        (Input::Missing, None) => {
            return Err(Error::validation(
                "address",
                "address is required outside a browser page (e.g. \"http://localhost:5000\")",
            ))
        }
        (Input::Text(text), _) => text.clone(),
        (other, _) => {
            return Err(Error::validation(
                "address",
                format!("address must be a string, not {}", other.describe()),
            ))
        }
    };
    parse_address(&text)
}

/// Checks an address (`http://host:port`, optionally with a path prefix, a trailing `/` or an
/// explicit `/api/v1`) and gives the API base it names. Only `http:` and `https:` are taken.
pub fn parse_address(address: &str) -> Result<ApiBase> {
    // An address with `user:password@` in it is not echoed back.
    let shown = if address.contains('@') {
        "(not shown)".to_owned()
    } else {
        quote(address)
    };
    let refuse =
        |why: &str| Error::validation("address", format!("address {shown} is not usable: {why}"));
    let (scheme, rest) = address
        .split_once("://")
        .ok_or_else(|| refuse("it must start with http:// or https://"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(refuse("only http:// and https:// addresses are supported"));
    }
    if rest.contains(['?', '#']) {
        return Err(refuse("it must not have a query or a fragment"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(refuse("it must not carry a user name or password"));
    }
    if authority.is_empty() || !authority.bytes().all(is_authority_byte) {
        return Err(refuse("it has no valid host"));
    }
    if !path.bytes().all(is_path_byte) || path.split('/').any(|s| s == "." || s == "..") {
        return Err(refuse(
            "its path has characters or segments an address cannot have",
        ));
    }
    let mut path = path.trim_end_matches('/');
    if let Some(prefix) = path.strip_suffix(API_PREFIX) {
        path = prefix.trim_end_matches('/');
    }
    let origin = format!("{scheme}://{}", authority.to_ascii_lowercase());
    Ok(ApiBase {
        base_url: format!("{origin}{path}{API_PREFIX}"),
        origin,
    })
}

fn is_authority_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._:[]".contains(&b)
}

fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~/%!$&'()*+,;=:".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(address: &str) -> String {
        parse_address(address).unwrap().base_url
    }

    #[test]
    fn appends_the_api_prefix_once() {
        assert_eq!(
            base("http://localhost:5000"),
            "http://localhost:5000/api/v1"
        );
        assert_eq!(
            base("http://localhost:5000/"),
            "http://localhost:5000/api/v1"
        );
        assert_eq!(
            base("http://localhost:5000/api/v1"),
            "http://localhost:5000/api/v1"
        );
        assert_eq!(
            base("http://localhost:5000/api/v1/"),
            "http://localhost:5000/api/v1"
        );
        assert_eq!(
            base("HTTPS://Example.org/dioptra/"),
            "https://example.org/dioptra/api/v1"
        );
        assert_eq!(base("http://[::1]:8080"), "http://[::1]:8080/api/v1");
    }

    #[test]
    fn the_address_argument_may_default_only_where_there_is_a_default() {
        let page = Some("https://ui.example".to_owned());
        assert_eq!(
            address_argument(&Input::Missing, page).unwrap().base_url,
            "https://ui.example/api/v1"
        );
        assert!(matches!(
            address_argument(&Input::Missing, None),
            Err(Error::Validation { .. })
        ));
        assert!(matches!(
            address_argument(&Input::Number(5000.0), None),
            Err(Error::Validation { .. })
        ));
    }

    #[test]
    fn the_origin_is_scheme_host_and_port() {
        let parsed = parse_address("http://127.0.0.1:5000/x/api/v1").unwrap();
        assert_eq!(parsed.origin, "http://127.0.0.1:5000");
    }

    #[test]
    fn refuses_other_schemes_and_odd_addresses() {
        for bad in [
            "",
            "localhost:5000",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/plain,hi",
            "ftp://host",
            "http://",
            "http://user:pw@host",
            "http://host/?q=1",
            "http://host/#x",
            "http://ho st",
            "http://host/a/../b",
        ] {
            match parse_address(bad) {
                Err(Error::Validation { field, .. }) => assert_eq!(field, "address", "{bad}"),
                other => panic!("{bad} gave {other:?}"),
            }
        }
    }

    #[test]
    fn never_echoes_a_password_in_the_address() {
        let message = parse_address("http://alice:hunter2@host")
            .unwrap_err()
            .to_string();
        assert!(message.contains("user name or password"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}
