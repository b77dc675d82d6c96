//! Requests sent without a future (the one-shot calls of src/wasm/calls.rs): [`Transport::start`]
//! sends one at once where a slot is free (else [`Transport::send_when_free`] sends it once one
//! is), the exchange hands the reply to js/exchange.js's `deliver(id, reply)`, and
//! [`Transport::finish`] reads it. Each request is kept here under its id until then, with
//! what its call makes of the answer ([`Finish`]).

use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::{Answer, CallOptions, Transport};
use crate::core::endpoints::ApiRequest;
use crate::core::error::{Error, Result};
use crate::wasm::calls::Finish;
use crate::wasm::slot::Slot;

/// A request to send: what, with which body (a JavaScript string where it must not enter the
/// wasm memory, e.g. a password), how, and what its call makes of the answer.
pub struct Pending {
    request: ApiRequest,
    body: Option<JsValue>,
    call: CallOptions,
    finish: Finish,
}

/// A request sent, until its answer is read: what its errors name, its slot, and what its
/// call makes of the answer.
pub struct Started {
    method: &'static str,
    path: String,
    timeout_ms: f64,
    finish: Finish,
    _slot: Slot,
}

/// The requests of [`Transport::start`], by id: those sent, and those waiting for a slot (a
/// few dozen at most: linear searches).
#[derive(Default)]
pub struct StartedRequests {
    sent: Vec<(u32, Started)>,
    waiting: Vec<(u32, Pending)>,
    next: u32,
}

impl StartedRequests {
    /// A new request's id (never 0).
    fn next_id(&mut self) -> u32 {
        self.next = self.next.checked_add(1).unwrap_or(1);
        self.next
    }
}

/// `(id, item)` of `list` under `id`, no longer in it.
fn take<T>(list: &mut Vec<(u32, T)>, id: u32) -> Option<T> {
    let at = list.iter().position(|(key, _)| *key == id)?;
    Some(list.swap_remove(at).1)
}

impl Transport {
    /// Sends `request` (with `body` in place of its own, if given) now if a slot is free:
    /// its id; else keeps it and answers minus its id (send it with
    /// [`Transport::send_when_free`]). An abort error, and nothing kept, if the caller's
    /// signal has fired already.
    pub fn start(
        &self,
        request: ApiRequest,
        body: Option<JsValue>,
        call: CallOptions,
        finish: Finish,
    ) -> Result<f64> {
        if call.signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Err(self.abort_error(&request));
        }
        let id = self.started.borrow_mut().next_id();
        let pending = Pending {
            request,
            body,
            call,
            finish,
        };
        // A slot only if nobody waits for one: first come, first served.
        match Slot::try_take(&self.limiter) {
            Some(slot) => {
                self.send_pending(id, pending, slot);
                Ok(f64::from(id))
            }
            None => {
                self.started.borrow_mut().waiting.push((id, pending));
                Ok(-f64::from(id))
            }
        }
    }

    /// Sends the request [`Transport::start`] kept as `id` once a slot is free (its time
    /// limit starts then); an abort error, and nothing sent, if the caller's signal fires
    /// first.
    pub async fn send_when_free(&self, id: u32) -> Result<()> {
        let Some(pending) = take(&mut self.started.borrow_mut().waiting, id) else {
            return Err(unknown(id));
        };
        let call = &pending.call;
        match Slot::take(&self.limiter, call.keepalive, call.signal.as_ref()).await {
            Some(slot) => {
                self.send_pending(id, pending, slot);
                Ok(())
            }
            None => Err(self.abort_error(&pending.request)),
        }
    }

    /// The answer to request `id` from the exchange's `reply` (its slot freed), with what its
    /// call makes of it.
    pub fn finish(&self, id: u32, reply: &JsValue) -> Result<(Finish, Result<Answer>)> {
        let Some(started) = take(&mut self.started.borrow_mut().sent, id) else {
            return Err(unknown(id));
        };
        let Started {
            method,
            path,
            timeout_ms,
            finish,
            _slot,
        } = started;
        let outcome = self.answer(reply, method, path, timeout_ms);
        Ok((finish, self.conclude(outcome)))
    }

    /// One call of the exchange for `pending`, which holds `slot` until its answer is read.
    fn send_pending(&self, id: u32, pending: Pending, slot: Slot) {
        let Pending {
            request,
            body,
            call,
            finish,
        } = pending;
        let out = self.outgoing(&request);
        let body = body.or_else(|| request.body.as_deref().map(JsValue::from_str));
        self.call_exchange(
            &out,
            &self.deliver,
            id,
            body.as_ref(),
            call.timeout_ms,
            call.signal.as_ref(),
            call.keepalive,
        );
        // Kept after the call: the reply reaches `finish` only once this has returned (the
        // exchange is asynchronous, and js/exchange.js holds an early reply until asked).
        let started = Started {
            method: out.method,
            path: out.path,
            timeout_ms: call.timeout_ms,
            finish,
            _slot: slot,
        };
        self.started.borrow_mut().sent.push((id, started));
    }

    /// The error of a request whose caller's signal fired before it was sent.
    pub(super) fn abort_error(&self, request: &ApiRequest) -> Error {
        Error::Abort {
            method: request.method.as_str().to_owned(),
            path: request.full_path(&self.base),
        }
    }
}

/// The error for an id js/exchange.js handed back that no request has (a bug, not a network
/// failure: reported rather than trapped).
fn unknown(id: u32) -> Error {
    Error::Network {
        message: format!("no request {id} of this client is in flight"),
        method: String::new(),
        path: String::new(),
    }
}
