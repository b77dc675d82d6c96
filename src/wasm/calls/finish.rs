//! What each one-shot call makes of its answer ([`Finish`], kept with the request until its
//! reply comes), and the two methods js/exchange.js calls after a `*Start`: `finish(id,
//! reply)` and, for a request that waits for a slot, `sendWhenFree(id)`.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::core::decode::{JobMetrics, LoginAnswer, Page};
use crate::core::endpoints::{self, ApiRequest};
use crate::core::error::Result;
use crate::wasm::convert::{error_to_js, to_js};
use crate::wasm::http::{Answer, CallOptions};
use crate::wasm::{columns, metrics, OutOfLine, WasmClient};

/// What a call makes of its request's answer.
pub enum Finish {
    /// `{ username, status }`.
    Login,
    /// The server's answer; the client's cookies forgotten whatever it is.
    Logout,
    /// The stored metric; `nan`: the value sent was NaN, which a server may refuse.
    Append { nan: bool },
    /// The job's latest metrics; none: the job itself is asked for (its GET).
    Latest { job_id: u64, call: CallOptions },
    /// A snapshots page as columns; an empty one: the job itself is asked for.
    Page { job_id: u64, call: CallOptions },
    /// An experiment's page; an empty one: the experiment itself is asked for.
    ExperimentPage {
        experiment_id: u64,
        call: CallOptions,
    },
    /// `result` once the job or experiment asked for is found to exist. Dioptra answers a
    /// read of the items of one that does not exist with an empty list: only its own GET's
    /// 404 tells "nothing yet" from "no such id".
    Exists { result: JsValue },
    /// Handed to this function by the transport itself, which the exchange calls back
    /// directly: a request of Rust's own (a logger's point), which no JavaScript caller
    /// waits for.
    Booked(Book),
}

/// What books the answer to a request of Rust's own (see [`Finish::Booked`]).
pub type Book = Box<dyn FnOnce(Result<Answer>)>;

#[wasm_bindgen(js_class = WasmClient)]
impl WasmClient {
    /// The result of the call whose request `id` got `reply`; or, for a call that must ask a
    /// second request (an empty list: does its owner exist?), that request's id as a number
    /// (negative while it waits for a slot), whose reply is finished the same way.
    pub fn finish(&self, id: u32, reply: JsValue) -> std::result::Result<JsValue, JsValue> {
        self.transport
            .finish(id, &reply)
            .and_then(|(finish, answer)| self.finish_call(finish, answer))
            .map_err(|e| error_to_js(&e))
    }

    /// Sends request `id`, which `*Start` kept because no slot was free, once one is; rejects
    /// with an abort error (nothing sent) if the caller's signal fires first.
    #[wasm_bindgen(js_name = sendWhenFree)]
    pub fn send_when_free(&self, id: u32) -> OutOfLine<Promise> {
        let transport = Rc::clone(&self.transport);
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            transport
                .send_when_free(id)
                .await
                .map_err(|e| error_to_js(&e))?;
            Ok(JsValue::UNDEFINED)
        }))
    }
}

impl WasmClient {
    /// What `finish` makes of `answer`.
    fn finish_call(&self, finish: Finish, answer: Result<Answer>) -> Result<JsValue> {
        match finish {
            Finish::Login => to_js(&answer?.decode::<LoginAnswer>()?),
            Finish::Logout => {
                if let Some(jar) = &self.transport.jar {
                    jar.borrow_mut().clear();
                }
                // The cached request headers carry the session's cookie: forgotten with it.
                self.transport.header_cache.take();
                Ok(answer?.body)
            }
            Finish::Append { nan } => {
                metrics::metric_to_js(&answer.map_err(|e| e.explain_nan_refusal(nan))?)
            }
            Finish::Latest { job_id, call } => {
                let (metrics, empty) = metrics::metrics_to_js(&answer?)?;
                self.confirmed(empty, endpoints::job(job_id), call, metrics)
            }
            Finish::Page { job_id, call } => {
                let page = columns::decode_snapshot_page(&answer?, &self.transport.read_columns)?;
                let out = columns::head_to_js(&page.head)?;
                columns::put_columns(&out, &page, None);
                let owner = endpoints::job(job_id);
                self.confirmed(page.columns.is_empty(), owner, call, out.into())
            }
            Finish::ExperimentPage {
                experiment_id,
                call,
            } => {
                let page = answer?.decode::<Page<JobMetrics>>()?;
                let owner = endpoints::experiment(experiment_id);
                self.confirmed(page.data.is_empty(), owner, call, to_js(&page)?)
            }
            Finish::Exists { result } => answer.map(|_| result),
            // Never handed to js/exchange.js's `deliver` (see `Transport::send_booked`).
            Finish::Booked(book) => {
                book(answer);
                Ok(JsValue::UNDEFINED)
            }
        }
    }

    /// `result`, or where `empty`, the id of the GET of its `owner` (which ends the call with
    /// `result` if the owner exists).
    fn confirmed(
        &self,
        empty: bool,
        owner: ApiRequest,
        call: CallOptions,
        result: JsValue,
    ) -> Result<JsValue> {
        if !empty {
            return Ok(result);
        }
        let id = self
            .transport
            .start(owner, None, call, Finish::Exists { result })?;
        Ok(JsValue::from_f64(id))
    }
}
