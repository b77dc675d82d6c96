//! Equal-width x bins and the min/max (and M4) aggregations over them, as `tsdownsample`
//! 0.1.5.1 computes them (`searchsorted.rs`, `minmax.rs`, `m4.rs`, sequential, with x).

/// Added to each bin edge against rounding (tsdownsample's `EPSILON`).
const EPSILON: f64 = 1e-12;

/// The end of a bin: the first index in `left..right` whose value is above `value`, searched
/// from `mid` (tsdownsample's `binary_search_with_mid`).
fn search_from(arr: &[f64], value: f64, left: usize, right: usize, mid: usize) -> usize {
    let (mut left, mut right, mut mid) = (left, right, mid);
    while left < right {
        if arr.get(mid).is_some_and(|&v| v < value) {
            left = mid + 1;
        } else {
            right = mid;
        }
        mid = left + (right - left) / 2;
    }
    if arr.get(left).is_some_and(|&v| v <= value) {
        left + 1
    } else {
        left
    }
}

/// `nb_bins` equal-width bins of the sorted `x` as index ranges (`None` for an empty bin).
pub fn bins(x: &[f64], nb_bins: usize) -> Vec<Option<(usize, usize)>> {
    let (Some(&first), Some(&last)) = (x.first(), x.last()) else {
        return Vec::new();
    };
    let nb_bins = nb_bins.max(2);
    let val_step = last / nb_bins as f64 - first / nb_bins as f64;
    let idx_step = x.len() / nb_bins;
    let mut idx = 0usize;
    (0..nb_bins)
        .map(|i| {
            let start = idx;
            let half = (i + 1) as f64 / 2.0;
            let edge = first + val_step * half + val_step * half + EPSILON;
            if x.get(start).is_none_or(|&v| v >= edge) {
                return None;
            }
            let mid = (idx + idx_step).min(x.len().saturating_sub(2));
            idx = search_from(x, edge, idx, x.len() - 1, mid);
            Some((start, idx))
        })
        .collect()
}

/// The index of the first minimum and of the first maximum of a non-empty `y`.
fn arg_min_max(y: &[f64]) -> (usize, usize) {
    let Some(&start) = y.first() else {
        return (0, 0);
    };
    let (mut lo, mut hi, mut lo_i, mut hi_i) = (start, start, 0, 0);
    for (i, &v) in y.iter().enumerate() {
        if v < lo {
            lo = v;
            lo_i = i;
        } else if v > hi {
            hi = v;
            hi_i = i;
        }
    }
    (lo_i, hi_i)
}

/// The min and max of each of `n_out / 2` x bins, in index order (a bin of two points or
/// fewer keeps them all; a constant bin gives its first index twice, as tsdownsample does).
pub fn min_max(x: &[f64], y: &[f64], n_out: usize) -> Vec<usize> {
    if n_out >= y.len() {
        return (0..y.len()).collect();
    }
    let mut kept = Vec::with_capacity(n_out);
    for (start, end) in bins(x, n_out / 2).into_iter().flatten() {
        if end <= start + 2 {
            kept.extend(start..end);
        } else {
            let (lo, hi) = arg_min_max(y.get(start..end).unwrap_or_default());
            kept.push(start + lo.min(hi));
            kept.push(start + lo.max(hi));
        }
    }
    kept
}

/// M4: the first, min, max and last of each of `n_out / 4` x bins, in index order.
pub fn m4(x: &[f64], y: &[f64], n_out: usize) -> Vec<usize> {
    if n_out >= y.len() {
        return (0..y.len()).collect();
    }
    let mut kept = Vec::with_capacity(n_out);
    for (start, end) in bins(x, n_out / 4).into_iter().flatten() {
        if end <= start + 4 {
            kept.extend(start..end);
        } else {
            let (lo, hi) = arg_min_max(y.get(start..end).unwrap_or_default());
            kept.push(start);
            kept.push(start + lo.min(hi));
            kept.push(start + lo.max(hi));
            kept.push(end - 1);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_the_series_once() {
        let x: Vec<f64> = (0..100).map(f64::from).collect();
        let b: Vec<(usize, usize)> = bins(&x, 10).into_iter().flatten().collect();
        assert_eq!(b.first().map(|r| r.0), Some(0));
        assert!(b.windows(2).all(|w| w[0].1 == w[1].0));
        assert_eq!(b.last().map(|r| r.1), Some(100));
    }

    #[test]
    fn min_max_keeps_each_bins_extremes_in_order() {
        let x: Vec<f64> = (0..8).map(f64::from).collect();
        let y = [5.0, 1.0, 9.0, 3.0, 0.0, 2.0, 8.0, 4.0];
        assert_eq!(min_max(&x, &y, 4), vec![1, 2, 4, 6]);
    }

    #[test]
    fn m4_keeps_first_min_max_last_of_each_bin() {
        let x: Vec<f64> = (0..20).map(f64::from).collect();
        let y: Vec<f64> = (0..20).map(|i| f64::from((i * 7) % 11)).collect();
        let kept = m4(&x, &y, 8);
        assert_eq!(kept.len(), 8);
        assert_eq!((kept[0], kept[7]), (0, 19));
    }

    #[test]
    fn equal_x_puts_everything_in_one_bin_or_none() {
        let x = vec![3.0; 50];
        let y: Vec<f64> = (0..50).map(f64::from).collect();
        assert!(min_max(&x, &y, 10).len() <= 10);
    }
}
