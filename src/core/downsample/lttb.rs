//! Largest-Triangle-Three-Buckets, and MinMaxLTTB (a min/max preselection, then LTTB), as
//! `tsdownsample` 0.1.5.1 computes them (`downsample_rs/src/lttb.rs` and `minmaxlttb.rs`, the
//! sequential versions with x): the same buckets, the same float arithmetic and the same tie
//! rules, so that on finite data both choose exactly the same indices.

use super::minmax::min_max;

/// `|v|`'s bits as an integer: `tsdownsample` compares triangle areas this way (for finite
/// non-negative doubles the order is the numeric one; NaN sorts above everything).
#[inline(always)]
fn area_key(v: f64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes()) & 0x7FFF_FFFF_FFFF_FFFF
}

/// The mean of `y`, summed left to right as `tsdownsample` does.
fn average(y: &[f64]) -> f64 {
    y.iter().fold(0.0, |acc, &v| acc + v) / y.len() as f64
}

/// The first and last element of `x[start..end]` (empty range: NaN).
fn ends(x: &[f64], start: usize, end: usize) -> (f64, f64) {
    let first = x.get(start).copied().unwrap_or(f64::NAN);
    let last = end
        .checked_sub(1)
        .and_then(|i| x.get(i))
        .copied()
        .unwrap_or(f64::NAN);
    (first, last)
}

/// LTTB of `(x, y)` to `n_out` points (`x.len() == y.len()`, `n_out >= 3`): the indices kept,
/// ascending, the first and the last always among them.
pub fn lttb(x: &[f64], y: &[f64], n_out: usize) -> Vec<usize> {
    let len = x.len().min(y.len());
    if n_out >= len {
        return (0..len).collect();
    }
    let n_out = n_out.max(3);
    let every = (len - 2) as f64 / (n_out - 2) as f64;
    let mut a = 0usize;
    let mut kept = Vec::with_capacity(n_out);
    kept.push(0);
    for i in 0..n_out - 2 {
        let avg_start = (every * (i + 1) as f64) as usize + 1;
        let avg_end = ((every * (i + 2) as f64) as usize + 1).min(len);
        let avg_y = average(y.get(avg_start..avg_end).unwrap_or_default());
        let (x_first, x_last) = ends(x, avg_start, avg_end);
        let avg_x = (x_last + x_first) / 2.0;

        let range_offs = (every * i as f64) as usize + 1;
        let range_to = avg_start;
        let point_ax = x.get(a).copied().unwrap_or(f64::NAN);
        let point_ay = y.get(a).copied().unwrap_or(f64::NAN);
        let d1 = point_ax - avg_x;
        let d2 = avg_y - point_ay;
        let offset = d1 * point_ay + d2 * point_ax;

        let xs = x.get(range_offs..range_to).unwrap_or_default();
        let ys = y.get(range_offs..range_to).unwrap_or_default();
        let mut max_area = -1i64;
        let mut best = a;
        for (j, (&yv, &xv)) in ys.iter().zip(xs).enumerate() {
            let area = area_key(d1 * yv + d2 * xv - offset);
            if area > max_area {
                max_area = area;
                best = j + range_offs;
            }
        }
        // `tsdownsample` adds the bucket's offset to `a` even when no point won (an empty
        // bucket cannot happen for len > n_out, but keep its arithmetic).
        a = if max_area < 0 { a + range_offs } else { best };
        kept.push(a);
    }
    kept.push(len - 1);
    kept
}

/// MinMaxLTTB: when `len / n_out > ratio`, the min and max of `n_out * ratio / 2` equal-width
/// x bins of the inner points (first and last apart) are preselected and LTTB runs on them;
/// otherwise plain LTTB.
pub fn minmax_lttb(x: &[f64], y: &[f64], n_out: usize, ratio: usize) -> Vec<usize> {
    let len = x.len().min(y.len());
    let n_out = n_out.max(3);
    if len / n_out > ratio && len >= 2 {
        let inner_x = x.get(1..len - 1).unwrap_or_default();
        let inner_y = y.get(1..len - 1).unwrap_or_default();
        let mut index: Vec<usize> = Vec::with_capacity(n_out * ratio + 2);
        index.push(0);
        index.extend(
            min_max(inner_x, inner_y, n_out * ratio)
                .into_iter()
                .map(|i| i + 1),
        );
        index.push(len - 1);
        let sub_x: Vec<f64> = index.iter().filter_map(|&i| x.get(i).copied()).collect();
        let sub_y: Vec<f64> = index.iter().filter_map(|&i| y.get(i).copied()).collect();
        return lttb(&sub_x, &sub_y, n_out)
            .into_iter()
            .filter_map(|i| index.get(i).copied())
            .collect();
    }
    lttb(x, y, n_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_implementations_own_examples() {
        // downsample_rs/src/lttb.rs: test_lttb_with_x.
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(lttb(&x, &x, 4), vec![0, 1, 5, 9]);
    }

    #[test]
    fn keeps_a_spike() {
        let x: Vec<f64> = (0..1000).map(f64::from).collect();
        let mut y = vec![0.0; 1000];
        y[500] = 100.0;
        let kept = lttb(&x, &y, 20);
        assert!(kept.contains(&500));
        assert_eq!((kept[0], kept[19], kept.len()), (0, 999, 20));
    }

    #[test]
    fn minmax_lttb_keeps_the_extremes_of_a_long_series() {
        let x: Vec<f64> = (0..100_000).map(f64::from).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|v| (v / 100.0).sin() + if *v == 77_777.0 { 50.0 } else { 0.0 })
            .collect();
        let kept = minmax_lttb(&x, &y, 200, 4);
        assert_eq!(kept.len(), 200);
        assert!(kept.contains(&77_777));
        assert!(kept.windows(2).all(|w| w[0] < w[1]));
    }
}
