//! The one-shot calls (login, logout, a job's latest metrics, an append, a snapshots page, an
//! experiment's page), each in a constant number of crossings and without a wasm future: a
//! `*Start` method checks the arguments and sends the request at once (one crossing, the
//! exchange included), and `finish` (src/wasm/calls/finish.rs) reads the reply when
//! js/exchange.js hands it back. A request that must wait for a slot is sent by
//! `sendWhenFree`, the one future of these calls.
//!
//! `appendDirect` and `latestDirect` take the two busiest calls' plain arguments as numbers
//! and a string (js/api.js reads the options object), which spares the classification of
//! each JavaScript value, one crossing per check.

use wasm_bindgen::prelude::*;

use super::{WasmClient, DEFAULT_PAGE_LENGTH};
use crate::core::endpoints::{self, ApiRequest, ExperimentQuery, NewMetric};
use crate::core::error::Result;
use crate::core::input::Input;
use crate::core::timestamp::timestamp;
use crate::core::validate::{self, MAX_PAGE_LENGTH};
use crate::core::value::metric_value;
use crate::wasm::convert::{error_to_js, input, login_body, Options};
use crate::wasm::http::CallOptions;

mod finish;
pub use finish::{Book, Finish};

const CALL_OPTIONS: &[&str] = &["signal", "timeoutMs"];
const LOGOUT_OPTIONS: &[&str] = &["everywhere", "signal", "timeoutMs"];
const APPEND_OPTIONS: &[&str] = &["step", "timestamp", "signal", "timeoutMs"];
const SNAPSHOT_OPTIONS: &[&str] = &["index", "pageLength", "signal", "timeoutMs"];
const EXPERIMENT_OPTIONS: &[&str] = &[
    "index",
    "pageLength",
    "sortBy",
    "descending",
    "search",
    "signal",
    "timeoutMs",
];

/// A request's id as `*Start` answers it (see [`crate::wasm::http::Transport::start`]), or
/// the error thrown.
type Started = std::result::Result<f64, JsValue>;

#[wasm_bindgen(js_class = WasmClient)]
impl WasmClient {
    /// POST /auth/login. The password stays a JavaScript string: it never enters the wasm
    /// memory, so nothing of it can linger there after the call.
    #[wasm_bindgen(js_name = loginStart)]
    pub fn login_start(&self, username: JsValue, password: JsValue, options: JsValue) -> Started {
        self.start_with(|| {
            let call = self.call_options(&Options::read(&options, "options", CALL_OPTIONS)?)?;
            let username = validate::required_text(&input(&username), "username")?;
            let body = login_body(&username, &password)?;
            Ok((endpoints::login(), Some(body), call, Finish::Login))
        })
    }

    /// POST /auth/logout; the client forgets its cookies whatever the answer.
    #[wasm_bindgen(js_name = logoutStart)]
    pub fn logout_start(&self, options: JsValue) -> Started {
        self.start_with(|| {
            let options = Options::read(&options, "options", LOGOUT_OPTIONS)?;
            let everywhere = validate::optional_bool(&options.get("everywhere"), "everywhere")?;
            let request = endpoints::logout(everywhere.unwrap_or(false));
            Ok((request, None, self.call_options(&options)?, Finish::Logout))
        })
    }

    /// GET /jobs/{id}/metrics.
    #[wasm_bindgen(js_name = latestStart)]
    pub fn latest_start(&self, job_id: JsValue, options: JsValue) -> Started {
        self.start_with(|| {
            let call = self.call_options(&Options::read(&options, "options", CALL_OPTIONS)?)?;
            let job_id = validate::resource_id(&input(&job_id), "jobId")?;
            Ok(latest(job_id, call))
        })
    }

    /// `latestStart` with a number for the id and an optional time limit (js/api.js read it).
    #[wasm_bindgen(js_name = latestDirect)]
    pub fn latest_direct(&self, job_id: f64, timeout_ms: Option<f64>) -> Started {
        self.start_with(|| {
            let call = self.plain_call(timeout_ms)?;
            let job_id = validate::resource_id(&Input::Number(job_id), "jobId")?;
            Ok(latest(job_id, call))
        })
    }

    /// POST /jobs/{id}/metrics.
    #[wasm_bindgen(js_name = appendStart)]
    pub fn append_start(
        &self,
        job_id: JsValue,
        name: JsValue,
        value: JsValue,
        options: JsValue,
    ) -> Started {
        self.start_with(|| {
            let options = Options::read(&options, "options", APPEND_OPTIONS)?;
            let job_id = validate::resource_id(&input(&job_id), "jobId")?;
            let metric = NewMetric {
                name: validate::metric_name(&input(&name))?,
                value: metric_value(&input(&value))?,
                step: validate::step(&options.get("step"))?,
                timestamp: timestamp(&options.get("timestamp"))?,
            };
            Ok(append(job_id, &metric, self.call_options(&options)?))
        })
    }

