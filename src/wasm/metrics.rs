//! The `{ name, value }` metrics of an answer (latest values, a stored point), checked and
//! rebuilt with a few crossings each: serde-wasm-bindgen's walk copies every key and name into
//! wasm and back out, which made most of a small call's cost.

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use crate::core::decode::{decode_error, Metric};
use crate::core::error::Result;
use crate::core::shape::wire_value;
use crate::core::value::WireValue;
use crate::wasm::convert::input;
use crate::wasm::http::Answer;

#[wasm_bindgen]
extern "C" {
    /// A metric as JSON.parse made it, or as this module makes it: plain property reads and
    /// writes (one cheap crossing each, no key string passed, nothing to catch: a parsed
    /// object has no getters or setters that could throw).
    type MetricObject;
    #[wasm_bindgen(method, getter)]
    fn name(this: &MetricObject) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn value(this: &MetricObject) -> JsValue;
    #[wasm_bindgen(method, setter)]
    fn set_name(this: &MetricObject, name: &JsValue);
    #[wasm_bindgen(method, setter)]
    fn set_value(this: &MetricObject, value: f64);
}

/// One metric of `answer`'s body, `{ name, value }` with special values decoded.
pub fn metric_to_js(answer: &Answer) -> Result<JsValue> {
    metric(body(answer)?, answer)
}

/// The metrics of `answer`'s body (a list), each `{ name, value }`, and whether it is empty.
pub fn metrics_to_js(answer: &Answer) -> Result<(JsValue, bool)> {
    let body = body(answer)?;
    let Some(list) = body.dyn_ref::<Array>() else {
        return Err(invalid(body, "a list of metrics", answer));
    };
    let out = Array::new();
    for item in list.iter() {
        out.push(&metric(&item, answer)?);
    }
    let empty = out.length() == 0;
    Ok((out.into(), empty))
}

/// The body, unless it is empty.
fn body(answer: &Answer) -> Result<&JsValue> {
    if answer.body.is_null() {
        return Err(decode_error(
            "the body is empty",
            answer.method,
            &answer.path,
        ));
    }
    Ok(&answer.body)
}

/// One metric of `answer`'s body, read into Rust (the logger's check of what was stored).
pub fn read_metric(answer: &Answer) -> Result<Metric> {
    let (name, value) = checked(body(answer)?, answer)?;
    Ok(Metric {
        name: name.as_string().unwrap_or_default(),
        value: WireValue(value),
    })
}

/// `item` checked as a metric and rebuilt as `{ name, value }`.
fn metric(item: &JsValue, answer: &Answer) -> Result<JsValue> {
    let (name, value) = checked(item, answer)?;
    let out: MetricObject = Object::new().unchecked_into();
    out.set_name(&name);
    out.set_value(value);
    Ok(out.into())
}

/// `item` checked as a metric: its name (a JavaScript string) and its value, decoded.
fn checked(item: &JsValue, answer: &Answer) -> Result<(JsValue, f64)> {
    if !item.is_object() || Array::is_array(item) {
        return Err(invalid(item, "a metric object", answer));
    }
    let object: &MetricObject = item.unchecked_ref();
    let name = present(object.name(), "name", answer)?;
    if !name.is_string() {
        return Err(invalid(&name, "a string for `name`", answer));
    }
    let raw = present(object.value(), "value", answer)?;
    let value = wire_value(&raw).ok_or_else(|| {
        invalid(
            &raw,
            "a number or one of \"nan\", \"inf\", \"-inf\" for `value`",
            answer,
        )
    })?;
    Ok((name, value))
}

/// Field `key`'s `value`, which must be there.
fn present(value: JsValue, key: &'static str, answer: &Answer) -> Result<JsValue> {
    if value.is_undefined() {
        return Err(decode_error(
            format!("missing field `{key}`"),
            answer.method,
            &answer.path,
        ));
    }
    Ok(value)
}

/// The decode error for `value` where `expected` was.
fn invalid(value: &JsValue, expected: &str, answer: &Answer) -> crate::core::error::Error {
    decode_error(
        format!(
            "invalid type: {}, expected {expected}",
            input(value).describe()
        ),
        answer.method,
        &answer.path,
    )
}
