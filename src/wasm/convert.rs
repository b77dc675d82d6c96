//! Conversions at the JavaScript boundary: arguments in, results and errors out.

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::error::{Error, Result};
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

/// A result as a plain JavaScript value (objects, not `Map`s; NaN and ±Infinity as numbers).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&serializer).map_err(|e| Error::Decode {
        message: e.to_string(),
        method: String::new(),
        path: String::new(),
    })
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
