//! A set of integer keys held as runs of consecutive keys: a complete read's record of the
//! steps (or job ids) it handed out. A history's steps are nearly always consecutive, so
//! 100,000 of them take a few entries here where a hash set takes ~1.2 MB of wasm memory
//! (which never shrinks).
//!
//! Also home of the core's shared collection types, [`Pairs`] (its one ordered collection)
//! and [`NameStepMap`] (its one hash map): every B-tree or hash-map instantiation brings
//! its own search, insert, remove, iteration and drop code into the wasm (5 to 10 KB for a
//! B-tree, about 2 KB for a hash map), so the users share one of each.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

/// The core's one ordered collection: a set of `(u64, u64)` pairs, in order of the first
/// then the second. O(log n) to insert, remove and find the pairs around a value.
pub type Pairs = BTreeSet<(u64, u64)>;

/// A metric's (name, step) as the core's hash maps key it (the logger queue's slots and the
/// journal's index, both to `u64`): one key type, so one hash map's code in the wasm. The
/// name is shared with whatever else holds it.
pub type NameStep = (Rc<str>, i64);

/// The core's one hash map: [`NameStep`] keys to `u64`, hashed by [`KeyHasher`].
pub type NameStepMap = HashMap<NameStep, u64, BuildHasherDefault<KeyHasher>>;

/// A hasher for the core's own keys (a metric's name and step, which the user gives: nothing
/// an attacker chooses to collide), the multiply-and-rotate of rustc's FxHasher: a logged
/// point is hashed a few times on its way through the queue and the journal. Against std's
/// SipHash, measured: 1.1 KB less wasm, and the logger's wasm time per point 297 -> 264 ms
/// per 20,000 points in one profile each (end to end, within the noise).
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl KeyHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        let mut last = [0; 8];
        for (to, from) in last.iter_mut().zip(rest) {
            *to = *from;
        }
        self.add(u64::from_le_bytes(last) ^ rest.len() as u64);
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    fn write_i64(&mut self, word: i64) {
        self.add(word as u64);
    }

    fn write_usize(&mut self, word: usize) {
        self.add(word as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

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

    /// The map's hasher spreads the keys a logger makes (a few names, consecutive steps;
    /// names differing in one byte or in length only) over distinct hashes, so lookups stay
    /// O(1), and the map keeps and finds each key as std's would.
    #[test]
    fn name_step_keys_hash_apart_and_map_as_std() {
        use std::hash::BuildHasher;
        let names: Vec<Rc<str>> = [
            "loss",
            "lost",
            "loss_",
            "acc",
            "accuracy_of_the_model_1",
            "accuracy_of_the_model_2",
            "a",
            "",
        ]
        .iter()
        .map(|n| Rc::from(*n))
        .collect();
        let keys: Vec<NameStep> = names
            .iter()
            .flat_map(|n| (-500..5_000i64).map(move |step| (Rc::clone(n), step)))
            .collect();
        let build = BuildHasherDefault::<KeyHasher>::default();
        let hashes: HashSet<u64> = keys.iter().map(|k| build.hash_one(k)).collect();
        assert_eq!(hashes.len(), keys.len(), "two keys share a hash");
        let mut map = NameStepMap::default();
        let mut model = HashMap::new();
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(
                map.insert(key.clone(), i as u64),
                model.insert(key.clone(), i as u64)
            );
        }
        for (i, key) in keys.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
            assert_eq!(map.remove(key), Some(i as u64));
            model.remove(key);
        }
        assert_eq!(map.len(), model.len());
        assert!(model.iter().all(|(k, v)| map.get(k) == Some(v)));
    }

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
