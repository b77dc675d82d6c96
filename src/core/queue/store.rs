//! Where the queue's entries live, and the orders it takes them in.
//!
//! Each key held has a slot with its pending entry and its in-flight one. Three ordered
//! indexes of the one [`Pairs`] type point at slots: every held entry by its `first_seq`
//! (what `flush()` waits for), the pending entries that may be sent now by `first_seq`, and
//! those waiting out a retry delay by `not_before`. One B-tree type for the three (and for
//! [`crate::core::keyset`]) keeps one copy of its code in the wasm; so does the map from
//! keys to slots, of the journal's index type ([`NameStepMap`]).

use std::rc::Rc;

use super::{Key, QueuedPoint};
use crate::core::keyset::{NameStep, NameStepMap, Pairs};

/// The latest value for one key and what it settles.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) point: QueuedPoint,
    /// The oldest sequence number this entry settles (its place in the order, too).
    pub(super) first_seq: u64,
    /// Failed attempts so far (for its key: a value that replaces a failed one inherits them).
    pub(super) attempts: u32,
    /// Not to be sent before this time (ms since the epoch), after a failure; 0 when ready.
    pub(super) not_before: u64,
    /// When its key was first logged (ms since the epoch).
    pub(super) logged_at: f64,
    /// When its key's first failed attempt (since the last success) ended, if one did.
    pub(super) failing_since: Option<f64>,
}

/// One key's entries: the one waiting and the one in flight (boxed: few keys are in flight
/// at a time, so an empty slot for it costs a pointer, not an entry).
#[derive(Debug)]
struct Slot {
    key: NameStep,
    pending: Option<Entry>,
    in_flight: Option<Box<Entry>>,
}

/// The entries held, by key and in the three orders (see the module docs). Every operation
/// costs O(log n) in the entries held, plus the few keys in flight that a search skips.
#[derive(Debug, Default)]
pub(super) struct Store {
    slot_of: NameStepMap,
    slots: Vec<Slot>,
    /// Slots of keys no longer held, to reuse.
    free: Vec<usize>,
    /// Every held entry (pending or in flight) as (`first_seq`, slot).
    order: Pairs,
    /// Pending entries that may be sent now, as (`first_seq`, slot).
    ready: Pairs,
    /// Pending entries waiting out a retry delay, as (`not_before`, slot).
    delayed: Pairs,
    pending: usize,
    in_flight: usize,
}

impl Store {
    /// Entries waiting to be sent.
    pub(super) fn pending_len(&self) -> usize {
        self.pending
    }

    /// Entries in flight.
    pub(super) fn in_flight_len(&self) -> usize {
        self.in_flight
    }

    fn slot(&self, at: usize) -> Option<&Slot> {
        self.slots.get(at)
    }

    fn slot_mut(&mut self, at: usize) -> Option<&mut Slot> {
        self.slots.get_mut(at)
    }

    /// The slot of `key`, if it is held.
    pub(super) fn find(&self, key: &Key) -> Option<usize> {
        self.find_name_step(&(Rc::from(key.0.as_str()), key.1))
    }

    fn find_name_step(&self, key: &NameStep) -> Option<usize> {
        self.slot_of.get(key).map(|at| *at as usize)
    }

    /// The pending entry in slot `at`, to update in place.
    pub(super) fn pending_mut(&mut self, at: usize) -> Option<&mut Entry> {
        self.slot_mut(at)?.pending.as_mut()
    }

    /// Whether slot `at` has a pending entry.
    pub(super) fn has_pending(&self, at: usize) -> bool {
        self.slot(at).is_some_and(|slot| slot.pending.is_some())
    }

    /// The first sequence number still held.
    pub(super) fn oldest(&self) -> Option<u64> {
        self.order.first().map(|(seq, _)| *seq)
    }

