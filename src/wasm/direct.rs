//! The one-shot calls' direct path: `appendMetricById` and `getMetricsById` with plain
//! arguments (numbers and a string, no signal; js/api.js reads the options object) cross the
//! boundary once to be checked and sent, and once with the reply to be read: no future, no
//! promise made in Rust, no option read through `Reflect`. Everything else about the call is
//! the same code as the general path's (the checks, the request, the slot, the cookie jar,
//! the answer's errors and hints); a call the direct path cannot take (other argument types, a
//! signal, no free slot) takes the general one.

use wasm_bindgen::prelude::*;

use super::{metrics, WasmClient};
use crate::core::endpoints::{self, NewMetric};
use crate::core::error::Result;
use crate::core::input::Input;
use crate::core::validate;
use crate::core::value::metric_value;
use crate::wasm::convert::error_to_js;

/// An optional number argument as the general path classifies it.
fn number(value: Option<f64>) -> Input {
    value.map_or(Input::Missing, Input::Number)
}

#[wasm_bindgen(js_class = WasmClient)]
impl WasmClient {
    /// POST /jobs/{id}/metrics, checked and sent at once: the id of the request (its reply
    /// goes to `finishAppend`), or 0 when no slot is free (then nothing was sent).
    #[wasm_bindgen(js_name = appendDirect)]
    pub fn append_direct(
        &self,
        job_id: f64,
        name: &str,
        value: f64,
        step: Option<f64>,
        timeout_ms: Option<f64>,
    ) -> std::result::Result<u32, JsValue> {
        (|| {
            let job_id = validate::resource_id(&Input::Number(job_id), "jobId")?;
            let metric = NewMetric {
                name: validate::metric_name(&Input::Text(name.to_owned()))?,
                value: metric_value(&Input::Number(value))?,
                step: validate::step(&number(step))?,
                timestamp: None,
            };
            let timeout_ms = self.timeout(timeout_ms)?;
            let request = endpoints::append_metric(job_id, &metric);
            Ok(self.transport.start(&request, timeout_ms).unwrap_or(0))
        })()
        .map_err(|e| error_to_js(&e))
    }

    /// The stored metric `{ name, value }` from the `reply` to `appendDirect`'s request `id`
    /// (`nan`: the value sent was NaN, which a server may refuse).
    #[wasm_bindgen(js_name = finishAppend)]
    pub fn finish_append(
        &self,
        id: u32,
        reply: JsValue,
        nan: bool,
    ) -> std::result::Result<JsValue, JsValue> {
        self.transport
            .finish(id, &reply)
            .map_err(|e| e.explain_nan_refusal(nan))
            .and_then(|answer| metrics::metric_to_js(&answer))
            .map_err(|e| error_to_js(&e))
    }

    /// GET /jobs/{id}/metrics, checked and sent at once: as `appendDirect`.
    #[wasm_bindgen(js_name = latestDirect)]
    pub fn latest_direct(
        &self,
        job_id: f64,
        timeout_ms: Option<f64>,
    ) -> std::result::Result<u32, JsValue> {
        (|| {
            let timeout_ms = self.timeout(timeout_ms)?;
            let job_id = validate::resource_id(&Input::Number(job_id), "jobId")?;
            let request = endpoints::job_metrics(job_id);
            Ok(self.transport.start(&request, timeout_ms).unwrap_or(0))
        })()
        .map_err(|e| error_to_js(&e))
    }

    /// The metrics `[{ name, value }]` from the `reply` to `latestDirect`'s request `id`, or
    /// null when there are none (js/api.js then asks for the job itself with `jobDirect`: only
    /// its GET tells "no metrics yet" from "no such job").
    #[wasm_bindgen(js_name = finishLatest)]
    pub fn finish_latest(&self, id: u32, reply: JsValue) -> std::result::Result<JsValue, JsValue> {
        (|| {
            let answer = self.transport.finish(id, &reply)?;
            let (metrics, empty) = metrics::metrics_to_js(&answer)?;
            Ok(if empty { JsValue::NULL } else { metrics })
        })()
        .map_err(|e| error_to_js(&e))
    }

    /// GET /jobs/{id}, checked and sent at once (as `appendDirect`): whether the job exists,
    /// after its metrics read empty.
    #[wasm_bindgen(js_name = jobDirect)]
    pub fn job_direct(
        &self,
        job_id: f64,
        timeout_ms: Option<f64>,
    ) -> std::result::Result<u32, JsValue> {
        (|| {
            let timeout_ms = self.timeout(timeout_ms)?;
            let job_id = validate::resource_id(&Input::Number(job_id), "jobId")?;
            Ok(self
                .transport
                .start(&endpoints::job(job_id), timeout_ms)
                .unwrap_or(0))
        })()
        .map_err(|e| error_to_js(&e))
    }

    /// Nothing, or the error of the `reply` to `jobDirect`'s request `id` (a 404: no such job).
    #[wasm_bindgen(js_name = finishJob)]
    pub fn finish_job(&self, id: u32, reply: JsValue) -> std::result::Result<(), JsValue> {
        self.transport
            .finish(id, &reply)
            .map(drop)
            .map_err(|e| error_to_js(&e))
    }
}

impl WasmClient {
    /// The time limit of a call: `timeoutMs` checked, else the client's.
    fn timeout(&self, timeout_ms: Option<f64>) -> Result<f64> {
        Ok(validate::timeout_ms(&number(timeout_ms))?.unwrap_or(self.transport.timeout_ms))
    }
}
