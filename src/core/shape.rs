//! Reading the server's answers, already parsed (by JavaScript's `JSON.parse` in the package),
//! into the wire types of [`crate::core::decode`] and [`crate::core::catalog`]: field by field
//! through the [`Json`] view of a parsed value, with the checks the serde derives make (native
//! tests check both agree). In the `.wasm` this replaces serde-wasm-bindgen's deserializer and
//! the derives' visitors: a few small readers instead of a generic walk.

use crate::core::catalog::{ExperimentSummary, JobSummary};
use crate::core::decode::{
    ErrorBody, ErrorTree, JobMetrics, Lenient, LoginAnswer, Metric, Page, PageHead, ServerTime,
    MAX_ERROR_DEPTH,
};
use crate::core::text::quote;
use crate::core::timestamp::server_millis;
use crate::core::value::{describe_number, special_value, WireValue};

/// What a parsed JSON value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// A number.
    Number,
    /// A string.
    Text,
    /// An array.
    List,
    /// An object.
    Map,
    /// Anything else (`undefined` and the like, which JSON has not).
    Other,
}

/// A parsed JSON value, as the readers see it: a JavaScript value in the package, a
/// `serde_json::Value` in native tests.
pub trait Json: Sized {
    /// What it is.
    fn kind(&self) -> Kind;
    /// Field `key` of an object (`None` when it has none, or is no object).
    fn field(&self, key: &'static str) -> Option<Self>;
    /// The number it is.
    fn number(&self) -> Option<f64>;
    /// The boolean it is.
    fn boolean(&self) -> Option<bool>;
    /// The string it is.
    fn text(&self) -> Option<String>;
    /// The items of the array it is.
    fn items(&self) -> Option<Vec<Self>>;
    /// The fields of the object it is, in order.
    fn entries(&self) -> Option<Vec<(String, Self)>>;
}

/// 2^53: the whole numbers below it are those JavaScript holds exactly.
const SAFE_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Why a value does not have the expected shape: the message of the decode error.
pub type Refusal = String;

/// A wire type read from a parsed value.
pub trait FromJson: Sized {
    /// The value read, or why it cannot be.
    fn from_json<J: Json>(value: &J) -> Result<Self, Refusal>;
}

/// How a message shows `value` (as [`crate::core::input::Input::describe`] shows caller input).
fn describe<J: Json>(value: &J) -> String {
    match value.kind() {
        Kind::Null => "null".to_owned(),
        Kind::Bool => value.boolean().unwrap_or_default().to_string(),
        Kind::Number => describe_number(value.number().unwrap_or(f64::NAN)),
        Kind::Text => quote(&value.text().unwrap_or_default()),
        Kind::List => "an array".to_owned(),
        Kind::Map => "an object".to_owned(),
        Kind::Other => "undefined".to_owned(),
    }
}

/// The refusal of `value` at `at` where `expected` was.
fn invalid<J: Json>(value: &J, at: &str, expected: &str) -> Refusal {
    format!(
        "{at}: invalid type: {}, expected {expected}",
        describe(value)
    )
}

/// Where field `key` of the value at `at` is.
fn path(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

/// The fields of one object: each read where it must be, with its place in messages.
struct Fields<'a, J> {
    object: &'a J,
    at: &'a str,
}

impl<'a, J: Json> Fields<'a, J> {
    /// The fields of `value` at `at`, which must be an object.
    fn of(value: &'a J, at: &'a str, what: &str) -> Result<Self, Refusal> {
        if value.kind() != Kind::Map {
            let place = if at.is_empty() { "the body" } else { at };
            return Err(invalid(value, place, what));
        }
        Ok(Fields { object: value, at })
    }

    /// Field `key`, which must be there (`null` counts as there).
    fn required(&self, key: &'static str) -> Result<J, Refusal> {
        self.object.field(key).ok_or_else(|| {
            let at = if self.at.is_empty() {
                String::new()
            } else {
                format!("{}: ", self.at)
            };
            format!("{at}missing field `{key}`")
        })
    }

    /// Field `key` as an id or count: a whole number from 0 to 2^53 - 1.
    fn count(&self, key: &'static str) -> Result<u64, Refusal> {
        let value = self.required(key)?;
        match value.number() {
            Some(n) if (0.0..SAFE_LIMIT).contains(&n) && n.fract() == 0.0 => Ok(n as u64),
            _ => Err(invalid(
                &value,
                &path(self.at, key),
                "a whole number from 0",
            )),
        }
    }

    /// Field `key` as a string.
    fn text(&self, key: &'static str) -> Result<String, Refusal> {
        let value = self.required(key)?;
        value
            .text()
            .ok_or_else(|| invalid(&value, &path(self.at, key), "a string"))
    }

    /// Field `key` as a string, `None` when absent or `null`.
    fn optional_text(&self, key: &'static str) -> Result<Option<String>, Refusal> {
        match self.object.field(key) {
            None => Ok(None),
            Some(value) if value.kind() == Kind::Null => Ok(None),
            Some(value) => value
                .text()
                .map(Some)
                .ok_or_else(|| invalid(&value, &path(self.at, key), "a string")),
        }
    }

    /// Field `key` as a boolean.
    fn boolean(&self, key: &'static str) -> Result<bool, Refusal> {
        let value = self.required(key)?;
        value
            .boolean()
            .ok_or_else(|| invalid(&value, &path(self.at, key), "a boolean"))
    }