    /// Puts `entry` among the pending ones of its key, ready or delayed; gives its slot.
    pub(super) fn hold_new(&mut self, entry: Entry) -> usize {
        let key: NameStep = (
            Rc::from(entry.point.name.as_str()),
            entry.point.step.unwrap_or(0),
        );
        let at = match self.find_name_step(&key) {
            Some(at) => at,
            None => {
                let slot = Slot {
                    key: key.clone(),
                    pending: None,
                    in_flight: None,
                };
                let at = match self.free.pop() {
                    Some(at) => {
                        if let Some(free) = self.slots.get_mut(at) {
                            *free = slot;
                        }
                        at
                    }
                    None => {
                        self.slots.push(slot);
                        self.slots.len() - 1
                    }
                };
                self.slot_of.insert(key, at as u64);
                at
            }
        };
        self.hold(at, entry);
        at
    }

    /// Puts `entry` among the pending ones of slot `at`, ready or delayed.
    pub(super) fn hold(&mut self, at: usize, entry: Entry) {
        let slot_id = at as u64;
        self.order.insert((entry.first_seq, slot_id));
        if entry.not_before == 0 {
            self.ready.insert((entry.first_seq, slot_id));
        } else {
            self.delayed.insert((entry.not_before, slot_id));
        }
        if let Some(slot) = self.slot_mut(at) {
            if slot.pending.replace(entry).is_none() {
                self.pending += 1;
            }
        }
    }

    /// Takes the pending entry of slot `at` out of every index. (Call [`Self::tidy`] once
    /// the key's entries are settled.)
    pub(super) fn release(&mut self, at: usize) -> Option<Entry> {
        let entry = self.slot_mut(at)?.pending.take()?;
        self.pending -= 1;
        let slot_id = at as u64;
        self.order.remove(&(entry.first_seq, slot_id));
        self.ready.remove(&(entry.first_seq, slot_id));
        self.delayed.remove(&(entry.not_before, slot_id));
        Some(entry)
    }

    /// Takes the in-flight entry of slot `at` out (then [`Self::tidy`], as for
    /// [`Self::release`]).
    pub(super) fn take_in_flight(&mut self, at: usize) -> Option<Entry> {
        let entry = *self.slot_mut(at)?.in_flight.take()?;
        self.in_flight -= 1;
        self.order.remove(&(entry.first_seq, at as u64));
        Some(entry)
    }

    /// Frees slot `at` if it holds nothing any more.
    pub(super) fn tidy(&mut self, at: usize) {
        let Some(slot) = self.slots.get_mut(at) else {
            return;
        };
        if slot.pending.is_none() && slot.in_flight.is_none() {
            let key = std::mem::replace(&mut slot.key, (Rc::from(""), 0));
            self.slot_of.remove(&key);
            self.free.push(at);
        }
    }

    /// Moves the pending entry of slot `at` to in flight; gives its point.
    fn send_at(&mut self, at: usize) -> Option<QueuedPoint> {
        let entry = self.release(at)?;
        self.order.insert((entry.first_seq, at as u64));
        let point = entry.point.clone();
        self.slot_mut(at)?.in_flight = Some(Box::new(entry));
        self.in_flight += 1;
        Some(point)
    }

    /// Whether the slot of an index pair has no entry in flight.
    fn not_in_flight(&self, slot_id: u64) -> bool {
        self.slot(slot_id as usize)
            .is_some_and(|slot| slot.in_flight.is_none())
    }

    /// Moves the delayed entries whose time has come to the ready ones.
    fn promote(&mut self, now: f64) {
        while let Some(&(not_before, slot_id)) = self.delayed.first() {
            if not_before as f64 > now {
                break;
            }
            self.delayed.remove(&(not_before, slot_id));
            let seq = self
                .slot(slot_id as usize)
                .and_then(|slot| slot.pending.as_ref())
                .map(|entry| entry.first_seq);
            if let Some(seq) = seq {
                self.ready.insert((seq, slot_id));
            }
        }
    }

    /// The earliest-logged pending entry at `now` that is not waiting out a retry delay and
    /// whose key is not in flight, moved to in flight; its point.
    pub(super) fn send_next(&mut self, now: f64) -> Option<QueuedPoint> {
        self.promote(now);
        // Keys in flight are skipped: at most as many as there are requests under way.
        let (_, slot_id) = *self
            .ready
            .iter()
            .find(|(_, slot_id)| self.not_in_flight(*slot_id))?;
        self.send_at(slot_id as usize)
    }

