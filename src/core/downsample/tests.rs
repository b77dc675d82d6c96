use proptest::prelude::*;

use super::*;

fn xs(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64).collect()
}

/// The rules every method keeps, on any input.
fn assert_rules(x: &[f64], y: &[f64], max_points: usize, method: Method) {
    let kept = downsample(x, y, max_points, method).unwrap();
    let n = y.len();
    if n <= max_points {
        assert_eq!(kept.len(), n);
        return;
    }
    assert!(
        kept.len() <= max_points,
        "{method:?}: {} > {max_points}",
        kept.len()
    );
    assert_eq!(kept.first(), Some(&0), "{method:?}: first point dropped");
    assert_eq!(
        kept.last(),
        Some(&((n - 1) as u32)),
        "{method:?}: last point dropped"
    );
    assert!(
        kept.windows(2).all(|w| w[0] < w[1]),
        "{method:?}: not ascending"
    );
    // Every LTTB bucket holding a special value keeps one.
    let buckets = max_points - 2;
    let every = (n - 2) as f64 / buckets as f64;
    for b in 0..buckets {
        let start = ((b as f64 * every) as usize + 1).min(n - 1);
        let end = (((b + 1) as f64 * every) as usize + 1).min(n - 1);
        let has = (start..end).any(|i| !y[i].is_finite());
        if has {
            assert!(
                kept.iter().any(|&i| (i as usize) >= start
                    && (i as usize) < end
                    && !y[i as usize].is_finite()),
                "{method:?}: the special value in bucket {b} ({start}..{end}) is hidden"
            );
        }
    }
}

#[test]
fn short_series_are_kept_whole() {
    for method in [Method::Lttb, Method::MinMaxLttb, Method::M4, Method::MinMax] {
        assert_eq!(
            downsample(&xs(5), &[1.0, f64::NAN, 3.0, 4.0, 5.0], 5, method).unwrap(),
            vec![0, 1, 2, 3, 4]
        );
        assert_eq!(downsample(&[], &[], 3, method).unwrap(), Vec::<u32>::new());
    }
}

#[test]
fn refuses_bad_input() {
    assert_eq!(
        downsample(&xs(3), &[1.0], 3, Method::Lttb),
        Err(DownsampleError::Lengths { x: 3, y: 1 })
    );
    assert_eq!(
        downsample(&xs(3), &[1.0; 3], 2, Method::Lttb),
        Err(DownsampleError::TooFewPoints(2))
    );
    assert!(matches!(
        downsample(&[0.0, f64::NAN], &[1.0; 2], 3, Method::Lttb),
        Err(DownsampleError::XNotFinite { index: 1, .. })
    ));
    assert!(matches!(
        downsample(&[0.0, 2.0, 1.0], &[1.0; 3], 3, Method::Lttb),
        Err(DownsampleError::XNotSorted { index: 2, .. })
    ));
    assert_eq!(Method::parse("m4"), Some(Method::M4));
    assert_eq!(Method::parse("LTTB"), None);
}

#[test]
fn a_nan_neither_hides_nor_poisons_its_neighbours() {
    let n = 10_000;
    let mut y: Vec<f64> = (0..n).map(|i| (i as f64 / 300.0).sin()).collect();
    y[1234] = f64::NAN;
    y[5000] = f64::INFINITY;
    y[5001] = f64::NEG_INFINITY;
    y[7777] = 40.0;
    for method in [Method::Lttb, Method::MinMaxLttb, Method::M4, Method::MinMax] {
        let kept = downsample(&xs(n), &y, 100, method).unwrap();
        assert!(kept.contains(&1234), "{method:?}");
        assert!(kept.contains(&5000), "{method:?}");
        assert!(
            kept.contains(&7777),
            "{method:?}: the spike next to finite points is lost"
        );
        assert_rules(&xs(n), &y, 100, method);
    }
}

#[test]
fn all_special_values_keep_first_and_last() {
    let y = vec![f64::NAN; 1000];
    for method in [Method::Lttb, Method::MinMaxLttb, Method::M4, Method::MinMax] {
        assert_rules(&xs(1000), &y, 10, method);
        let mut y = y.clone();
        y[0] = 1.0;
        y[999] = 2.0;
        assert_rules(&xs(1000), &y, 3, method);
    }
}

#[test]
fn constant_y_and_equal_x() {
    for method in [Method::Lttb, Method::MinMaxLttb, Method::M4, Method::MinMax] {
        assert_rules(&xs(5000), &[2.5; 5000], 50, method);
        assert_rules(&[7.0; 5000], &xs(5000), 50, method);
    }
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        20 => -1e6f64..1e6,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
    ]
}

proptest! {
    #[test]
    fn the_rules_hold_on_any_series(
        y in proptest::collection::vec(value(), 0..600),
        steps in proptest::collection::vec(0u8..3, 600),
        max_points in 3usize..80,
        m in 0usize..4,
    ) {
        let method = [Method::Lttb, Method::MinMaxLttb, Method::M4, Method::MinMax][m];
        // Ascending x with repeats.
        let mut x = Vec::with_capacity(y.len());
        let mut at = 0.0;
        for s in steps.iter().take(y.len()) {
            at += f64::from(*s);
            x.push(at);
        }
        assert_rules(&x, &y, max_points, method);
    }
}

#[test]
fn checks_javascript_arguments() {
    let x = xs(10);
    assert_eq!(downsample_input(&x, &x, 4.0, None).unwrap().len(), 4);
    assert!(
        matches!(downsample_input(&x, &x, 4.5, None), Err(Error::Validation { field, .. }) if field == "maxPoints")
    );
    assert!(
        matches!(downsample_input(&x, &x, f64::NAN, None), Err(Error::Validation { field, .. }) if field == "maxPoints")
    );
    assert!(
        matches!(downsample_input(&x, &x, 4.0, Some("fast")), Err(Error::Validation { field, .. }) if field == "method")
    );
    assert!(
        matches!(downsample_input(&x, &x[1..], 4.0, None), Err(Error::Validation { field, .. }) if field == "x")
    );
}
