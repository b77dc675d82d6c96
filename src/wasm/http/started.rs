//! Requests sent without a future of their own (the one-shot calls of src/wasm/calls.rs, a
//! logger's points): [`Transport::start`] sends one at once where a slot is free (else
//! [`Transport::send_when_free`] sends it once one is), the exchange hands the reply to
//! js/exchange.js's `deliver(id, reply)`, and [`Transport::finish`] reads it. Each request is
//! kept here under its id until then, with what its call makes of the answer ([`Finish`]).
//! A request of Rust's own ([`Transport::send_booked`]) has its reply handed straight back to
//! the transport, which books it.

use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::{Answer, CallOptions, Transport};
use crate::core::endpoints::ApiRequest;
use crate::core::error::{Error, Result};
use crate::wasm::calls::{Book, Finish};
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

/// The requests of [`Transport::start`], by id: those sent (no more than the client's slots
/// and a page's last keepalive requests: a linear search), and those waiting for a slot (as
/// many as the caller starts at once, taken back in the order they were kept: the first
/// usually matches).
#[derive(Default)]
pub struct StartedRequests {
    sent: Vec<(u32, Started)>,
    waiting: VecDeque<(u32, Pending)>,
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

/// The request kept waiting as `id`, no longer kept (near the front: O(1) when taken in order).
fn take_waiting(list: &mut VecDeque<(u32, Pending)>, id: u32) -> Option<Pending> {
    let at = list.iter().position(|(key, _)| *key == id)?;
    list.remove(at).map(|(_, pending)| pending)
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
        self.check_unaborted(&request, &call)?;
        let id = self.started.borrow_mut().next_id();
        let pending = Pending {
            request,
            body,
            call,
            finish,
        };
        Ok(self.send_or_keep(id, pending))
    }

    /// Sends `request` of Rust's own now or once a slot is free, and hands its answer to
    /// `book` (an abort error if the caller's signal fires before it is sent).
    pub fn send_booked(self: &Rc<Self>, request: ApiRequest, call: CallOptions, book: Book) {
        if let Err(error) = self.check_unaborted(&request, &call) {
            return book(Err(error));
        }
        let id = self.started.borrow_mut().next_id();
        let pending = Pending {
            request,
            body: None,
            call,
            finish: Finish::Booked(book),
        };
        if self.send_or_keep(id, pending) < 0.0 {
            let transport = Rc::clone(self);
            // Its answer, an abort error included, goes to `book`: nothing to hear here.
            wasm_bindgen_futures::spawn_local(async move {
                let _ = transport.send_when_free(id).await;
            });
        }
    }

    /// Sends `pending` as request `id` if a slot is free (first come, first served: none is
    /// while others wait): `id`; else keeps it for [`Transport::send_when_free`]: `-id`.
    fn send_or_keep(&self, id: u32, pending: Pending) -> f64 {
        match Slot::try_take(&self.limiter, pending.call.keepalive) {
            Some(slot) => {
                self.send_pending(id, pending, slot);
                f64::from(id)
            }
            None => {
                self.started.borrow_mut().waiting.push_back((id, pending));
                -f64::from(id)
            }
        }
    }

    /// Sends the request [`Transport::start`] kept as `id` once a slot is free (its time
    /// limit starts then); an abort error, and nothing sent, if the caller's signal fires
    /// first.
    pub async fn send_when_free(&self, id: u32) -> Result<()> {
        let Some(pending) = take_waiting(&mut self.started.borrow_mut().waiting, id) else {
            return Err(unknown(id));
        };
        let call = &pending.call;
        match Slot::take(&self.limiter, call.keepalive, call.signal.as_ref()).await {
            Some(slot) => {
                self.send_pending(id, pending, slot);
                Ok(())
            }
            None => {
                let error = self.abort_error(&pending.request);
                match pending.finish {
                    Finish::Booked(book) => {
                        book(Err(error));
                        Ok(())
                    }
                    _ => Err(error),
                }
            }
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
        let mut out = self.outgoing(&request);
        let body = body.or_else(|| request.body.as_deref().map(JsValue::from_str));
        let booked = matches!(finish, Finish::Booked(_));
        // Kept before the exchange is called: a `fetch` that throws at once delivers the
        // reply before the call returns.
        let started = Started {
            method: out.method,
            path: std::mem::take(&mut out.path),
            timeout_ms: call.timeout_ms,
            finish,
            _slot: slot,
        };
        self.started.borrow_mut().sent.push((id, started));
        let deliver = if booked {
            &self.book_deliver
        } else {
            &self.deliver
        };
        self.call_exchange(
            &out,
            deliver,
            id,
            body.as_ref(),
            call.timeout_ms,
            call.signal.as_ref(),
            call.keepalive,
        );
    }

    /// An abort error, and nothing to send, if the caller's signal has fired already.
    pub(super) fn check_unaborted(&self, request: &ApiRequest, call: &CallOptions) -> Result<()> {
        if call.signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Err(self.abort_error(request));
        }
        Ok(())
    }

    /// The error of a request whose caller's signal fired before it was sent.
    pub(super) fn abort_error(&self, request: &ApiRequest) -> Error {
        Error::Abort {
            method: request.method.as_str().to_owned(),
            path: request.full_path(&self.base),
        }
    }
}

/// The exchange's callback for the requests of [`Transport::send_booked`]: their answers
/// booked at once, by the transport that sent them (held weakly: it holds this function).
pub fn book_deliver(transport: Weak<Transport>) -> JsValue {
    Closure::<dyn Fn(u32, JsValue)>::new(move |id: u32, reply: JsValue| {
        let Some(transport) = transport.upgrade() else {
            return;
        };
        if let Ok((Finish::Booked(book), answer)) = transport.finish(id, &reply) {
            book(answer);
        }
    })
    .into_js_value()
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