    /// The earliest-logged pending entry whose key is not in flight, whatever retry delay it
    /// waits out, moved to in flight; its point.
    pub(super) fn send_oldest(&mut self) -> Option<QueuedPoint> {
        let (_, slot_id) = *self.order.iter().find(|(_, slot_id)| {
            self.slot(*slot_id as usize)
                .is_some_and(|slot| slot.pending.is_some() && slot.in_flight.is_none())
        })?;
        self.send_at(slot_id as usize)
    }

    /// The held entries (pending or in flight) that settle sequence numbers up to `mark`, in
    /// the order logged.
    pub(super) fn held_up_to(&self, mark: u64) -> impl Iterator<Item = &Entry> {
        self.order
            .range(..=(mark, u64::MAX))
            .filter_map(|&(seq, slot_id)| {
                let slot = self.slot(slot_id as usize)?;
                let in_flight = slot.in_flight.as_deref();
                [slot.pending.as_ref(), in_flight]
                    .into_iter()
                    .flatten()
                    .find(|entry| entry.first_seq == seq)
            })
    }

    /// How many held entries settle sequence numbers up to `mark`.
    pub(super) fn count_held_up_to(&self, mark: u64) -> usize {
        self.order.range(..=(mark, u64::MAX)).count()
    }

    /// The pending entries (not in flight) for which `pick` holds, in the order logged: their
    /// slots.
    pub(super) fn pending_where(&self, pick: impl Fn(&Entry) -> bool) -> Vec<usize> {
        self.order
            .iter()
            .map(|&(_, slot_id)| slot_id as usize)
            .filter(|at| {
                self.slot(*at).is_some_and(|slot| {
                    slot.in_flight.is_none() && slot.pending.as_ref().is_some_and(&pick)
                })
            })
            .collect()
    }

    /// How long until a pending entry may be sent (0 if one may now), or `None` if every
    /// pending key is in flight, or nothing waits.
    pub(super) fn next_due_in(&self, now: f64) -> Option<f64> {
        if self
            .ready
            .iter()
            .any(|(_, slot_id)| self.not_in_flight(*slot_id))
        {
            return Some(0.0);
        }
        self.delayed
            .iter()
            .find(|(_, slot_id)| self.not_in_flight(*slot_id))
            .map(|&(not_before, _)| (not_before as f64 - now).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, step: i64, seq: u64) -> Entry {
        Entry {
            point: QueuedPoint {
                name: name.to_owned(),
                value: 1.0,
                step: Some(step),
                timestamp: None,
            },
            first_seq: seq,
            attempts: 0,
            not_before: 0,
            logged_at: 0.0,
            failing_since: None,
        }
    }

    #[test]
    fn settled_keys_give_their_slots_back() {
        let mut store = Store::default();
        let mut seq = 0;
        for round in 0..100 {
            for step in 0..10 {
                seq += 1;
                store.hold_new(entry("m", round * 10 + step, seq));
            }
            while let Some(point) = store.send_next(0.0) {
                let at = store.find(&point.key()).unwrap();
                assert!(store.take_in_flight(at).is_some());
                store.tidy(at);
            }
            assert_eq!((store.pending_len(), store.in_flight_len()), (0, 0));
            assert!(store.slot_of.is_empty() && store.order.is_empty());
        }
        assert_eq!(
            store.slots.len(),
            10,
            "slots of settled keys were not reused"
        );
    }

    #[test]
    fn a_key_in_flight_keeps_its_slot_for_a_newer_value() {
        let mut store = Store::default();
        let first = store.hold_new(entry("m", 0, 1));
        assert_eq!(store.send_next(0.0).map(|p| p.value), Some(1.0));
        assert_eq!(store.hold_new(entry("m", 0, 2)), first);
        assert_eq!(store.send_next(0.0), None, "a key in flight went out twice");
        store.tidy(first);
        assert_eq!(store.find(&("m".to_owned(), 0)), Some(first));
        assert_eq!(
            store.held_up_to(2).map(|e| e.first_seq).collect::<Vec<_>>(),
            [1, 2]
        );
    }
}
