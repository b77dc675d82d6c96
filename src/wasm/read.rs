//! A parsed answer as the core's readers see it ([`Json`], see [`crate::core::shape`]): plain
//! property reads of what `JSON.parse` made, one crossing each (no serde walk, no catch
//! wrappers: a parsed value has no getters that could throw).

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use crate::core::shape::{Json, Kind};
use crate::wasm::convert::js_key;

#[wasm_bindgen]
extern "C" {
    /// A parsed object's fields, by name.
    type Fields;
    #[wasm_bindgen(method, structural, indexing_getter)]
    fn get(this: &Fields, key: &JsValue) -> JsValue;
}

impl Json for JsValue {
    fn kind(&self) -> Kind {
        if self.is_null() {
            Kind::Null
        } else if self.as_bool().is_some() {
            Kind::Bool
        } else if self.as_f64().is_some() {
            Kind::Number
        } else if self.is_string() {
            Kind::Text
        } else if Array::is_array(self) {
            Kind::List
        } else if self.is_object() {
            Kind::Map
        } else {
            Kind::Other
        }
    }

    fn field(&self, key: &'static str) -> Option<JsValue> {
        if !self.is_object() {
            return None;
        }
        let value = self.unchecked_ref::<Fields>().get(&js_key(key));
        (!value.is_undefined()).then_some(value)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn text(&self) -> Option<String> {
        self.as_string()
    }

    fn items(&self) -> Option<Vec<JsValue>> {
        let list = self.dyn_ref::<Array>()?;
        Some(list.iter().collect())
    }

    fn entries(&self) -> Option<Vec<(String, JsValue)>> {
        if !self.is_object() || Array::is_array(self) {
            return None;
        }
        let entries = Object::entries(self.unchecked_ref());
        Some(
            entries
                .iter()
                .map(|entry| {
                    let pair: Array = entry.unchecked_into();
                    (pair.get(0).as_string().unwrap_or_default(), pair.get(1))
                })
                .collect(),
        )
    }
}
