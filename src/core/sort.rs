//! The crate's stable sort: a bottom-up merge sort of indices, compiled once. std's stable
//! sort (driftsort) brings about 5 KB of wasm per type it sorts, and the core sorts two short
//! lists stably (a request's cookies, an error's fields) where speed does not matter but the
//! package's weight does; O(n log n), so a hostile answer with a million fields cannot hang it.

/// `items` sorted by `key`, stably: items with equal keys keep their order.
pub fn sorted_by_key<T, K: Ord>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let order = {
        let keys: Vec<K> = items.iter().map(key).collect();
        stable_order(keys.len(), &|a, b| keys.get(a) <= keys.get(b))
    };
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// The indices `0..len` in the order that sorts them stably, `in_order(a, b)` telling
/// whether `a` may stay before `b`: one function for every type sorted.
fn stable_order(len: usize, in_order: &dyn Fn(usize, usize) -> bool) -> Vec<usize> {
    let mut from: Vec<usize> = (0..len).collect();
    let mut to: Vec<usize> = Vec::with_capacity(len);
    let mut width = 1;
    while width < len {
        to.clear();
        for start in (0..len).step_by(2 * width) {
            let mid = start.saturating_add(width).min(len);
            let end = start.saturating_add(2 * width).min(len);
            let mut left = from.get(start..mid).unwrap_or_default().iter().peekable();
            let mut right = from.get(mid..end).unwrap_or_default().iter().peekable();
            loop {
                match (left.peek(), right.peek()) {
                    (Some(&&a), Some(&&b)) => {
                        if in_order(a, b) {
                            to.push(a);
                            left.next();
                        } else {
                            to.push(b);
                            right.next();
                        }
                    }
                    (Some(_), None) => {
                        to.extend(left);
                        break;
                    }
                    (None, _) => {
                        to.extend(right);
                        break;
                    }
                }
            }
        }
        std::mem::swap(&mut from, &mut to);
        width = width.saturating_mul(2);
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as std's stable sort, ties included (each item carries its place).
        #[test]
        fn sorts_as_std_stable_sort(keys in proptest::collection::vec(0u8..6, 0..300)) {
            let items: Vec<(u8, usize)> = keys.iter().copied().zip(0..).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|item| item.0);
            prop_assert_eq!(sorted_by_key(items, |item| item.0), expected);
        }
    }

    #[test]
    fn a_million_items_sort_in_n_log_n() {
        let items: Vec<u32> = (0..1_000_000u32)
            .map(|i| i.wrapping_mul(2_654_435_761) % 1000)
            .collect();
        let sorted = sorted_by_key(items, |&i| i);
        assert_eq!(sorted.len(), 1_000_000);
        assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    }
}
