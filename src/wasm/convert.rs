//! Conversions at the JavaScript boundary: arguments in, results and errors out.

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::catalog::{ExperimentSummary, JobSummary};
use crate::core::decode::{JobMetrics, LoginAnswer, Metric, Page};
use crate::core::error::{Error, FieldErrors, Result};
use crate::core::input::Input;
use crate::core::text::quote;
use crate::core::validate;

#[wasm_bindgen]
extern "C" {
    /// JavaScript's `String(n)`: a number's shortest round-trip digits.
    #[wasm_bindgen(js_name = String)]
    fn js_string(n: f64) -> String;
}

/// A finite number as JavaScript writes it (`String(n)`, the digits `JSON.stringify` writes):
/// how the core writes numbers in the wasm, so that Rust's float formatting is not in it.
pub fn number_text(n: f64) -> String {
    js_string(n)
}

/// Classifies a JavaScript value for the core's validation rules.
pub fn input(value: &JsValue) -> Input {
    if value.is_undefined() {
        Input::Missing
    } else if let Some(n) = value.as_f64() {
        Input::Number(n)
    } else if let Some(s) = value.as_string() {
        Input::Text(s)
    } else if let Some(b) = value.as_bool() {
        Input::Bool(b)
    } else if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        Input::Date(date.get_time())
    } else if value.is_null() {
        Input::Other("null")
    } else if value.is_bigint() {
        Input::Other("a bigint")
    } else if value.is_symbol() {
        Input::Other("a symbol")
    } else if value.is_function() {
        Input::Other("a function")
    } else if Array::is_array(value) {
        Input::Other("an array")
    } else {
        Input::Other("an object")
    }
}

/// An options argument: `undefined` or a plain object whose keys are all in `known`.
pub struct Options {
    object: Option<Object>,
}

