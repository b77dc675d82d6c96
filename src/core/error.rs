//! The crate's one error type: a variant per failure kind, each with the fields a caller needs.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::core::text::{clip, clip_to};
use crate::core::value::Num;

/// The server's per-field messages (`errors` in a 400 answer), nested keys joined with `.`,
/// in field order. A sorted `Vec` (an answer names a few fields): far less code in the wasm
/// than a `BTreeMap`. Serializes as a map, field to messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldErrors {
    fields: Vec<(String, Vec<String>)>,
}

impl FieldErrors {
    /// The messages of `(field, message)` pairs, grouped by field: the fields in order, each
    /// field's messages in the order given.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        // Stable: messages keep their order.
        let pairs = crate::core::sort::sorted_by_key(pairs, |pair| pair.0.clone());
        let mut fields: Vec<(String, Vec<String>)> = Vec::new();
        for (field, message) in pairs {
            match fields.last_mut() {
                Some((last, messages)) if *last == field => messages.push(message),
                _ => fields.push((field, vec![message])),
            }
        }
        FieldErrors { fields }
    }

    /// The messages for `field`.
    pub fn get(&self, field: &str) -> Option<&Vec<String>> {
        let at = self
            .fields
            .binary_search_by(|(f, _)| f.as_str().cmp(field))
            .ok()?;
        self.fields.get(at).map(|(_, messages)| messages)
    }

    /// Each field with its messages, in field order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<String>)> {
        self.fields
            .iter()
            .map(|(field, messages)| (field, messages))
    }

    /// How many fields have messages.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether no field has one.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

impl Serialize for FieldErrors {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (field, messages) in &self.fields {
            map.serialize_entry(field, messages)?;
        }
        map.end()
    }
}

/// `fields["name"]` in tests, as a map allows.
#[cfg(test)]
impl std::ops::Index<&str> for FieldErrors {
    type Output = Vec<String>;

    fn index(&self, field: &str) -> &Vec<String> {
        self.get(field)
            .unwrap_or_else(|| panic!("no messages for field {field:?}"))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_group_by_field_in_field_order_and_keep_message_order() {
        let pairs = [
            ("b", "2"),
            ("a.x", "1"),
            ("b", "1"),
            ("", "top"),
            ("a", "0"),
        ];
        let fields = FieldErrors::from_pairs(
            pairs
                .iter()
                .map(|(f, m)| ((*f).to_owned(), (*m).to_owned()))
                .collect(),
        );
        let order: Vec<(&str, Vec<&str>)> = fields
            .iter()
            .map(|(f, m)| (f.as_str(), m.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            order,
            [
                ("", vec!["top"]),
                ("a", vec!["0"]),
                ("a.x", vec!["1"]),
                ("b", vec!["2", "1"])
            ]
        );
        assert_eq!(fields.get("b").map(Vec::len), Some(2));
        assert_eq!(fields.get("c"), None);
        assert_eq!(fields.len(), 4);
        assert_eq!(
            serde_json::to_string(&fields).unwrap(),
            r#"{"":["top"],"a":["0"],"a.x":["1"],"b":["2","1"]}"#
        );
        assert!(FieldErrors::from_pairs(Vec::new()).is_empty());
    }
}
