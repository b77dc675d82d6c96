//! The shapes the server answers with, checked field by field as they are read.
//!
//! The same types deserialize from `serde_json` (native tests) and from JavaScript values
//! (`serde-wasm-bindgen`, in the package), and serialize to the plain objects callers get.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::core::error::{ApiError, Error, FieldErrors};
use crate::core::text::clip;
use crate::core::timestamp::server_millis;
use crate::core::value::WireValue;

/// A metric's latest value: `{ name, value }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// The metric's name.
    pub name: String,
    /// Its value, NaN and ±Infinity included.
    pub value: WireValue,
}

/// One point of a metric's history: `{ name, value, step, timestamp }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The metric's name.
    pub name: String,
    /// Its value at this step.
    pub value: WireValue,
    /// The step.
    pub step: i64,
    /// When it was logged.
    pub timestamp: ServerTime,
}

/// The latest metrics of one job of an experiment: `{ id, metrics }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobMetrics {
    /// The job's id.
    pub id: u64,
    /// The latest value of each of its metrics.
    pub metrics: Vec<Metric>,
}

/// One page of a paged answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The `index` the server says this page starts at.
    pub index: u64,
    /// Whether the server says nothing follows this page.
    pub is_complete: bool,
    /// How many items there are in all.
    pub total_num_results: u64,
    /// The server's link to the first page.
    pub first: String,
    /// The server's link to the next page, if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The server's link to the previous page, if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// The items.
    pub data: Vec<T>,
}

/// A page's envelope without its items, which are read apart (as columns, see
/// [`crate::core::columns`]): the fields of [`Page`] but `data`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageHead {
    /// The `index` the server says this page starts at.
    pub index: u64,
    /// Whether the server says nothing follows this page.
    pub is_complete: bool,
    /// How many items there are in all.
    pub total_num_results: u64,
    /// The server's link to the first page.
    pub first: String,
    /// The server's link to the next page, if it gave one.
    #[serde(default)]
    pub next: Option<String>,
    /// The server's link to the previous page, if it gave one.
    #[serde(default)]
    pub prev: Option<String>,
}

/// The answer to a login: `{ username, status }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginAnswer {
    /// Who is logged in.
    pub username: String,
    /// The server's word on it.
    pub status: String,
}

/// A timestamp from the server, as milliseconds since the Unix epoch (it serializes as a
/// number; the JavaScript layer makes it a `Date`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerTime(pub f64);

impl Serialize for ServerTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for ServerTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimeVisitor;
        impl Visitor<'_> for TimeVisitor {
            type Value = ServerTime;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an ISO 8601 date-time string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ServerTime, E> {
                server_millis(v)
                    .map(ServerTime)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_str(TimeVisitor)
    }
}

/// The body of an error answer, as far as it is understood; anything else in it is ignored.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    /// The server's error type (`EntityDoesNotExistError`, ...).
    #[serde(default)]
    pub error: Option<Lenient<String>>,
    /// The server's message.
    #[serde(default)]
    pub message: Option<Lenient<String>>,
    /// The server's per-field messages.
    #[serde(default)]
    pub errors: Option<ErrorTree>,
}

/// A string, or nothing when the field holds something else: error bodies are read for what
/// they can tell, never refused. Whatever else is there is skipped without recursion of ours.
#[derive(Debug)]
pub struct Lenient<T>(pub Option<T>);

impl<'de> Deserialize<'de> for Lenient<String> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(TreeVisitor {
                depth: MAX_ERROR_DEPTH,
            })
            .map(|tree| match tree {
                ErrorTree::Message(message) => Lenient(Some(message)),
                _ => Lenient(None),
            })
    }
}

/// How deep the server's `errors` are read; deeper parts are skipped. This bounds the
/// decoder's recursion whatever the answer holds (JSON.parse accepts any depth).
const MAX_ERROR_DEPTH: usize = 16;

/// The server's `errors` map: messages, lists of them, or maps nested by field.
#[derive(Debug)]
pub enum ErrorTree {
    /// One message.
    Message(String),
    /// Several.
    List(Vec<ErrorTree>),
    /// Per field, in the order given (a JavaScript object has no key twice).
    Fields(Vec<(String, ErrorTree)>),
    /// Anything else (ignored).
    Other,
}

impl<'de> Deserialize<'de> for ErrorTree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        TreeSeed { depth: 0 }.deserialize(deserializer)
    }
}

/// Reads an [`ErrorTree`] at `depth`, skipping what lies deeper than [`MAX_ERROR_DEPTH`].
struct TreeSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for TreeSeed {
    type Value = ErrorTree;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<ErrorTree, D::Error> {
        if self.depth >= MAX_ERROR_DEPTH {
            IgnoredAny::deserialize(deserializer)?;
            return Ok(ErrorTree::Other);
        }
        deserializer.deserialize_any(TreeVisitor { depth: self.depth })
    }
}

