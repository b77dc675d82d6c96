//! A bound on the requests one client has in flight at once: a first-come, first-served
//! semaphore for one thread (wasm has one), whose waiting callers are futures.
//!
//! [`Limiter::acquire`] resolves to a [`Permit`] once a slot is free; dropping the permit frees
//! the slot and hands it to the longest-waiting caller. A caller that gives up waiting (its
//! future is dropped) leaves the queue, and a slot it was handed in the meantime passes on.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Slots shared by every request of one client.
#[derive(Clone)]
pub struct Limiter {
    shared: Rc<Shared>,
}

struct Shared {
    /// The most slots in use at once (forced ones aside).
    max: usize,
    /// Slots in use, counting those handed to a waiter that has not yet woken up.
    in_use: Cell<usize>,
    /// Callers waiting for a slot, longest-waiting first.
    waiting: RefCell<VecDeque<Rc<Waiter>>>,
}

/// One waiting caller.
#[derive(Default)]
struct Waiter {
    /// A slot was handed to this waiter.
    granted: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Limiter {
    /// A limiter of `max` slots (at least one).
    pub fn new(max: usize) -> Limiter {
        Limiter {
            shared: Rc::new(Shared {
                max: max.max(1),
                in_use: Cell::new(0),
                waiting: RefCell::new(VecDeque::new()),
            }),
        }
    }

    /// The most slots in use at once.
    pub fn max(&self) -> usize {
        self.shared.max
    }

    /// Slots in use now.
    pub fn in_use(&self) -> usize {
        self.shared.in_use.get()
    }

    /// Callers waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.shared.waiting.borrow().len()
    }

    /// A slot now, if one is free and nobody is waiting for it.
    pub fn try_acquire(&self) -> Option<Permit> {
        let shared = &self.shared;
        if shared.in_use.get() < shared.max && shared.waiting.borrow().is_empty() {
            shared.in_use.set(shared.in_use.get() + 1);
            Some(self.permit())
        } else {
            None
        }
    }

    /// A slot, once one is free (callers are served in the order they asked).
    pub fn acquire(&self) -> Acquire {
        Acquire {
            limiter: self.clone(),
            waiter: None,
            done: false,
        }
    }

    /// A slot at once, even past the bound: for a request that cannot wait (one sent while
    /// a page goes away). It still counts, so others wait until the count is back under.
    pub fn force(&self) -> Permit {
        self.shared.in_use.set(self.shared.in_use.get() + 1);
        self.permit()
    }

    fn permit(&self) -> Permit {
        Permit {
            limiter: self.clone(),
        }
    }

    /// Frees one slot: to the longest waiter if the count allows, else back to the pool.
    fn release(&self) {
        let shared = &self.shared;
        if shared.in_use.get() <= shared.max {
            let next = shared.waiting.borrow_mut().pop_front();
            if let Some(waiter) = next {
                waiter.granted.set(true);
                if let Some(waker) = waiter.waker.borrow_mut().take() {
                    waker.wake();
                }
                return; // The slot changes hands: still in use.
            }
        }
        shared.in_use.set(shared.in_use.get().saturating_sub(1));
    }
}

/// A slot in use; dropping it frees the slot.
pub struct Permit {
    limiter: Limiter,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.release();
    }
}

/// The future of [`Limiter::acquire`].
pub struct Acquire {
    limiter: Limiter,
    waiter: Option<Rc<Waiter>>,
    done: bool,
}

