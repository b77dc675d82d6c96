//! History pages across the boundary as columns, a constant number of crossings per page
//! whatever its length: the JavaScript side reads the parsed page's points in one pass
//! (`readColumns` of js/exchange.js, handed to the client when it is made), the core checks and
//! decodes them ([`Columns`]), and they go back as typed arrays that js/api.js makes the point
//! objects and `Date`s of.

use js_sys::{Array, Float64Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::columns::{Columns, OddField};
use crate::core::decode::{decode_error, PageHead};
use crate::core::error::Result;
use crate::wasm::convert::{input, page_envelope};
use crate::wasm::http::{describe_js, Answer};

/// The points' names: one for all (a metric's history: the usual case), or each its own.
pub enum Names {
    /// Every point has this name.
    One(JsValue),
    /// Each point's name, in order.
    Each(Array),
}

/// A decoded page of a metric's history.
pub struct SnapshotPage {
    /// The envelope.
    pub head: PageHead,
    /// The points.
    pub columns: Columns,
    /// Their names.
    pub names: Names,
}

/// Reads the history page in `answer` with `reader` (js/exchange.js's `readColumns`).
pub fn decode_snapshot_page(answer: &Answer, reader: &Function) -> Result<SnapshotPage> {
    let fail = |why: String| decode_error(why, answer.method, &answer.path);
    let head: PageHead = answer.decode()?;
    let data = Reflect::get(&answer.body, &JsValue::from_str("data")).unwrap_or(JsValue::UNDEFINED);
    if data.is_undefined() {
        return Err(fail("missing field `data`".to_owned()));
    }
    let read = reader
        .call1(&JsValue::NULL, &data)
        .map_err(|e| fail(describe_js(&e)))?;
    let Some(read) = read.dyn_ref::<Array>() else {
        return Err(fail("data: expected a list of points".to_owned()));
    };
    let numbers = |i: u32| read.get(i).dyn_into::<Float64Array>().map(|a| a.to_vec());
    let (Ok(steps), Ok(values)) = (numbers(0), numbers(1)) else {
        return Err(fail("data: the columns are not number arrays".to_owned()));
    };
    // UTF-8 from a TextEncoder: valid, but checked all the same (one pass, ASCII fast).
    let stamps = read
        .get(2)
        .dyn_into::<Uint8Array>()
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .ok_or_else(|| fail("data: the timestamps are not UTF-8 text".to_owned()))?;
    let odd: Vec<OddField> = read
        .get(5)
        .dyn_into::<Array>()
        .map(|odd| {
            (0..odd.length() / 3)
                .map(|k| OddField {
                    index: odd.get(3 * k).as_f64().unwrap_or(f64::NAN) as usize,
                    field: odd.get(3 * k + 1).as_string().unwrap_or_default(),
                    raw: input(&odd.get(3 * k + 2)),
                })
                .collect()
        })
        .unwrap_or_default();
    let columns = Columns::decode(&steps, values, &stamps, &odd).map_err(fail)?;
    let names = match read.get(4).dyn_into::<Array>() {
        Ok(each) => {
            if let Some(i) = each.iter().position(|name| !name.is_string()) {
                return Err(fail(format!("data[{i}].name: expected a string")));
            }
            Names::Each(each)
        }
        Err(_) => {
            let name = read.get(3);
            if !columns.is_empty() && !name.is_string() {
                return Err(fail("data[0].name: expected a string".to_owned()));
            }
            Names::One(name)
        }
    };
    Ok(SnapshotPage {
        head,
        columns,
        names,
    })
}

/// Sets `key` of `out` to `value`.
fn set(out: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(out, &JsValue::from_str(key), value);
}

/// The envelope of `head` as a plain object (the points are added by [`put_columns`]).
pub fn head_to_js(head: &PageHead) -> Result<Object> {
    page_envelope(
        head.index,
        head.is_complete,
        head.total_num_results,
        &head.first,
        head.next.as_deref(),
        head.prev.as_deref(),
    )
}

/// Puts the points at `positions` (all of them when `None`) into `out` as `name` (or `names`),
/// `steps`, `values` and `stamps` (ms since the epoch): js/api.js's `pointsOf` reads them.
pub fn put_columns(out: &Object, page: &SnapshotPage, positions: Option<&[usize]>) {
    let picked;
    let columns = match positions {
        Some(positions) => {
            picked = page.columns.pick(positions);
            &picked
        }
        None => &page.columns,
    };
    match &page.names {
        Names::One(name) => set(out, "name", name),
        Names::Each(each) => {
            let names: Array = match positions {
                Some(positions) => positions.iter().map(|&i| each.get(i as u32)).collect(),
                None => each.clone(),
            };
            set(out, "names", &names);
        }
    }
    let steps: Vec<f64> = columns.steps.iter().map(|&s| s as f64).collect();
    set(out, "steps", &Float64Array::from(steps.as_slice()));
    set(
        out,
        "values",
        &Float64Array::from(columns.values.as_slice()),
    );
    set(
        out,
        "stamps",
        &Float64Array::from(columns.stamps.as_slice()),
    );
}