struct TreeVisitor {
    depth: usize,
}

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = ErrorTree;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("messages, lists or maps of them")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ErrorTree, E> {
        Ok(ErrorTree::Message(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<ErrorTree, E> {
        Ok(ErrorTree::Message(v))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<ErrorTree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(TreeSeed {
            depth: self.depth + 1,
        })? {
            items.push(item);
        }
        Ok(ErrorTree::List(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<ErrorTree, A::Error> {
        let mut fields = Vec::new();
        while let Some(key) = map.next_key::<Lenient<String>>()? {
            let value = map.next_value_seed(TreeSeed {
                depth: self.depth + 1,
            })?;
            if let Some(key) = key.0 {
                fields.push((key, value));
            }
        }
        Ok(ErrorTree::Fields(fields))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<ErrorTree, E> {
        Ok(ErrorTree::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<ErrorTree, E> {
        Ok(ErrorTree::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<ErrorTree, E> {
        Ok(ErrorTree::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<ErrorTree, E> {
        Ok(ErrorTree::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<ErrorTree, E> {
        Ok(ErrorTree::Other)
    }

    fn visit_none<E: de::Error>(self) -> Result<ErrorTree, E> {
        Ok(ErrorTree::Other)
    }
}

impl ErrorTree {
    /// The messages by field, nested field names joined with `.`.
    pub fn flatten(&self) -> FieldErrors {
        let mut out = Vec::new();
        self.collect("", &mut out);
        FieldErrors::from_pairs(out)
    }

    /// Adds this tree's (field, message) pairs to `out`, in the order given.
    fn collect(&self, field: &str, out: &mut Vec<(String, String)>) {
        match self {
            ErrorTree::Message(message) if message.trim().is_empty() => {}
            ErrorTree::Message(message) => out.push((field.to_owned(), message.clone())),
            ErrorTree::List(items) => items.iter().for_each(|item| item.collect(field, out)),
            ErrorTree::Fields(fields) => {
                for (name, tree) in fields {
                    let nested = if field.is_empty() {
                        name.clone()
                    } else {
                        format!("{field}.{name}")
                    };
                    tree.collect(&nested, out);
                }
            }
            ErrorTree::Other => {}
        }
    }
}

/// The error for a non-2xx answer. `body` is the parsed error body (`None` when the body was
/// not JSON); `status_text` is the HTTP reason phrase, used when the body says nothing.
pub fn api_error(
    status: u16,
    status_text: &str,
    body: Option<ErrorBody>,
    method: &str,
    path: &str,
) -> Error {
    let body = body.unwrap_or_default();
    let field_errors = body
        .errors
        .as_ref()
        .map(ErrorTree::flatten)
        .filter(|f| !f.is_empty());
    let server_message = body
        .message
        .and_then(|m| m.0)
        .filter(|m| !m.is_empty())
        .map(|m| clip(&m));
    let message = server_message
        .or_else(|| field_errors.as_ref().map(summarize))
        .unwrap_or_else(|| {
            let reason = if status_text.is_empty() {
                "no message from the server"
            } else {
                status_text
            };
            format!(
                "{method} {} failed with HTTP {status} ({})",
                clip(path),
                clip(reason)
            )
        });
    Error::Api(Box::new(ApiError {
        status,
        error_type: body.error.and_then(|e| e.0),
        message,
        field_errors,
        method: method.to_owned(),
        path: path.to_owned(),
        retry_after_ms: None,
    }))
}

/// The most field messages a summary quotes (the `fieldErrors` property holds them all).
const SUMMARIZED_FIELD_MESSAGES: usize = 4;

/// `field: message; field: message`, each cut to a message's length, at most
/// [`SUMMARIZED_FIELD_MESSAGES`] of them.
fn summarize(fields: &FieldErrors) -> String {
    let all: Vec<String> = fields
        .iter()
        .flat_map(|(field, messages)| {
            messages.iter().map(move |m| {
                if field.is_empty() {
                    clip(m)
                } else {
                    format!("{}: {}", clip(field), clip(m))
                }
            })
        })
        .collect();
    let shown = all.len().min(SUMMARIZED_FIELD_MESSAGES);
    let mut summary = all.get(..shown).unwrap_or_default().join("; ");
    if all.len() > shown {
        summary.push_str(&format!("; and {} more", all.len() - shown));
    }
    summary
}

/// The decode error for a 2xx answer that did not have the expected shape.
pub fn decode_error(detail: impl fmt::Display, method: &str, path: &str) -> Error {
    Error::Decode {
        message: detail.to_string(),
        method: method.to_owned(),
        path: path.to_owned(),
    }
}

#[cfg(test)]
mod tests;
