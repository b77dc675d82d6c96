//! Waiting for js/exchange.js's `exchange` without a promise of its own: the exchange hands its
//! reply to one JavaScript function made once ([`Reply::deliver`]) with the id of the request,
//! and the [`Reply`] future waiting under that id wakes. A `JsFuture` would cost every request
//! a `then` and two closures (each made, registered for finalization, and dropped).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;

/// Where the reply of one request stands.
enum State {
    /// Not here yet; the waker of the future waiting for it, once polled.
    Waiting(Option<Waker>),
    /// Here, not yet taken.
    Done(JsValue),
}

thread_local! {
    /// The replies of the requests in flight, by id (a few dozen at most: a linear search).
    static PENDING: RefCell<Vec<(u32, State)>> = const { RefCell::new(Vec::new()) };
    /// The next request's id.
    static NEXT: Cell<u32> = const { Cell::new(0) };
    /// [`deliver`] as one JavaScript function, made once.
    static DELIVER: JsValue = Closure::<dyn Fn(u32, JsValue)>::new(deliver).into_js_value();
}

/// Stores `reply` for request `id` and wakes its future (a reply nobody waits for is dropped).
fn deliver(id: u32, reply: JsValue) {
    let waker = PENDING.with_borrow_mut(|pending| {
        let (_, state) = pending.iter_mut().find(|(key, _)| *key == id)?;
        match std::mem::replace(state, State::Done(reply)) {
            State::Waiting(waker) => waker,
            State::Done(_) => None,
        }
    });
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// The reply of one request, awaited: `undefined` if it can never come.
pub struct Reply {
    id: u32,
}

impl Reply {
    /// Waits for a new request's reply (its id is [`Reply::id`]).
    pub fn new() -> Reply {
        let id = NEXT.with(|next| {
            let id = next.get();
            next.set(id.wrapping_add(1));
            id
        });
        PENDING.with_borrow_mut(|pending| pending.push((id, State::Waiting(None))));
        Reply { id }
    }

    /// The id the exchange hands back with its reply.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The function the exchange calls with `(id, reply)`.
    pub fn deliver() -> JsValue {
        DELIVER.with(JsValue::clone)
    }
}

impl Future for Reply {
    type Output = JsValue;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<JsValue> {
        let id = self.id;
        PENDING.with_borrow_mut(|pending| {
            let Some(at) = pending.iter().position(|(key, _)| *key == id) else {
                return Poll::Ready(JsValue::UNDEFINED);
            };
            if let Some((_, State::Waiting(waker))) = pending.get_mut(at) {
                *waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
            match pending.swap_remove(at) {
                (_, State::Done(reply)) => Poll::Ready(reply),
                (_, State::Waiting(_)) => Poll::Ready(JsValue::UNDEFINED),
            }
        })
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        let id = self.id;
        PENDING.with_borrow_mut(|pending| pending.retain(|(key, _)| *key != id));
    }
}