    /// Field `key` as a list of `T`s.
    fn list<T: Item>(&self, key: &'static str) -> Result<Vec<T>, Refusal> {
        let at = path(self.at, key);
        let value = self.required(key)?;
        let items = value
            .items()
            .ok_or_else(|| invalid(&value, &at, "a list"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| T::read(item, &format!("{at}[{i}]")))
            .collect()
    }
}

/// A metric's `value` as the wire spells it: a number, or one of "nan", "inf" and "-inf";
/// `None` for anything else.
pub fn wire_value<J: Json>(raw: &J) -> Option<f64> {
    match raw.number() {
        // As serde reads a number: an integer through i64, so -0 is 0 (and -0 + 0 is 0).
        Some(n) => Some(n + 0.0),
        None => raw.text().and_then(|text| special_value(&text)),
    }
}

/// An item of a list, read at its place.
pub trait Item: Sized {
    /// The item at `at`.
    fn read<J: Json>(value: &J, at: &str) -> Result<Self, Refusal>;
}

impl Item for Metric {
    fn read<J: Json>(value: &J, at: &str) -> Result<Self, Refusal> {
        let fields = Fields::of(value, at, "a metric object")?;
        let name = fields.text("name")?;
        let raw = fields.required("value")?;
        let value = wire_value(&raw).ok_or_else(|| {
            invalid(
                &raw,
                &path(at, "value"),
                "a number or one of \"nan\", \"inf\", \"-inf\"",
            )
        })?;
        Ok(Metric {
            name,
            value: WireValue(value),
        })
    }
}

impl Item for JobMetrics {
    fn read<J: Json>(value: &J, at: &str) -> Result<Self, Refusal> {
        let fields = Fields::of(value, at, "a job's metrics")?;
        Ok(JobMetrics {
            id: fields.count("id")?,
            metrics: fields.list("metrics")?,
        })
    }
}

impl Item for ExperimentSummary {
    fn read<J: Json>(value: &J, at: &str) -> Result<Self, Refusal> {
        let fields = Fields::of(value, at, "an experiment")?;
        Ok(ExperimentSummary {
            id: fields.count("id")?,
            name: fields.text("name")?,
            description: fields.optional_text("description")?,
        })
    }
}

impl Item for JobSummary {
    fn read<J: Json>(value: &J, at: &str) -> Result<Self, Refusal> {
        let fields = Fields::of(value, at, "a job")?;
        let id = fields.count("id")?;
        let status = fields.text("status")?;
        let created = fields.text("createdOn")?;
        let created_on = server_millis(&created).map(ServerTime).ok_or_else(|| {
            format!(
                "{}: invalid value: {}, expected an ISO 8601 date-time string",
                path(at, "createdOn"),
                quote(&created)
            )
        })?;
        Ok(JobSummary {
            id,
            status,
            created_on,
        })
    }
}

impl FromJson for PageHead {
    fn from_json<J: Json>(value: &J) -> Result<Self, Refusal> {
        let fields = Fields::of(value, "", "a page")?;
        Ok(PageHead {
            index: fields.count("index")?,
            is_complete: fields.boolean("isComplete")?,
            total_num_results: fields.count("totalNumResults")?,
            first: fields.text("first")?,
            next: fields.optional_text("next")?,
            prev: fields.optional_text("prev")?,
        })
    }
}

impl<T: Item> FromJson for Page<T> {
    fn from_json<J: Json>(value: &J) -> Result<Self, Refusal> {
        let head = PageHead::from_json(value)?;
        let data = Fields::of(value, "", "a page")?.list("data")?;
        Ok(Page {
            index: head.index,
            is_complete: head.is_complete,
            total_num_results: head.total_num_results,
            first: head.first,
            next: head.next,
            prev: head.prev,
            data,
        })
    }
}

impl FromJson for LoginAnswer {
    fn from_json<J: Json>(value: &J) -> Result<Self, Refusal> {
        let fields = Fields::of(value, "", "a login answer")?;
        Ok(LoginAnswer {
            username: fields.text("username")?,
            status: fields.text("status")?,
        })
    }
}

impl ErrorBody {
    /// The error body in `value` as far as it is understood (`None` when it is no object):
    /// never refused, whatever else it holds.
    pub fn from_json<J: Json>(value: &J) -> Option<ErrorBody> {
        if value.kind() != Kind::Map {
            return None;
        }
        // `null` is no field, as for serde's `Option`.
        let field = |key| value.field(key).filter(|v| v.kind() != Kind::Null);
        let text = |key| field(key).map(|v| Lenient(v.text()));
        Some(ErrorBody {
            error: text("error"),
            message: text("message"),
            errors: field("errors").map(|v| error_tree(&v, 0)),
        })
    }
}

/// The messages in `value` at `depth`, skipping what lies deeper than [`MAX_ERROR_DEPTH`].
fn error_tree<J: Json>(value: &J, depth: usize) -> ErrorTree {
    if depth >= MAX_ERROR_DEPTH {
        return ErrorTree::Other;
    }
    match value.kind() {
        Kind::Text => ErrorTree::Message(value.text().unwrap_or_default()),
        Kind::List => ErrorTree::List(
            value
                .items()
                .unwrap_or_default()
                .iter()
                .map(|item| error_tree(item, depth + 1))
                .collect(),
        ),
        Kind::Map => ErrorTree::Fields(
            value
                .entries()
                .unwrap_or_default()
                .iter()
                .map(|(key, item)| (key.clone(), error_tree(item, depth + 1)))
                .collect(),
        ),
        _ => ErrorTree::Other,
    }
}

#[cfg(test)]
mod tests;