    /// `appendStart` with numbers for the id, value, step and time limit and a string for the
    /// name (js/api.js read the options).
    #[wasm_bindgen(js_name = appendDirect)]
    pub fn append_direct(
        &self,
        job_id: f64,
        name: &str,
        value: f64,
        step: Option<f64>,
        timeout_ms: Option<f64>,
    ) -> Started {
        self.start_with(|| {
            let job_id = validate::resource_id(&Input::Number(job_id), "jobId")?;
            let metric = NewMetric {
                name: validate::metric_name(&Input::Text(name.to_owned()))?,
                value: metric_value(&Input::Number(value))?,
                step: validate::step(&Input::optional_number(step))?,
                timestamp: None,
            };
            Ok(append(job_id, &metric, self.plain_call(timeout_ms)?))
        })
    }

    /// GET /jobs/{id}/metrics/{name}/snapshots: one page, its points as columns (`name` or
    /// `names`, `steps`, `values`, `stamps` in ms since the epoch: js/api.js makes the points).
    #[wasm_bindgen(js_name = pageStart)]
    pub fn page_start(&self, job_id: JsValue, name: JsValue, options: JsValue) -> Started {
        self.start_with(|| {
            let options = Options::read(&options, "options", SNAPSHOT_OPTIONS)?;
            let job_id = validate::resource_id(&input(&job_id), "jobId")?;
            let name = validate::metric_name(&input(&name))?;
            let index = validate::page_index(&options.get("index"), "index", 0)?;
            let page_length = validate::page_length(
                &options.get("pageLength"),
                DEFAULT_PAGE_LENGTH,
                MAX_PAGE_LENGTH,
            )?;
            let request = endpoints::metric_snapshots(job_id, &name, index, page_length);
            let call = self.call_options(&options)?;
            let finish = Finish::Page {
                job_id,
                call: call.clone(),
            };
            Ok((request, None, call, finish))
        })
    }

    /// GET /experiments/{id}/metrics: one page.
    #[wasm_bindgen(js_name = experimentPageStart)]
    pub fn experiment_page_start(&self, experiment_id: JsValue, options: JsValue) -> Started {
        self.start_with(|| {
            let options = Options::read(&options, "options", EXPERIMENT_OPTIONS)?;
            let experiment_id = validate::resource_id(&input(&experiment_id), "experimentId")?;
            let query = ExperimentQuery {
                index: validate::page_index(&options.get("index"), "index", 0)?,
                page_length: validate::page_length(
                    &options.get("pageLength"),
                    DEFAULT_PAGE_LENGTH,
                    MAX_PAGE_LENGTH,
                )?,
                sort_by: validate::optional_text(&options.get("sortBy"), "sortBy")?,
                descending: validate::optional_bool(&options.get("descending"), "descending")?,
                search: validate::optional_text(&options.get("search"), "search")?,
            };
            let request = endpoints::experiment_metrics(experiment_id, &query);
            let call = self.call_options(&options)?;
            let finish = Finish::ExperimentPage {
                experiment_id,
                call: call.clone(),
            };
            Ok((request, None, call, finish))
        })
    }
}

/// What a call sends (the request, a body in place of its own, how) and makes of the answer.
type Call = (ApiRequest, Option<JsValue>, CallOptions, Finish);

/// The latest metrics of job `job_id`.
fn latest(job_id: u64, call: CallOptions) -> Call {
    let finish = Finish::Latest {
        job_id,
        call: call.clone(),
    };
    (endpoints::job_metrics(job_id), None, call, finish)
}

/// An append of `metric` to job `job_id`.
fn append(job_id: u64, metric: &NewMetric, call: CallOptions) -> Call {
    let finish = Finish::Append {
        nan: metric.value.is_nan(),
    };
    (endpoints::append_metric(job_id, metric), None, call, finish)
}

impl WasmClient {
    /// The call `checked` describes, started; its check's error thrown (nothing sent).
    fn start_with(&self, checked: impl FnOnce() -> Result<Call>) -> Started {
        checked()
            .and_then(|(request, body, call, finish)| {
                self.transport.start(request, body, call, finish)
            })
            .map_err(|e| error_to_js(&e))
    }

    /// The settings of a call given only a time limit (checked), or the client's.
    fn plain_call(&self, timeout_ms: Option<f64>) -> Result<CallOptions> {
        Ok(CallOptions {
            timeout_ms: self
                .transport
                .time_limit(&Input::optional_number(timeout_ms))?,
            signal: None,
            keepalive: false,
        })
    }
}
