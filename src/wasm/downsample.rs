//! The `downsample` export: columns in as `Float64Array`s (copied into wasm memory once each),
//! the kept indices out as one `Uint32Array`.

use wasm_bindgen::prelude::*;

use super::convert::error_to_js;
use crate::core::downsample::downsample_input;

/// The indices of `(x, y)` to keep for a chart of at most `max_points` points, ascending
/// (see `crate::core::downsample` for the rules). `method` is a name or undefined.
#[wasm_bindgen(js_name = downsampleIndices)]
pub fn downsample_indices(
    x: &[f64],
    y: &[f64],
    max_points: f64,
    method: Option<String>,
) -> Result<Vec<u32>, JsValue> {
    downsample_input(x, y, max_points, method.as_deref()).map_err(|e| error_to_js(&e))
}