impl Future for Acquire {
    type Output = Permit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit> {
        let this = &mut *self;
        match &this.waiter {
            None => {
                if let Some(permit) = this.limiter.try_acquire() {
                    this.done = true;
                    return Poll::Ready(permit);
                }
                let waiter = Rc::new(Waiter::default());
                *waiter.waker.borrow_mut() = Some(cx.waker().clone());
                this.limiter
                    .shared
                    .waiting
                    .borrow_mut()
                    .push_back(Rc::clone(&waiter));
                this.waiter = Some(waiter);
                Poll::Pending
            }
            Some(waiter) if waiter.granted.get() => {
                this.done = true;
                Poll::Ready(this.limiter.permit())
            }
            Some(waiter) => {
                *waiter.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let Some(waiter) = &self.waiter else {
            return;
        };
        if waiter.granted.get() {
            // Handed a slot it will not use: pass it on.
            self.limiter.release();
        } else {
            self.limiter
                .shared
                .waiting
                .borrow_mut()
                .retain(|w| !Rc::ptr_eq(w, waiter));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    /// Counts its wake-ups.
    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll(future: &mut Acquire, counter: &Arc<Counter>) -> Option<Permit> {
        let waker = Waker::from(Arc::clone(counter));
        match Pin::new(future).poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(permit) => Some(permit),
            Poll::Pending => None,
        }
    }

    fn counter() -> Arc<Counter> {
        Arc::new(Counter(AtomicUsize::new(0)))
    }

    #[test]
    fn at_most_max_slots_then_first_come_first_served() {
        let limiter = Limiter::new(2);
        let wakes = counter();
        let a = poll(&mut limiter.acquire(), &wakes).unwrap();
        let b = poll(&mut limiter.acquire(), &wakes).unwrap();
        let mut c = limiter.acquire();
        let mut d = limiter.acquire();
        assert!(poll(&mut c, &wakes).is_none());
        assert!(poll(&mut d, &wakes).is_none());
        assert!(limiter.try_acquire().is_none());
        assert_eq!((limiter.in_use(), limiter.waiting()), (2, 2));
        drop(b);
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
        assert!(poll(&mut d, &wakes).is_none(), "d jumped the queue");
        let c = poll(&mut c, &wakes).unwrap();
        assert_eq!((limiter.in_use(), limiter.waiting()), (2, 1));
        drop(a);
        let d = poll(&mut d, &wakes).unwrap();
        drop((c, d));
        assert_eq!((limiter.in_use(), limiter.waiting()), (0, 0));
    }

    #[test]
    fn a_caller_that_stops_waiting_leaves_the_queue() {
        let limiter = Limiter::new(1);
        let wakes = counter();
        let a = poll(&mut limiter.acquire(), &wakes).unwrap();
        let mut gone = limiter.acquire();
        assert!(poll(&mut gone, &wakes).is_none());
        let mut next = limiter.acquire();
        assert!(poll(&mut next, &wakes).is_none());
        drop(gone);
        assert_eq!(limiter.waiting(), 1);
        drop(a);
        assert!(poll(&mut next, &wakes).is_some());
    }

    #[test]
    fn a_slot_handed_to_a_caller_that_left_passes_on() {
        let limiter = Limiter::new(1);
        let wakes = counter();
        let a = poll(&mut limiter.acquire(), &wakes).unwrap();
        let mut gone = limiter.acquire();
        let mut next = limiter.acquire();
        assert!(poll(&mut gone, &wakes).is_none());
        assert!(poll(&mut next, &wakes).is_none());
        drop(a); // handed to `gone`...
        drop(gone); // ...which never takes it.
        let permit = poll(&mut next, &wakes).unwrap();
        assert_eq!(limiter.in_use(), 1);
        drop(permit);
        assert_eq!(limiter.in_use(), 0);
        // A never-polled future holds nothing.
        drop(limiter.acquire());
        assert!(limiter.try_acquire().is_some());
    }

    #[test]
    fn forced_slots_count_and_do_not_hand_over_past_the_bound() {
        let limiter = Limiter::new(1);
        let wakes = counter();
        let a = limiter.force();
        let b = limiter.force();
        let mut waiting = limiter.acquire();
        assert!(poll(&mut waiting, &wakes).is_none());
        drop(a);
        assert!(
            poll(&mut waiting, &wakes).is_none(),
            "two in use with a bound of 1"
        );
        drop(b);
        assert!(poll(&mut waiting, &wakes).is_some());
    }

    #[test]
    fn zero_means_one() {
        let limiter = Limiter::new(0);
        assert_eq!(limiter.max(), 1);
        let _held = limiter.try_acquire().unwrap();
        assert!(limiter.try_acquire().is_none());
    }
}
