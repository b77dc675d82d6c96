//! A map from growing sequence numbers to values: a sorted `Vec` with tombstones, which costs
//! the wasm far less code than a `BTreeMap` and suits a journal, whose seqs only grow.

/// Values by seq, in seq order. Pushes must come in increasing seq order (others are ignored).
#[derive(Debug, Clone)]
pub(super) struct Slots<T> {
    slots: Vec<(u64, Option<T>)>,
    live: usize,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            slots: Vec::new(),
            live: 0,
        }
    }
}

impl<T> Slots<T> {
    /// Adds `value` at `seq`, which must be above every seq pushed before; false if it is not.
    pub(super) fn push(&mut self, seq: u64, value: T) -> bool {
        if self.slots.last().is_some_and(|(last, _)| *last >= seq) {
            return false;
        }
        self.slots.push((seq, Some(value)));
        self.live += 1;
        true
    }

    fn position(&self, seq: u64) -> Option<usize> {
        self.slots.binary_search_by_key(&seq, |(s, _)| *s).ok()
    }

    /// The value at `seq`.
    pub(super) fn get(&self, seq: u64) -> Option<&T> {
        self.slots.get(self.position(seq)?)?.1.as_ref()
    }

    /// Takes the value at `seq` out.
    pub(super) fn remove(&mut self, seq: u64) -> Option<T> {
        let at = self.position(seq)?;
        let taken = self.slots.get_mut(at)?.1.take()?;
        self.live -= 1;
        let dead = self.slots.len() - self.live;
        if dead > 64 && dead > self.live {
            self.slots.retain(|(_, v)| v.is_some());
        }
        Some(taken)
    }

    /// Drops the slots of removed values (so seqs above the highest held may be pushed again).
    pub(super) fn drop_removed(&mut self) {
        self.slots.retain(|(_, v)| v.is_some());
    }

    /// How many values are held.
    pub(super) fn len(&self) -> usize {
        self.live
    }

    /// The held (seq, value) pairs in seq order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        self.slots
            .iter()
            .filter_map(|(seq, v)| v.as_ref().map(|v| (*seq, v)))
    }

    /// The same, mutable.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = (u64, &mut T)> {
        self.slots
            .iter_mut()
            .filter_map(|(seq, v)| v.as_mut().map(|v| (*seq, v)))
    }

    /// The held seqs within `start..=end`.
    pub(super) fn seqs_within(&self, start: u64, end: u64) -> Vec<u64> {
        let from = self.slots.partition_point(|(seq, _)| *seq < start);
        self.slots
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|(seq, _)| *seq <= end)
            .filter(|(_, v)| v.is_some())
            .map(|(seq, _)| *seq)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_removes_and_shrinks_in_seq_order() {
        let mut slots = Slots::default();
        for seq in 1..=1000u64 {
            assert!(slots.push(seq * 2, seq));
        }
        assert!(!slots.push(2000, 0));
        assert!(!slots.push(5, 0));
        for seq in 1..=900u64 {
            assert_eq!(slots.remove(seq * 2), Some(seq));
        }
        assert_eq!(slots.remove(2), None);
        assert_eq!(slots.remove(3), None);
        assert_eq!(slots.len(), 100);
        assert!(slots.slots.len() < 300, "tombstones are dropped");
        assert_eq!(slots.get(1802), Some(&901));
        assert_eq!(
            slots.iter().map(|(s, _)| s).collect::<Vec<_>>(),
            (901..=1000).map(|s| s * 2).collect::<Vec<_>>()
        );
        assert_eq!(slots.seqs_within(0, 1805), vec![1802, 1804]);
        assert_eq!(slots.seqs_within(1999, u64::MAX), vec![2000]);
    }
}
