//! A set of integer keys held as runs of consecutive keys: a complete read's record of the
//! steps (or job ids) it handed out. A history's steps are nearly always consecutive, so
//! 100,000 of them take a few entries here where a hash set takes ~1.2 MB of wasm memory
//! (which never shrinks).
//!
//! Also home of the core's shared collection types, [`Pairs`] (its one ordered collection)
//! and [`NameStep`] (its one hash-map key): every B-tree or hash-map instantiation brings
//! its own search, insert, remove, iteration and drop code into the wasm (5 to 10 KB for a
//! B-tree, about 2 KB for a hash map), so the users share one of each.

use std::collections::BTreeSet;
use std::rc::Rc;

/// The core's one ordered collection: a set of `(u64, u64)` pairs, in order of the first
/// then the second. O(log n) to insert, remove and find the pairs around a value.
pub type Pairs = BTreeSet<(u64, u64)>;

/// A metric's (name, step) as the core's hash maps key it (the logger queue's slots and the
/// journal's index, both to `u64`): one key type, so one hash map's code in the wasm. The
/// name is shared with whatever else holds it.
pub type NameStep = (Rc<str>, i64);

/// A key that is an integer: its place among the `u64`s (one-to-one, so one set type serves
/// every key).
pub trait RunKey: Copy + Eq {
    /// This key as a `u64`.
    fn run_key(self) -> u64;
}

impl RunKey for i64 {
    /// The sign bit flipped: one-to-one and in order (`i64::MIN` is 0).
    fn run_key(self) -> u64 {
        (self as u64) ^ (1 << 63)
    }
}

impl RunKey for u64 {
    fn run_key(self) -> u64 {
        self
    }
}

/// A set of keys as disjoint runs `start ..= end`, none adjacent to another.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    /// The runs, as (start, end) by [`RunKey::run_key`], but the open one.
    runs: Pairs,
    /// The run the last new key went into, kept out of `runs`: a read in order extends it
    /// key after key in place, with no remove and insert of a pair per key.
    open: Option<(u64, u64)>,
    len: usize,
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        KeySet {
            runs: Pairs::new(),
            open: None,
            len: 0,
        }
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every key.
    pub fn clear(&mut self) {
        self.runs.clear();
        self.open = None;
        self.len = 0;
    }

    /// The run that starts at or before `key` (the last such), if any.
    fn run_before(&self, key: u64) -> Option<(u64, u64)> {
        self.runs.range(..=(key, u64::MAX)).next_back().copied()
    }

    /// The run of `runs` that starts at `key`, if any.
    fn run_at(&self, key: Option<u64>) -> Option<(u64, u64)> {
        let key = key?;
        self.runs
            .range((key, 0)..)
            .next()
            .copied()
            .filter(|&(start, _)| start == key)
    }

    /// Whether `key` is in the set.
    pub fn contains(&self, key: impl RunKey) -> bool {
        let key = key.run_key();
        self.open
            .is_some_and(|(start, end)| start <= key && key <= end)
            || self.run_before(key).is_some_and(|(_, end)| end >= key)
    }

    /// Adds `key`: whether it was not there yet.
    pub fn insert(&mut self, key: impl RunKey) -> bool {
        let key = key.run_key();
        if let Some((start, end)) = self.open {
            if start <= key && key <= end {
                return false;
            }
            // The next key of a read in order: no run holds it (it would be adjacent to the
            // open one), so the open run grows unless that makes it touch the next run.
            if end.checked_add(1) == Some(key) && self.run_at(key.checked_add(1)).is_none() {
                self.open = Some((start, key));
                self.len += 1;
                return true;
            }
            self.runs.insert((start, end));
            self.open = None;
        }
        let before = self.run_before(key);
        if before.is_some_and(|(_, end)| end >= key) {
            return false;
        }
        let joins_before = before.filter(|&(_, end)| end.checked_add(1) == Some(key));
        let after = self.run_at(key.checked_add(1));
        let mut run = (key, key);
        if let Some(joined) = joins_before {
            self.runs.remove(&joined);
            run.0 = joined.0;
        }
        if let Some(joined) = after {
            self.runs.remove(&joined);
            run.1 = joined.1;
        }
        self.open = Some(run);
        self.len += 1;
        true
    }

    /// Every run, the open one included, in order.
    #[cfg(test)]
    fn all_runs(&self) -> Vec<(u64, u64)> {
        let mut runs: Vec<(u64, u64)> = self.runs.iter().copied().chain(self.open).collect();
        runs.sort_unstable();
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn consecutive_keys_make_one_run() {
        let mut set = KeySet::new();
        for k in (0..100_000i64).rev() {
            assert!(set.insert(k));
        }
        assert!(!set.insert(5i64));
        assert_eq!((set.len(), set.all_runs().len()), (100_000, 1));
        set.clear();
        assert!(set.is_empty() && !set.contains(5i64));
    }

    #[test]
    fn extremes_have_no_successor() {
        let mut set = KeySet::new();
        assert!(set.insert(i64::MAX) && set.insert(i64::MAX - 1) && !set.insert(i64::MAX));
        assert_eq!(set.all_runs().len(), 1);
        let mut ids = KeySet::new();
        for id in [u64::MAX, 0, 1 << 63, (1 << 63) - 1] {
            assert!(ids.insert(id));
        }
        assert!(ids.contains(u64::MAX) && !ids.contains(2u64) && !ids.insert(1u64 << 63));
    }

    /// Inserts `keys` into a KeySet and a HashSet alike and checks they agree throughout, and
    /// that no two runs touch.
    fn agrees_with_a_hash_set(keys: Vec<i64>) -> Result<(), TestCaseError> {
        let mut set = KeySet::new();
        let mut model = HashSet::new();
        for k in keys {
            prop_assert_eq!(set.insert(k), model.insert(k));
            prop_assert_eq!(set.len(), model.len());
        }
        for k in -80..80 {
            prop_assert_eq!(set.contains(k), model.contains(&k));
        }
        for pair in set.all_runs().windows(2) {
            prop_assert!(
                pair[0].1 + 1 < pair[1].0,
                "adjacent or overlapping runs {:?}",
                pair
            );
        }
        Ok(())
    }

    proptest! {
        /// Stretches of consecutive keys, up or down, as pages in and out of order bring them.
        #[test]
        fn stretches_behave_as_a_hash_set(
            stretches in proptest::collection::vec((-60i64..60, 1i64..15, any::<bool>()), 0..40)
        ) {
            let keys = stretches
                .into_iter()
                .flat_map(|(start, len, up)| {
                    let stretch: Vec<i64> = (start..start + len).collect();
                    if up { stretch } else { stretch.into_iter().rev().collect() }
                })
                .collect();
            agrees_with_a_hash_set(keys)?;
        }

        #[test]
        fn behaves_as_a_hash_set(keys in proptest::collection::vec(-50i64..50, 0..300)) {
            agrees_with_a_hash_set(keys)?;
        }
    }
}
