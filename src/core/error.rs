//! The crate's one error type: a variant per failure kind, each with the fields a caller needs.

use std::collections::BTreeMap;

use crate::core::text::{clip, clip_to};
use crate::core::value::Num;

/// The server's per-field messages (`errors` in a 400 answer), nested keys joined with `.`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// What went wrong, by kind. The JavaScript layer turns each variant into its own error class.
///
/// Messages quote at most [`crate::core::text::MESSAGE_EXCERPT_CHARS`] characters of a path or
/// of what the runtime or server said ([`clip`]); the `path` fields keep the whole path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Bad input from the caller, found before any request was sent.
    #[error("{message}")]
    Validation {
        /// The argument or option at fault, by its JavaScript name (`metricName`, `step`, ...).
        field: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// The server answered with a status outside 200–299.
    #[error("{}", clip_to(&.0.message, MAX_API_MESSAGE_CHARS))]
    Api(Box<ApiError>),
    /// The request never got an answer: refused connection, DNS, reset, CORS, ...
    /// (The message is the runtime's, cut, plus any hint of src/core/hints.rs: hence the longer bound.)
    #[error("{method} {}: network error: {}", clip(.path), clip_to(.message, MAX_NETWORK_MESSAGE_CHARS))]
    Network {
        /// What the runtime said.
        message: String,
        /// The request's method.
        method: String,
        /// The request's path, without the query.
        path: String,
    },
    /// No complete answer within the time limit.
    #[error("{method} {}: no answer within {} ms", clip(.path), Num(*.timeout_ms))]
    Timeout {
        /// The limit that ran out, in milliseconds.
        timeout_ms: f64,
        /// The request's method.
        method: String,
        /// The request's path, without the query.
        path: String,
    },
    /// The caller's `AbortSignal` fired.
    #[error("{method} {}: aborted", clip(.path))]
    Abort {
        /// The request's method.
        method: String,
        /// The request's path, without the query.
        path: String,
    },
    /// A logger's queue holds as many points as it may.
    #[error("the logger's queue is full ({max_queue} points held): wait for room with logAsync(), or raise maxQueue")]
    QueueFull {
        /// The bound that was reached.
        max_queue: usize,
    },
    /// A 2xx answer whose body is not what the endpoint promises.
    #[error("{method} {}: unexpected answer from the server: {}", clip(.path), clip(.message))]
    Decode {
        /// What did not fit.
        message: String,
        /// The request's method.
        method: String,
        /// The request's path, without the query.
        path: String,
    },
}

/// The longest server-made message an [`Error::Api`] shows (its parts are cut to
/// [`crate::core::text::MESSAGE_EXCERPT_CHARS`] each already; this bounds the whole).
pub const MAX_API_MESSAGE_CHARS: usize = 800;

/// The longest message an [`Error::Network`] shows: the runtime's words (cut to
/// [`crate::core::text::MESSAGE_EXCERPT_CHARS`]) with the hints of src/core/hints.rs.
pub const MAX_NETWORK_MESSAGE_CHARS: usize = 700;

/// A non-2xx answer, with what the server said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The server's `error` (e.g. `EntityDoesNotExistError`), where it gave one.
    pub error_type: Option<String>,
    /// The server's message, or a summary of its field errors, or the status line.
    pub message: String,
    /// The server's per-field messages, where it gave them.
    pub field_errors: Option<FieldErrors>,
    /// The request's method.
    pub method: String,
    /// The request's path, without the query.
    pub path: String,
    /// How long the server asked to wait before trying again (`Retry-After`), in ms.
    pub retry_after_ms: Option<f64>,
}

impl Error {
    /// Says why Dioptra 1.2.2 answered 500 to a NaN (`nan`): its update path cannot overwrite
    /// a stored value with one.
    pub fn explain_nan_refusal(self, nan: bool) -> Self {
        match self {
            Error::Api(mut api) if nan && api.status == 500 => {
                api.message.push_str(
                    " (Dioptra 1.2.2 answers 500 when a NaN overwrites a stored value of the same name and step)",
                );
                Error::Api(api)
            }
            other => other,
        }
    }

    /// A validation error for `field`.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
