//! Downsampling a series for a chart: which indices to keep so that at most `max_points` are
//! drawn and the picture stays the same.
//!
//! Rules, for every method: the first and the last point are always kept; at most
//! `max_points` indices, ascending; a series no longer than `max_points` is kept whole. A NaN
//! or ±Infinity value is never hidden and never poisons its neighbours: each LTTB bucket (of
//! the whole series, by index) that holds one keeps one, and the method runs on the finite
//! points alone with what is left of the budget. On finite data `Lttb` and `MinMaxLttb` (ratio
//! 4) choose exactly the indices `tsdownsample` 0.1.5.1 chooses.

mod lttb;
mod minmax;

use thiserror::Error as ThisError;

use crate::core::error::Error;
use crate::core::text::clip;
use crate::core::value::Num;

/// The min/max preselection ratio of `MinMaxLttb` (tsdownsample's default).
pub const MINMAX_RATIO: usize = 4;

/// How to choose the points kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Largest-Triangle-Three-Buckets.
    Lttb,
    /// A min/max preselection (4 points per output point), then LTTB: the default, as in
    /// plotly-resampler.
    MinMaxLttb,
    /// First, min, max and last of equal-width x bins.
    M4,
    /// Min and max of equal-width x bins.
    MinMax,
}

impl Method {
    /// The method named `name` (`"lttb"`, `"minmax-lttb"`, `"m4"`, `"minmax"`).
    pub fn parse(name: &str) -> Option<Method> {
        match name {
            "lttb" => Some(Method::Lttb),
            "minmax-lttb" => Some(Method::MinMaxLttb),
            "m4" => Some(Method::M4),
            "minmax" => Some(Method::MinMax),
            _ => None,
        }
    }

    /// The names `parse` knows.
    pub const NAMES: &'static [&'static str] = &["lttb", "minmax-lttb", "m4", "minmax"];
}

