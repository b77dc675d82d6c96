//! A history page's points as columns: what the JavaScript side reads out of the parsed page in
//! one pass (steps and values as numbers, the timestamps as one newline-joined string, and the
//! fields that are not of the plain type, raw), checked and decoded here with the same rules as
//! [`crate::core::decode::Snapshot`]: a step is an integer, a value a number or a special
//! value's string, a timestamp an ISO 8601 date-time.

use crate::core::input::Input;
use crate::core::timestamp::server_millis;
use crate::core::value::{special_value, Num};

/// The largest integer a JavaScript number holds exactly (2^53 - 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A field of a point that was not of its plain type, as found by the JavaScript side.
#[derive(Debug, Clone, PartialEq)]
pub struct OddField {
    /// The point's position in the page.
    pub index: usize,
    /// Which field: `point` (the point itself is not an object), `step`, `value` or `timestamp`.
    pub field: String,
    /// What it holds.
    pub raw: Input,
}

/// The decoded points of a page, column by column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Columns {
    /// Each point's step.
    pub steps: Vec<i64>,
    /// Each point's value, NaN and ±Infinity included.
    pub values: Vec<f64>,
    /// Each point's timestamp, in ms since the Unix epoch (with the server's fraction of a ms).
    pub stamps: Vec<f64>,
}

impl Columns {
    /// Checks and decodes the columns: `steps` and `values` hold the numbers (anything where a
    /// field is odd), `stamps` the timestamps joined by `\n` (an empty line where odd), `odd`
    /// the fields that were not numbers (steps, values) or strings (timestamps). The error
    /// says which point and field is wrong.
    pub fn decode(
        steps: &[f64],
        mut values: Vec<f64>,
        stamps: &str,
        odd: &[OddField],
    ) -> Result<Columns, String> {
        let n = steps.len();
        if values.len() != n {
            return Err(format!("{} values for {n} steps", values.len()));
        }
        let mut odd_stamp = vec![false; n];
        for field in odd {
            let at = |what: &str| format!("data[{}].{}: {what}", field.index, field.field);
            match (field.field.as_str(), &field.raw) {
                ("value", Input::Text(text)) => {
                    let decoded = special_value(text).ok_or_else(|| {
                        at("expected a number or one of \"nan\", \"inf\", \"-inf\"")
                    })?;
                    match values.get_mut(field.index) {
                        Some(slot) => *slot = decoded,
                        None => return Err(at("no such point")),
                    }
                }
                ("timestamp", Input::Text(_)) => {
                    return Err(at("expected an ISO 8601 date-time string on one line"))
                }
                ("timestamp", _) => match odd_stamp.get_mut(field.index) {
                    Some(slot) => *slot = true,
                    None => return Err(at("no such point")),
                },
                (_, Input::Missing) => return Err(at("missing")),
                (_, raw) => return Err(at(&format!("invalid type: {}", raw.describe()))),
            }
        }
        let mut decoded_steps = Vec::with_capacity(n);
        for (i, &step) in steps.iter().enumerate() {
            if !step.is_finite() || step.fract() != 0.0 || step.abs() > MAX_SAFE_INTEGER {
                return Err(format!(
                    "data[{i}].step: expected an integer, not {}",
                    Num(step)
                ));
            }
            decoded_steps.push(step as i64);
        }
        let mut decoded_stamps = Vec::with_capacity(n);
        let mut lines = stamps.split('\n');
        for (i, odd) in odd_stamp.iter().enumerate() {
            let line = if n == 0 { None } else { lines.next() };
            let Some(line) = line else {
                return Err(format!("{i} timestamps for {n} points"));
            };
            if *odd {
                return Err(format!(
                    "data[{i}].timestamp: expected an ISO 8601 date-time string"
                ));
            }
            let ms = server_millis(line).ok_or_else(|| {
                format!(
                    "data[{i}].timestamp: expected an ISO 8601 date-time string, not {}",
                    crate::core::text::quote(line)
                )
            })?;
            decoded_stamps.push(ms);
        }
        if n > 0 && lines.next().is_some() {
            return Err(format!("more timestamps than the {n} points"));
        }
        Ok(Columns {
            steps: decoded_steps,
            values,
            stamps: decoded_stamps,
        })
    }

