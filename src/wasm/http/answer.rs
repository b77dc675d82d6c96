//! What the exchange's reply to one request means (see js/exchange.js's `exchange`): the answer's
//! cookies kept, then the parsed body of a 2xx, or the typed error (refused, timed out,
//! aborted, too large, not JSON, or the server's own error with its `Retry-After`).

use std::cell::RefCell;

use js_sys::{Array, JsString, Reflect};
use wasm_bindgen::prelude::*;

use super::{date_now, Answer, Transport, MAX_BODY_BYTES};
use crate::core::cookies::CookieJar;
use crate::core::decode::{api_error, decode_error, ErrorBody};
use crate::core::error::{Error, Result};
use crate::core::retry::parse_retry_after;
use crate::core::text::quote;

impl Transport {
    /// What the exchange's `reply` to a request of `method` to `path` means: its cookies kept,
    /// then the parsed body of a 2xx, or the error.
    pub(super) fn answer(
        &self,
        reply: &JsValue,
        method: &'static str,
        path: String,
        timeout_ms: f64,
    ) -> Result<Answer> {
        let Some(reply) = reply.dyn_ref::<Array>() else {
            return Err(Error::Network {
                message: describe_js(reply),
                method: method.to_owned(),
                path,
            });
        };
        if let Some(jar) = &self.jar {
            let cookies = reply.get(3);
            if !cookies.is_undefined() {
                keep_cookies(jar, cookies.unchecked_ref(), &path);
            }
        }
        let status = reply.get(0).as_f64().unwrap_or(0.0);
        if status == 0.0 {
            let failure = reply.get(2);
            return Err(match reply.get(1).as_f64() {
                Some(1.0) => Error::Abort {
                    method: method.to_owned(),
                    path,
                },
                Some(2.0) => Error::Timeout {
                    timeout_ms,
                    method: method.to_owned(),
                    path,
                },
                _ => Error::Network {
                    message: describe_js(&failure),
                    method: method.to_owned(),
                    path,
                },
            });
        }
        if status < 0.0 {
            return Err(too_large(method, &path));
        }
        let parsed = reply.get(1);
        let status = status as u16;
        if !(200..300).contains(&status) {
            let body = ErrorBody::from_json(&parsed);
            let status_text = reply.get(4).as_string().unwrap_or_default();
            let mut error = api_error(status, &status_text, body, method, &path);
            let retry_after = reply.get(5).as_string();
            if let (Error::Api(api), Some(value)) = (&mut error, retry_after) {
                api.retry_after_ms = parse_retry_after(&value, date_now());
            }
            return Err(error);
        }
        if parsed.is_undefined() {
            let text: JsString = reply.get(2).unchecked_into();
            return Err(decode_error(
                format!("the body is not JSON: {}", excerpt(&text)),
                method,
                &path,
            ));
        }
        Ok(Answer {
            body: parsed,
            method,
            path,
        })
    }
}

/// Stores an answer's `Set-Cookie` headers (read with `Headers.getSetCookie()` by the
/// exchange; a runtime without it keeps no cookie).
fn keep_cookies(jar: &RefCell<CookieJar>, values: &Array, path: &str) {
    let now = date_now();
    let mut jar = jar.borrow_mut();
    for value in values.iter() {
        if let Some(value) = value.as_string() {
            jar.store(&value, path, now);
        }
    }
}

/// What a thrown JavaScript value says about itself, with its `cause`s (Node's fetch puts
/// the real reason, ECONNREFUSED and the like, there), at most four deep: a cause may be
/// cyclic.
pub fn describe_js(value: &JsValue) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = value.clone();
    for _ in 0..4 {
        let Some(error) = current.dyn_ref::<js_sys::Error>() else {
            if let Some(text) = current.as_string() {
                parts.push(text);
            }
            break;
        };
        parts.push(String::from(error.message()));
        match Reflect::get(error, &JsValue::from_str("cause")) {
            Ok(cause) if !cause.is_undefined() && !cause.is_null() => current = cause,
            _ => break,
        }
    }
    parts.retain(|p| !p.is_empty());
    match parts.split_first() {
        None => "unknown failure".to_owned(),
        Some((first, [])) => first.clone(),
        Some((first, causes)) => format!("{first} ({})", causes.join(": ")),
    }
}

fn too_large(method: &str, path: &str) -> Error {
    decode_error(
        format!(
            "the answer is larger than {} MiB",
            crate::core::value::Num(MAX_BODY_BYTES / 1024.0 / 1024.0)
        ),
        method,
        path,
    )
}

/// The start of a body, for an error message.
fn excerpt(text: &JsString) -> String {
    let cut = String::from(text.slice(0, 80));
    if text.length() > 80 {
        format!("{}…", quote(&cut))
    } else {
        quote(&cut)
    }
}