/// Why a series cannot be downsampled.
#[derive(Debug, Clone, PartialEq, ThisError)]
pub enum DownsampleError {
    /// `x` and `y` differ in length.
    #[error("x and y must have the same length (x has {x}, y has {y})")]
    Lengths {
        /// Length of x.
        x: usize,
        /// Length of y.
        y: usize,
    },
    /// An x value is NaN or infinite.
    #[error("x[{index}] is {}: x values must be finite", Num(*.value))]
    XNotFinite {
        /// Where.
        index: usize,
        /// The value.
        value: f64,
    },
    /// x goes down somewhere.
    #[error("x must be sorted ascending (x[{index}] = {} is below the value before it)", Num(*.value))]
    XNotSorted {
        /// Where.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Fewer than 3 points asked for.
    #[error("maxPoints must be at least 3 (got {0})")]
    TooFewPoints(usize),
}

/// Checks `x` (finite, ascending) against `y`.
fn check(x: &[f64], y: &[f64], max_points: usize) -> Result<(), DownsampleError> {
    if x.len() != y.len() {
        return Err(DownsampleError::Lengths {
            x: x.len(),
            y: y.len(),
        });
    }
    if max_points < 3 {
        return Err(DownsampleError::TooFewPoints(max_points));
    }
    let mut before = f64::NEG_INFINITY;
    for (index, &value) in x.iter().enumerate() {
        if !value.is_finite() {
            return Err(DownsampleError::XNotFinite { index, value });
        }
        if value < before {
            return Err(DownsampleError::XNotSorted { index, value });
        }
        before = value;
    }
    Ok(())
}

/// The indices of `(x, y)` to keep, ascending, at most `max_points` of them.
pub fn downsample(
    x: &[f64],
    y: &[f64],
    max_points: usize,
    method: Method,
) -> Result<Vec<u32>, DownsampleError> {
    check(x, y, max_points)?;
    let len = y.len();
    if len <= max_points {
        return Ok((0..len).filter_map(|i| u32::try_from(i).ok()).collect());
    }
    let kept = if y.iter().all(|v| v.is_finite()) {
        finite(x, y, max_points, method)
    } else {
        with_special_values(x, y, max_points, method)
    };
    Ok(kept
        .into_iter()
        .filter_map(|i| u32::try_from(i).ok())
        .collect())
}

/// The method on finite data, first and last included, deduplicated, ascending.
fn finite(x: &[f64], y: &[f64], max_points: usize, method: Method) -> Vec<usize> {
    let len = y.len();
    if len <= max_points {
        return (0..len).collect();
    }
    let mut kept = match method {
        Method::Lttb => lttb::lttb(x, y, max_points),
        Method::MinMaxLttb => lttb::minmax_lttb(x, y, max_points, MINMAX_RATIO),
        // The first and last are kept apart; the bins share what is left.
        Method::MinMax | Method::M4 => {
            let per_bin = if method == Method::M4 { 4 } else { 2 };
            let budget = (max_points - 2) / per_bin * per_bin;
            let inner_x = x.get(1..len - 1).unwrap_or_default();
            let inner_y = y.get(1..len - 1).unwrap_or_default();
            let mut kept = vec![0];
            if budget >= 2 * per_bin {
                let inner = if method == Method::M4 {
                    minmax::m4(inner_x, inner_y, budget)
                } else {
                    minmax::min_max(inner_x, inner_y, budget)
                };
                kept.extend(inner.into_iter().map(|i| i + 1));
            }
            kept.push(len - 1);
            kept
        }
    };
    // A constant bin gives its index twice (min and max): keep it once.
    kept.dedup();
    kept
}

/// Downsampling when some values are NaN or ±Infinity: one of them is kept in each LTTB
/// bucket that holds one (the first), and the method runs on the finite points with the rest
/// of the budget.
fn with_special_values(x: &[f64], y: &[f64], max_points: usize, method: Method) -> Vec<usize> {
    let len = y.len();
    let buckets = max_points - 2;
    let every = (len - 2) as f64 / buckets as f64;
    let is_special = |i: usize| y.get(i).is_some_and(|v| !v.is_finite());
    // LTTB's buckets: the first point, `buckets` ranges of the inner points, the last point.
    let mut special: Vec<usize> = Vec::new();
    if is_special(0) {
        special.push(0);
    }
    for b in 0..buckets {
        let start = (every * b as f64) as usize + 1;
        let end = ((every * (b + 1) as f64) as usize + 1).min(len - 1);
        if let Some(i) = (start..end).find(|&i| is_special(i)) {
            special.push(i);
        }
    }
    if is_special(len - 1) {
        special.push(len - 1);
    }
    let finite_at: Vec<usize> = (0..len)
        .filter(|&i| y.get(i).is_some_and(|v| v.is_finite()))
        .collect();
    let budget = max_points.saturating_sub(special.len());
    let chosen: Vec<usize> = if finite_at.len() <= budget {
        finite_at
    } else if budget >= 3 {
        let fx: Vec<f64> = finite_at
            .iter()
            .filter_map(|&i| x.get(i).copied())
            .collect();
        let fy: Vec<f64> = finite_at
            .iter()
            .filter_map(|&i| y.get(i).copied())
            .collect();
        finite(&fx, &fy, budget, method)
            .into_iter()
            .filter_map(|i| finite_at.get(i).copied())
            .collect()
    } else {
        // Room for the series' own ends only (a finite end is in no special bucket, so each
        // finite end left one slot free).
        [0, len - 1]
            .into_iter()
            .filter(|&i| y.get(i).is_some_and(|v| v.is_finite()))
            .collect()
    };
    let mut kept: Vec<usize> = special.into_iter().chain(chosen).collect();
    kept.sort_unstable();
    kept.dedup();
    kept
}

/// `downsample` with its arguments as JavaScript gives them: `max_points` a number, `method`
/// a name or none (`"minmax-lttb"`). Bad input is a validation error naming the argument.
pub fn downsample_input(
    x: &[f64],
    y: &[f64],
    max_points: f64,
    method: Option<&str>,
) -> Result<Vec<u32>, Error> {
    let method = match method {
        None => Method::MinMaxLttb,
        Some(name) => Method::parse(name).ok_or_else(|| {
            Error::validation(
                "method",
                format!(
                    "method must be one of {}, not {:?}",
                    Method::NAMES.join(", "),
                    clip(name)
                ),
            )
        })?,
    };
    if !(max_points.fract() == 0.0 && (3.0..=f64::from(u32::MAX)).contains(&max_points)) {
        return Err(Error::validation(
            "maxPoints",
            format!(
                "maxPoints must be an integer of at least 3, not {}",
                Num(max_points)
            ),
        ));
    }
    downsample(x, y, max_points as usize, method).map_err(|e| {
        let field = match e {
            DownsampleError::Lengths { .. }
            | DownsampleError::XNotFinite { .. }
            | DownsampleError::XNotSorted { .. } => "x",
            DownsampleError::TooFewPoints(_) => "maxPoints",
        };
        Error::validation(field, e.to_string())
    })
}

#[cfg(test)]
mod tests;
