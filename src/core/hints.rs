//! Errors that tell a user what to do: what a request's error adds about where it went (the
//! origin a network error could not reach), a page on another origin than its client (the
//! session cookie is not sent cross-origin), a 404 on `auth/login` (no Dioptra API at that
//! address) and a 401 before any login (log in first, not the server's wrong-password text).

use crate::core::error::Error;
use crate::core::text::clip;

/// What a request's error is read against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The client's origin (`scheme://host[:port]`, lower-cased).
    pub origin: &'a str,
    /// The origin of the page the client runs in, where there is one (browsers).
    pub page_origin: Option<&'a str>,
    /// Whether this client has logged in successfully (and not logged out since).
    pub logged_in: bool,
}

/// The request path of a login.
const LOGIN_PATH_END: &str = "/auth/login";

impl Context<'_> {
    /// The page's origin when it is not the client's.
    fn other_page_origin(&self) -> Option<&str> {
        self.page_origin
            .filter(|page| !page.eq_ignore_ascii_case(self.origin))
    }

    /// What a cross-origin page is told.
    fn cross_origin_hint(&self, page: &str) -> String {
        format!(
            "this page is on {page} and the client on {}: a browser does not send the session \
             cookie to another origin, and Dioptra's CORS allows one origin and no credentials. \
             Serve the page and the API from one origin: forward /api to Dioptra (your dev \
             server's proxy, or a reverse proxy) and create the client with no address",
            self.origin
        )
    }
}

/// `error` with what the user should know to fix it added to its message (see the module docs).
/// Statuses, kinds and fields are unchanged.
pub fn explain(error: Error, context: &Context) -> Error {
    match error {
        Error::Network {
            message,
            method,
            path,
        } => {
            let mut message = format!("could not reach {}: {}", context.origin, clip(&message));
            if let Some(page) = context.other_page_origin() {
                message = format!("{message} ({})", context.cross_origin_hint(page));
            }
            Error::Network {
                message,
                method,
                path,
            }
        }
        Error::Api(mut api) => {
            let login = api.path.ends_with(LOGIN_PATH_END);
            if api.status == 404 && login {
                api.message = format!(
                    "no Dioptra API answered at {}{}: check the address (the server's root, \
                     e.g. http://localhost:5000, or an origin that forwards /api to it)",
                    context.origin, api.path
                );
            } else if api.status == 401 && !login {
                let said = std::mem::take(&mut api.message);
                api.message = match context.other_page_origin() {
                    Some(page) => format!("not logged in: {} (the server said: {said})", context.cross_origin_hint(page)),
                    None if !context.logged_in => format!(
                        "not logged in: call client.auth.login(username, password) first (the server said: {said})"
                    ),
                    None => format!("the session has ended (logged out, or expired): log in again with client.auth.login (the server said: {said})"),
                };
            }
            Error::Api(api)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ApiError;

    fn api(status: u16, path: &str) -> Error {
        Error::Api(Box::new(ApiError {
            status,
            error_type: None,
            message: "Invalid login credentials".into(),
            field_errors: None,
            method: "GET".into(),
            path: path.into(),
            retry_after_ms: None,
        }))
    }

    fn message(error: &Error) -> String {
        error.to_string()
    }

    const NODE: Context = Context {
        origin: "http://127.0.0.1:5000",
        page_origin: None,
        logged_in: false,
    };

    #[test]
    fn a_network_error_names_the_origin_it_tried() {
        let error = Error::Network {
            message: "fetch failed".into(),
            method: "GET".into(),
            path: "/api/v1/jobs/1/metrics".into(),
        };
        let said = message(&explain(error, &NODE));
        assert!(
            said.contains("could not reach http://127.0.0.1:5000: fetch failed"),
            "{said}"
        );
        assert!(!said.contains("cookie"), "{said}");
    }

    #[test]
    fn a_page_on_another_origin_is_told_about_cookies_and_proxying() {
        let page = Context {
            page_origin: Some("http://localhost:5173"),
            ..NODE
        };
        let error = Error::Network {
            message: "Failed to fetch".into(),
            method: "POST".into(),
            path: "/api/v1/auth/login".into(),
        };
        let said = message(&explain(error, &page));
        assert!(
            said.contains("this page is on http://localhost:5173"),
            "{said}"
        );
        assert!(said.contains("forward /api to Dioptra"), "{said}");
        let said = message(&explain(api(401, "/api/v1/jobs/1/metrics"), &page));
        assert!(said.starts_with("not logged in: this page is on"), "{said}");
        // The same origin, spelled in another case, is not another origin.
        let same = Context {
            page_origin: Some("HTTP://127.0.0.1:5000"),
            ..NODE
        };
        let said = message(&explain(api(401, "/api/v1/jobs/1/metrics"), &same));
        assert!(said.contains("call client.auth.login"), "{said}");
    }

    #[test]
    fn a_404_on_login_says_no_api_answered_there() {
        let error = explain(api(404, "/api/v1/auth/login"), &NODE);
        let said = message(&error);
        assert!(
            said.starts_with("no Dioptra API answered at http://127.0.0.1:5000/api/v1/auth/login"),
            "{said}"
        );
        assert!(matches!(error, Error::Api(a) if a.status == 404));
        // A 404 elsewhere (no such job) keeps the server's words.
        assert_eq!(
            message(&explain(api(404, "/api/v1/jobs/9"), &NODE)),
            "Invalid login credentials"
        );
    }

    #[test]
    fn a_401_before_login_says_to_log_in_and_after_it_that_the_session_ended() {
        let said = message(&explain(api(401, "/api/v1/jobs/1/metrics"), &NODE));
        assert!(
            said.starts_with("not logged in: call client.auth.login"),
            "{said}"
        );
        assert!(
            said.ends_with("(the server said: Invalid login credentials)"),
            "{said}"
        );
        let after = Context {
            logged_in: true,
            ..NODE
        };
        let said = message(&explain(api(401, "/api/v1/jobs/1/metrics"), &after));
        assert!(said.starts_with("the session has ended"), "{said}");
        // A failed login keeps the server's own words: they are about the password.
        assert_eq!(
            message(&explain(api(401, "/api/v1/auth/login"), &NODE)),
            "Invalid login credentials"
        );
    }

    #[test]
    fn other_errors_are_unchanged() {
        let error = Error::validation("step", "bad");
        assert_eq!(explain(error.clone(), &NODE), error);
        assert_eq!(
            explain(api(500, "/api/v1/jobs/1/metrics"), &NODE),
            api(500, "/api/v1/jobs/1/metrics")
        );
    }
}
