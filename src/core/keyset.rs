//! A set of integer keys held as runs of consecutive keys: a complete read's record of the
//! steps (or job ids) it handed out. A history's steps are nearly always consecutive, so
//! 100,000 of them take a few entries here where a hash set takes ~1.2 MB of wasm memory
//! (which never shrinks).

use std::collections::BTreeMap;

/// A key that is an integer: its place among the `i64`s (one-to-one, so one set type, and
/// one map type in the wasm, serves every key).
pub trait RunKey: Copy + Eq {
    /// This key as an `i64`.
    fn run_key(self) -> i64;
}

impl RunKey for i64 {
    fn run_key(self) -> i64 {
        self
    }
}

impl RunKey for u64 {
    /// The same bits: one-to-one (ids above `i64::MAX` only make runs of their own).
    fn run_key(self) -> i64 {
        self as i64
    }
}

/// A set of keys as disjoint runs `start ..= end`, none adjacent to another.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    runs: BTreeMap<i64, i64>,
    len: usize,
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        KeySet {
            runs: BTreeMap::new(),
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
        self.len = 0;
    }

    /// Whether `key` is in the set.
    pub fn contains(&self, key: impl RunKey) -> bool {
        let key = key.run_key();
        self.runs
            .range(..=key)
            .next_back()
            .is_some_and(|(_, &end)| end >= key)
    }

    /// Adds `key`: whether it was not there yet.
    pub fn insert(&mut self, key: impl RunKey) -> bool {
        let key = key.run_key();
        let before = self.runs.range(..=key).next_back().map(|(&s, &e)| (s, e));
        if let Some((_, end)) = before {
            if end >= key {
                return false;
            }
        }
        let joins_before = before.filter(|&(_, end)| end.checked_add(1) == Some(key));
        let after = key
            .checked_add(1)
            .and_then(|next| self.runs.get(&next).map(|&end| (next, end)));
        match (joins_before, after) {
            (Some((start, _)), Some((next, end))) => {
                self.runs.remove(&next);
                self.runs.insert(start, end);
            }
            (Some((start, _)), None) => {
                self.runs.insert(start, key);
            }
            (None, Some((next, end))) => {
                self.runs.remove(&next);
                self.runs.insert(key, end);
            }
            (None, None) => {
                self.runs.insert(key, key);
            }
        }
        self.len += 1;
        true
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
        assert_eq!((set.len(), set.runs.len()), (100_000, 1));
        set.clear();
        assert!(set.is_empty() && !set.contains(5i64));
    }

    #[test]
    fn extremes_have_no_successor() {
        let mut set = KeySet::new();
        assert!(set.insert(i64::MAX) && set.insert(i64::MAX - 1) && !set.insert(i64::MAX));
        assert_eq!(set.runs.len(), 1);
        let mut ids = KeySet::new();
        for id in [u64::MAX, 0, 1 << 63, (1 << 63) - 1] {
            assert!(ids.insert(id));
        }
        assert!(ids.contains(u64::MAX) && !ids.contains(2u64) && !ids.insert(1u64 << 63));
    }

    proptest! {
        #[test]
        fn behaves_as_a_hash_set(keys in proptest::collection::vec(-50i64..50, 0..300)) {
            let mut set = KeySet::new();
            let mut model = HashSet::new();
            for k in keys {
                prop_assert_eq!(set.insert(k), model.insert(k));
                prop_assert_eq!(set.len(), model.len());
            }
            for k in -60..60 {
                prop_assert_eq!(set.contains(k), model.contains(&k));
            }
            let runs: Vec<(i64, i64)> = set.runs.iter().map(|(&s, &e)| (s, e)).collect();
            for pair in runs.windows(2) {
                prop_assert!(pair[0].1 + 1 < pair[1].0, "adjacent or overlapping runs {:?}", pair);
            }
        }
    }
}
