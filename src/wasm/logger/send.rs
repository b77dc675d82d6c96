//! A logger's requests: one append per point, its answer checked, and what Dioptra 1.2.2's
//! refusal of some NaNs means (see [`check_nan_refusal`]).

use std::rc::Rc;

use wasm_bindgen::JsValue;

use super::{journal, LoggerSetup, WasmLogger};
use crate::core::decode::decode_error;
use crate::core::endpoints::{self, ApiRequest, NewMetric};
use crate::core::error::{Error, Result};
use crate::core::queue::{Key, QueuedPoint};
use crate::core::text::{clip, quote};
use crate::core::value::describe_number;
use crate::wasm::http::{date_now, Answer, CallOptions};
use crate::wasm::reader::stored_value;

impl WasmLogger {
    /// Sends `point` with `request`, and books the outcome in the queue (and the journal):
    /// no future of its own, its answer is booked when the exchange hands it back (see
    /// `Transport::send_booked`).
    pub(super) fn send(&self, point: QueuedPoint, request: ApiRequest, keepalive: bool) {
        let call = CallOptions {
            keepalive,
            ..self.setup.call.clone()
        };
        let this = WasmLogger {
            setup: Rc::clone(&self.setup),
            state: Rc::clone(&self.state),
        };
        let again = call.clone();
        let book = Box::new(move |answer| this.answered(point, &again, answer));
        self.setup.transport.send_booked(request, call, book);
    }

    /// Books the `answer` to `point`'s request (sent with `call`). A 500 to a NaN is checked
    /// first (see [`check_nan_refusal`]), which takes one more request.
    fn answered(self, point: QueuedPoint, call: &CallOptions, answer: Result<Answer>) {
        match answer.and_then(|answer| check_answer(&answer, &point)) {
            Ok(()) => self.book(&point, Ok(())),
            Err(error) if refused_nan(&point, &error) => {
                let call = call.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let result = check_nan_refusal(&self.setup, &point, &call, error).await;
                    self.book(&point, result);
                });
            }
            Err(error) => self.book(&point, Err(Failed(error))),
        }
    }

    /// Books what became of `point`'s request, then tells the JavaScript layer.
    fn book(&self, point: &QueuedPoint, result: std::result::Result<(), SendFailure>) {
        {
            let key: Key = point.key();
            let mut state = self.state.borrow_mut();
            state.in_flight = state.in_flight.saturating_sub(1);
            match result {
                Ok(()) => {
                    state.sender.succeeded(&key);
                    journal::stored(&mut state, point);
                }
                Err(NanRefusal(error)) => {
                    let failures = state.sender.refused(&key, error);
                    journal::given_up(&mut state, &failures);
                    self.keep_for_on_error(&mut state, failures);
                }
                Err(Failed(error)) => {
                    let unauthorized = error.clone();
                    let verdict =
                        state
                            .sender
                            .failed(&key, error, date_now(), js_sys::Math::random());
                    if verdict.needs_login {
                        state.login_wanted = true;
                        state.unauthorized = Some(unauthorized);
                    }
                    journal::given_up(&mut state, &verdict.failures);
                    self.keep_for_on_error(&mut state, verdict.failures);
                }
            }
        }
        // The state is released before the callback runs: it may log again.
        let _ = self.setup.notify.call0(&JsValue::UNDEFINED);
    }
}

/// A 2xx answer to an append counts only if it is the point: `{ name, value }` with the name
/// and value sent (a stored -0 reads back as 0).
fn check_answer(answer: &Answer, point: &QueuedPoint) -> Result<()> {
    let stored = crate::wasm::metrics::read_metric(answer)?;
    let value = stored.value.0;
    let same_value = value == point.value || (value.is_nan() && point.value.is_nan());
    if stored.name == point.name && same_value {
        return Ok(());
    }
    Err(decode_error(
        format!(
            "the server answered {}={} for {}={}",
            quote(&clip(&stored.name)),
            describe_number(value),
            clip(&point.name),
            describe_number(point.value)
        ),
        answer.method,
        &answer.path,
    ))
}

/// The request that stores `point`.
pub(super) fn append_request(job_id: u64, point: &QueuedPoint) -> ApiRequest {
    let metric = NewMetric {
        name: point.name.clone(),
        value: point.value,
        step: point.step,
        timestamp: point.timestamp.clone(),
    };
    endpoints::append_metric(job_id, &metric)
}

/// Whether `error` to `point`'s request may be Dioptra 1.2.2's refusal of a NaN (see
/// [`check_nan_refusal`]).
fn refused_nan(point: &QueuedPoint, error: &Error) -> bool {
    point.value.is_nan() && matches!(error, Error::Api(api) if api.status == 500)
}

/// Dioptra 1.2.2 answers 500 when a NaN overwrites a stored (name, step): its update path
/// writes the raw NaN, which SQLite stores as NULL in a NOT NULL column. So a 500 for a NaN
/// is checked by reading the history: NaN already stored (an earlier attempt whose answer
/// was lost) counts as stored; another value stored means the server cannot take this one,
/// and retrying would not help.
async fn check_nan_refusal(
    setup: &LoggerSetup,
    point: &QueuedPoint,
    call: &CallOptions,
    error: Error,
) -> std::result::Result<(), SendFailure> {
    let step = point.step.unwrap_or(0);
    match stored_value(&setup.transport, setup.job_id, &point.name, step, call).await {
        Ok(Some(stored)) if stored.is_nan() => Ok(()),
        Ok(Some(stored)) => {
            let Error::Api(mut api) = error else {
                return Err(Failed(error));
            };
            api.message = format!(
                "Dioptra refused to overwrite {}@{step} (stored value {}) with NaN: its 1.2.2 release answers 500 \
                 to a NaN that replaces a stored value",
                clip(&point.name),
                describe_number(stored)
            );
            Err(NanRefusal(Error::Api(api)))
        }
        // Not stored: a genuine 500 (retried), or the check itself failed (retry the point).
        Ok(None) | Err(_) => Err(Failed(error)),
    }
}

/// Why a request did not store its point.
enum SendFailure {
    /// The request failed: the sender's policy decides (see [`crate::core::sender`]).
    Failed(Error),
    /// Dioptra 1.2.2 cannot store this NaN over the value it holds: no retry can help.
    NanRefusal(Error),
}
use SendFailure::{Failed, NanRefusal};