impl Options {
    /// Checks `value` as the options argument named `field` (usually `options`).
    pub fn read(value: &JsValue, field: &str, known: &[&str]) -> Result<Options> {
        if value.is_undefined() {
            return Ok(Options { object: None });
        }
        let kind = input(value);
        if !matches!(kind, Input::Other("an object")) {
            return Err(Error::validation(
                field,
                format!("{field} must be an object, not {}", kind.describe()),
            ));
        }
        let object: Object = value.clone().unchecked_into();
        for key in Object::keys(&object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(Error::validation(
                    key.clone(),
                    format!(
                        "unknown option {} in {field} (known: {})",
                        quote(&key),
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(Options {
            object: Some(object),
        })
    }

    /// The raw value of option `key` (`undefined` when absent).
    pub fn raw(&self, key: &'static str) -> JsValue {
        match &self.object {
            Some(object) => Reflect::get(object, &js_key(key)).unwrap_or(JsValue::UNDEFINED),
            None => JsValue::UNDEFINED,
        }
    }

    /// Option `key`, classified.
    pub fn get(&self, key: &'static str) -> Input {
        input(&self.raw(key))
    }
}

thread_local! {
    /// The JavaScript strings of the option names read so far.
    static KEYS: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// `key` as a JavaScript string, made once per name (not copied out of wasm on every call).
pub fn js_key(key: &'static str) -> JsValue {
    KEYS.with_borrow_mut(|keys| {
        if let Some((_, value)) = keys.iter().find(|(known, _)| *known == key) {
            return value.clone();
        }
        let value = JsValue::from_str(key);
        keys.push((key, value.clone()));
        value
    })
}

/// A result built as a plain JavaScript value by hand: objects with the fields in declared
/// order (`camelCase` where the wire has it), numbers (NaN and ±Infinity included), `null`
/// for a missing optional field. What `serde_wasm_bindgen`'s JSON-compatible serializer made,
/// without its walk (smaller, and no serde code in the `.wasm` for it).
pub trait ToJs {
    /// The JavaScript value; an error for an integer JavaScript cannot hold exactly.
    fn to_js(&self) -> Result<JsValue>;
}

/// `value` as a plain JavaScript value (see [`ToJs`]).
pub fn to_js<T: ToJs + ?Sized>(value: &T) -> Result<JsValue> {
    value.to_js()
}

/// A plain object with `fields`, in order.
fn object(fields: &[(&'static str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in fields {
        let _ = Reflect::set(&object, &js_key(key), value);
    }
    object.into()
}

/// An id or count as a number, if JavaScript holds it exactly (as serde-wasm-bindgen did).
fn safe_integer(n: u64) -> Result<JsValue> {
    if n < (1 << 53) {
        Ok(JsValue::from_f64(n as f64))
    } else {
        Err(Error::Decode {
            message: format!("{n} can't be represented as a JavaScript number"),
            method: String::new(),
            path: String::new(),
        })
    }
}

impl<T: ToJs> ToJs for [T] {
    fn to_js(&self) -> Result<JsValue> {
        let array = Array::new_with_length(self.len() as u32);
        for (i, item) in self.iter().enumerate() {
            array.set(i as u32, item.to_js()?);
        }
        Ok(array.into())
    }
}

impl<T: ToJs> ToJs for Vec<T> {
    fn to_js(&self) -> Result<JsValue> {
        self.as_slice().to_js()
    }
}

impl ToJs for LoginAnswer {
    fn to_js(&self) -> Result<JsValue> {
        Ok(object(&[
            ("username", JsValue::from_str(&self.username)),
            ("status", JsValue::from_str(&self.status)),
        ]))
    }
}

impl ToJs for Metric {
    fn to_js(&self) -> Result<JsValue> {
        Ok(object(&[
            ("name", JsValue::from_str(&self.name)),
            ("value", JsValue::from_f64(self.value.0)),
        ]))
    }
}

impl ToJs for JobMetrics {
    fn to_js(&self) -> Result<JsValue> {
        Ok(object(&[
            ("id", safe_integer(self.id)?),
            ("metrics", self.metrics.to_js()?),
        ]))
    }
}

impl ToJs for ExperimentSummary {
    fn to_js(&self) -> Result<JsValue> {
        let description = self
            .description
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str);
        Ok(object(&[
            ("id", safe_integer(self.id)?),
            ("name", JsValue::from_str(&self.name)),
            ("description", description),
        ]))
    }
}

impl ToJs for JobSummary {
    fn to_js(&self) -> Result<JsValue> {
        Ok(object(&[
            ("id", safe_integer(self.id)?),
            ("status", JsValue::from_str(&self.status)),
            ("createdOn", JsValue::from_f64(self.created_on.0)),
        ]))
    }
}

impl<T: ToJs> ToJs for Page<T> {
    fn to_js(&self) -> Result<JsValue> {
        let out = page_envelope(
            self.index,
            self.is_complete,
            self.total_num_results,
            &self.first,
            self.next.as_deref(),
            self.prev.as_deref(),
        )?;
        let _ = Reflect::set(&out, &js_key("data"), &self.data.to_js()?);
        Ok(out.into())
    }
}

/// A page's envelope as a plain object: `index`, `isComplete`, `totalNumResults`, `first`,
/// then `next` and `prev` where the server gave them. Its items are set on it after (`data`,
/// or a history page's columns).
pub fn page_envelope(
    index: u64,
    is_complete: bool,
    total_num_results: u64,
    first: &str,
    next: Option<&str>,
    prev: Option<&str>,
) -> Result<Object> {
    let out = Object::new();
    let set = |key: &'static str, value: &JsValue| {
        let _ = Reflect::set(&out, &js_key(key), value);
    };
    set("index", &safe_integer(index)?);
    set("isComplete", &JsValue::from_bool(is_complete));
    set("totalNumResults", &safe_integer(total_num_results)?);
    set("first", &JsValue::from_str(first));
    if let Some(next) = next {
        set("next", &JsValue::from_str(next));
    }
    if let Some(prev) = prev {
        set("prev", &JsValue::from_str(prev));
    }
    Ok(out)
}

impl ToJs for FieldErrors {
    /// `{ field: [messages] }`, fields in order.
    fn to_js(&self) -> Result<JsValue> {
        let object = Object::new();
        for (field, messages) in self.iter() {
            let list: Array = messages.iter().map(|m| JsValue::from_str(m)).collect();
            let _ = Reflect::set(&object, &JsValue::from_str(field), &list);
        }
        Ok(object.into())
    }
}

/// An error as a plain object `{ kind, message, ... }` that the JavaScript layer turns into an
/// instance of the matching error class.
pub fn error_to_js(error: &Error) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&object, &JsValue::from_str(key), &value);
    };
    set("dioptraError", JsValue::TRUE);
    set("message", JsValue::from_str(&error.to_string()));
    let request = |method: &str, path: &str| {
        set("method", JsValue::from_str(method));
        set("path", JsValue::from_str(path));
    };
    match error {
        Error::Validation { field, .. } => {
            set("kind", "DioptraValidationError".into());
            set("field", JsValue::from_str(field));
        }
        Error::Api(api) => {
            set("kind", "DioptraApiError".into());
            set("status", JsValue::from(api.status));
            set(
                "errorType",
                api.error_type
                    .as_deref()
                    .map_or(JsValue::NULL, JsValue::from_str),
            );
            let field_errors = api.field_errors.as_ref().and_then(|f| to_js(f).ok());
            set("fieldErrors", field_errors.unwrap_or(JsValue::NULL));
            request(&api.method, &api.path);
        }
        Error::Network { method, path, .. } => {
            set("kind", "DioptraNetworkError".into());
            request(method, path);
        }
        Error::Timeout {
            timeout_ms,
            method,
            path,
        } => {
            set("kind", "DioptraTimeoutError".into());
            set("timeoutMs", JsValue::from_f64(*timeout_ms));
            request(method, path);
        }
        Error::Abort { method, path } => {
            set("kind", "DioptraAbortError".into());
            request(method, path);
        }
        Error::QueueFull { max_queue } => {
            set("kind", "DioptraQueueFullError".into());
            set("maxQueue", JsValue::from_f64(*max_queue as f64));
        }
        Error::Decode { method, path, .. } => {
            set("kind", "DioptraDecodeError".into());
            request(method, path);
        }
    }
    object.into()
}

/// The login body `{"username":..,"password":..}` as JSON text built by JavaScript, checking
/// that the password is a non-empty string without copying it (nor naming it in any message).
pub fn login_body(username: &str, password: &JsValue) -> Result<JsValue> {
    let Some(secret) = password.dyn_ref::<js_sys::JsString>() else {
        let kind = match input(password) {
            Input::Missing => "is required",
            _ => "must be a string",
        };
        return Err(Error::validation("password", format!("password {kind}")));
    };
    if secret.length() == 0 {
        return Err(Error::validation("password", "password must not be empty"));
    }
    let body = Object::new();
    let failed = |_| Error::validation("password", "the login body could not be built");
    Reflect::set(
        &body,
        &JsValue::from_str("username"),
        &JsValue::from_str(username),
    )
    .map_err(failed)?;
    Reflect::set(&body, &JsValue::from_str("password"), password).map_err(failed)?;
    js_sys::JSON::stringify(&body)
        .map(JsValue::from)
        .map_err(failed)
}

/// The `headers` option: a plain object of header names to string values.
pub fn extra_headers(value: &JsValue) -> Result<Vec<(String, String)>> {
    if value.is_undefined() {
        return Ok(Vec::new());
    }
    if !matches!(input(value), Input::Other("an object")) {
        return Err(Error::validation(
            "headers",
            format!(
                "headers must be an object of strings, not {}",
                input(value).describe()
            ),
        ));
    }
    let object: &Object = value.unchecked_ref();
    let mut headers = Vec::new();
    for key in Object::keys(object).iter() {
        let name = key.as_string().unwrap_or_default();
        let value = Reflect::get(object, &key).unwrap_or(JsValue::UNDEFINED);
        let Some(value) = value.as_string().filter(|v| validate::is_header_value(v)) else {
            return Err(Error::validation(
                "headers",
                format!(
                    "headers[{}] must be a string without line breaks",
                    quote(&name)
                ),
            ));
        };
        if !validate::is_allowed_header_name(&name) {
            return Err(Error::validation(
                "headers",
                format!(
                    "{} is not a header name this client lets callers set",
                    quote(&name)
                ),
            ));
        }
        headers.push((name, value));
    }
    Ok(headers)
}

/// The `signal` option: an `AbortSignal`, or absent.
pub fn abort_signal(value: &JsValue) -> Result<Option<web_sys::AbortSignal>> {
    if value.is_undefined() {
        return Ok(None);
    }
    value
        .clone()
        .dyn_into::<web_sys::AbortSignal>()
        .map(Some)
        .map_err(|other| {
            Error::validation(
                "signal",
                format!(
                    "signal must be an AbortSignal, not {}",
                    input(&other).describe()
                ),
            )
        })
}
