//! A request's slot under its client's bound on requests in flight: taken at once when one is
//! free, else waited for (first come, first served) until the caller's signal fires; freed
//! after the request is over (in Node, a `setImmediate` later).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::core::limiter::{Acquire, Limiter, Permit};

#[wasm_bindgen]
extern "C" {
    /// `queueMicrotask` (every runtime).
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &JsValue);
}

/// `setImmediate`, where the runtime has it (Node, Bun), else `queueMicrotask`: a browser
/// frees at once (hidden tabs throttle timers to once a second or less, which would throttle
/// the requests too).
fn after_this_turn(callback: &JsValue) {
    SET_IMMEDIATE.with(|set_immediate| match set_immediate {
        Some(set_immediate) => {
            let _ = set_immediate.call1(&JsValue::UNDEFINED, callback);
        }
        None => queue_microtask(callback),
    });
}

/// Frees the slots in [`RELEASES`].
fn release_pending() {
    // Taken out first: nothing stays borrowed while the slots change hands.
    drop(RELEASES.with_borrow_mut(std::mem::take));
}

thread_local! {
    /// [`release_pending`] as one JavaScript function, made once (not a closure per request).
    static RELEASE: JsValue = Closure::<dyn Fn()>::new(release_pending).into_js_value();
    /// The global `setImmediate`, looked up once.
    static SET_IMMEDIATE: Option<js_sys::Function> =
        js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("setImmediate"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
}

/// A slot held by one request, freed after the request is over: in Node a `setImmediate`
/// later, because Node's fetch (undici) marks a connection free for its next request only in
/// a `setImmediate` after the
/// answer has ended: a request sent at once would open one more connection, and the bound on
/// requests would not bound connections. The caller gets its answer without that wait.
pub struct Slot(Option<Permit>);

impl Slot {
    /// A slot of `limiter`: at once if one is free, else once one is; `None` if `signal`
    /// fires while it waits. A `keepalive` request (sent as a page goes away) cannot wait: it
    /// takes a slot past the bound.
    pub async fn take(
        limiter: &Limiter,
        keepalive: bool,
        signal: Option<&AbortSignal>,
    ) -> Option<Slot> {
        if let Some(slot) = Slot::try_take(limiter, keepalive) {
            return Some(slot);
        }
        let permit = match signal {
            None => limiter.acquire().await,
            Some(signal) => AbortableWait::new(limiter.acquire(), signal).await?,
        };
        Some(Slot(Some(permit)))
    }

    /// A slot of `limiter` now, if one is free and nobody is waiting for one; a `keepalive`
    /// request's in any case (see [`Slot::take`]).
    pub fn try_take(limiter: &Limiter, keepalive: bool) -> Option<Slot> {
        let permit = if keepalive {
            Some(limiter.force())
        } else {
            limiter.try_acquire()
        };
        permit.map(|permit| Slot(Some(permit)))
    }
}

thread_local! {
    /// Slots to free on the next macrotask; one timer frees them all.
    static RELEASES: RefCell<Vec<Permit>> = const { RefCell::new(Vec::new()) };
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(permit) = self.0.take() else {
            return;
        };
        let first = RELEASES.with_borrow_mut(|pending| {
            pending.push(permit);
            pending.len() == 1
        });
        if first {
            RELEASE.with(after_this_turn);
        }
    }
}

/// Waiting for a slot until the caller's signal fires. The listener it puts on the signal is
/// removed when the wait is over, whichever way it ends.
struct AbortableWait {
    acquire: Acquire,
    signal: AbortSignal,
    fired: Rc<Fired>,
    listener: Closure<dyn FnMut()>,
}

#[derive(Default)]
struct Fired {
    yes: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl AbortableWait {
    fn new(acquire: Acquire, signal: &AbortSignal) -> AbortableWait {
        let fired = Rc::new(Fired::default());
        let listener = {
            let fired = Rc::clone(&fired);
            Closure::new(move || {
                fired.yes.set(true);
                if let Some(waker) = fired.waker.borrow_mut().take() {
                    waker.wake();
                }
            })
        };
        let _ = signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        AbortableWait {
            acquire,
            signal: signal.clone(),
            fired,
            listener,
        }
    }
}

impl Future for AbortableWait {
    type Output = Option<Permit>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Permit>> {
        if self.fired.yes.get() || self.signal.aborted() {
            return Poll::Ready(None);
        }
        *self.fired.waker.borrow_mut() = Some(cx.waker().clone());
        Pin::new(&mut self.acquire).poll(cx).map(Some)
    }
}

impl Drop for AbortableWait {
    fn drop(&mut self) {
        let _ = self
            .signal
            .remove_event_listener_with_callback("abort", self.listener.as_ref().unchecked_ref());
    }
}