    /// How many points.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The points at `positions`, in that order.
    pub fn pick(&self, positions: &[usize]) -> Columns {
        let take = |column: &[f64]| {
            positions
                .iter()
                .filter_map(|&i| column.get(i).copied())
                .collect()
        };
        Columns {
            steps: positions
                .iter()
                .filter_map(|&i| self.steps.get(i).copied())
                .collect(),
            values: take(&self.values),
            stamps: take(&self.stamps),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn odd(index: usize, field: &str, raw: Input) -> OddField {
        OddField {
            index,
            field: field.into(),
            raw,
        }
    }

    #[test]
    fn plain_points_decode_with_their_fraction_of_a_millisecond() {
        let c = Columns::decode(
            &[0.0, 1.0],
            vec![0.5, -2.0],
            "2026-01-01T00:00:00.000250+00:00\n2026-01-01T00:00:01",
            &[],
        )
        .unwrap();
        assert_eq!(c.steps, vec![0, 1]);
        assert_eq!(c.values, vec![0.5, -2.0]);
        assert_eq!(c.stamps, vec![1_767_225_600_000.25, 1_767_225_601_000.0]);
    }

    #[test]
    fn special_values_come_from_their_strings() {
        let c = Columns::decode(
            &[0.0, 1.0, 2.0],
            vec![0.0; 3],
            "2026-01-01T00:00:00\n2026-01-01T00:00:00\n2026-01-01T00:00:00",
            &[
                odd(0, "value", Input::Text("nan".into())),
                odd(1, "value", Input::Text("inf".into())),
                odd(2, "value", Input::Text("-inf".into())),
            ],
        )
        .unwrap();
        assert!(c.values[0].is_nan());
        assert_eq!(&c.values[1..], &[f64::INFINITY, f64::NEG_INFINITY]);
    }

    #[test]
    fn wrong_fields_are_refused_naming_the_point() {
        let stamp = "2026-01-01T00:00:00";
        for (steps, fields, stamps, want) in [
            (vec![1.5], vec![], stamp, "data[0].step"),
            (vec![1e300], vec![], stamp, "data[0].step"),
            (
                vec![f64::NAN],
                vec![odd(0, "step", Input::Text("1".into()))],
                stamp,
                "data[0].step",
            ),
            (
                vec![0.0],
                vec![odd(0, "value", Input::Text("1.5".into()))],
                stamp,
                "data[0].value",
            ),
            (
                vec![0.0],
                vec![odd(0, "value", Input::Missing)],
                stamp,
                "data[0].value: missing",
            ),
            (
                vec![0.0],
                vec![odd(0, "timestamp", Input::Number(1.0))],
                "",
                "data[0].timestamp",
            ),
            (vec![0.0], vec![], "soon", "data[0].timestamp"),
            (
                vec![0.0],
                vec![odd(0, "point", Input::Other("null"))],
                "",
                "data[0].point",
            ),
            (vec![0.0, 1.0], vec![], stamp, "1 timestamps for 2 points"),
        ] {
            let n = steps.len();
            let err = Columns::decode(&steps, vec![0.0; n], stamps, &fields).unwrap_err();
            assert!(err.contains(want), "{err} lacks {want}");
        }
    }

    #[test]
    fn an_empty_page_has_no_points() {
        assert!(Columns::decode(&[], vec![], "", &[]).unwrap().is_empty());
    }

    #[test]
    fn pick_keeps_the_chosen_points_in_order() {
        let c = Columns {
            steps: vec![1, 2, 3],
            values: vec![0.1, 0.2, 0.3],
            stamps: vec![10.0, 20.0, 30.0],
        };
        let p = c.pick(&[2, 0]);
        assert_eq!(
            (p.steps, p.values, p.stamps),
            (vec![3, 1], vec![0.3, 0.1], vec![30.0, 10.0])
        );
        assert_eq!(c.len(), 3);
    }
}
