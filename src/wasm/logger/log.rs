//! What `log()` takes in: the points checked, then queued (and journaled). `log()` takes the
//! arguments as the user gave them; `logNumbers()` takes what js/logger.js read from the
//! common case (a plain object of numbers, a numeric step or none) in one crossing: the names
//! joined by newlines (which no metric name has) and the values as a `Float64Array`, where
//! `log()` crosses the boundary about thirty times for two metrics.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::{journal, WasmLogger};
use crate::core::error::{Error, Result};
use crate::core::input::Input;
use crate::core::queue::Refusal;
use crate::core::timestamp::{timestamp, wire_millis};
use crate::core::validate;
use crate::core::value::metric_value;
use crate::wasm::convert::{error_to_js, input, Options};
use crate::wasm::http::date_now;

/// The options of `log()`.
pub(super) const LOG_OPTIONS: &[&str] = &["step", "timestamp"];

#[wasm_bindgen(js_class = WasmLogger)]
impl WasmLogger {
    /// Validates and enqueues `metrics` (`{ name: value, ... }`) with `options`
    /// (`{ step, timestamp }`). Throws a validation error, or a queue-full error when the
    /// points do not fit; then nothing is logged.
    pub fn log(&self, metrics: JsValue, options: JsValue) -> std::result::Result<(), JsValue> {
        let now = date_now();
        let checked = (|| {
            let options = Options::read(&options, "options", LOG_OPTIONS)?;
            let step = validate::step(&options.get("step"))?;
            let timestamp = self.timestamp(&options.get("timestamp"), now)?;
            Ok((metric_values(&metrics)?, step, timestamp))
        })();
        let (values, step, timestamp) = checked.map_err(|e: Error| error_to_js(&e))?;
        self.enqueue(&values, step, timestamp, now)
    }

    /// `log()` of metrics whose names are `names` (joined by newlines) and values `values`,
    /// at `step` (none: the server's 0), with no timestamp option: the same checks, in the
    /// same order, and the same errors.
    #[wasm_bindgen(js_name = logNumbers)]
    pub fn log_numbers(
        &self,
        names: &str,
        values: &[f64],
        step: Option<f64>,
    ) -> std::result::Result<(), JsValue> {
        let now = date_now();
        let checked = (|| {
            let step = validate::step(&Input::optional_number(step))?;
            let timestamp = self.timestamp(&Input::Missing, now)?;
            let mut metrics = Vec::with_capacity(values.len());
            for (name, value) in names.split('\n').zip(values) {
                let name = validate::metric_name(&Input::Text(name.to_owned()))?;
                metrics.push((name, *value));
            }
            if metrics.len() != values.len() {
                return Err(Error::validation(
                    "metrics",
                    "the names and values given differ in number",
                ));
            }
            Ok((metrics, step, timestamp))
        })();
        let (values, step, timestamp) = checked.map_err(|e: Error| error_to_js(&e))?;
        self.enqueue(&values, step, timestamp, now)
    }
}

impl WasmLogger {
    /// A point's timestamp: the one given, else the client's clock at `now` where the logger
    /// stamps points itself (none: the server's clock).
    fn timestamp(&self, given: &Input, now: f64) -> Result<Option<String>> {
        Ok(match timestamp(given)? {
            None if self.setup.client_clock => wire_millis(now),
            given => given,
        })
    }

    /// Queues checked points (or journals them past `maxQueue`, where the logger has a
    /// journal); the error of a full queue, and nothing logged, otherwise.
    fn enqueue(
        &self,
        values: &[(String, f64)],
        step: Option<i64>,
        timestamp: Option<String>,
        now: f64,
    ) -> std::result::Result<(), JsValue> {
        let mut state = self.state.borrow_mut();
        let steps = journal::steps_to_journal(&state, values, step);
        let logged = if journal::spilling(&state) {
            Err(Refusal::Full(0)) // Spilled points go first: the new ones join them.
        } else {
            state.sender.log(values, step, timestamp.as_deref(), now)
        };
        let logged = match logged {
            Ok(()) => {
                journal::logged(&mut state, values, steps, timestamp.as_deref());
                Ok(())
            }
            // With a journal, points past `maxQueue` are kept on disk only.
            Err(_)
                if journal::spill(&mut state, values, steps.as_deref(), timestamp.as_deref()) =>
            {
                Ok(())
            }
            Err(refusal) => Err(refusal),
        };
        logged.map_err(|refusal| {
            error_to_js(&match refusal {
                Refusal::Full(max_queue) => Error::QueueFull { max_queue },
                Refusal::TooMany { points, max_queue } => Error::validation(
                    "metrics",
                    format!("one log() call names {points} new points, more than maxQueue ({max_queue}) can ever hold"),
                ),
            })
        })
    }
}

/// The `metrics` argument of `log()`: a plain object of metric names to values.
pub(super) fn metric_values(metrics: &JsValue) -> Result<Vec<(String, f64)>> {
    if !matches!(input(metrics), Input::Other("an object")) {
        return Err(Error::validation(
            "metrics",
            format!(
                "metrics must be an object of metric names to values (e.g. {{ loss: 0.5 }}), not {}",
                input(metrics).describe()
            ),
        ));
    }
    let object: &Object = metrics.unchecked_ref();
    let mut values = Vec::new();
    for key in Object::keys(object).iter() {
        let name = validate::metric_name(&input(&key))?;
        let value = Reflect::get(object, &key).unwrap_or(JsValue::UNDEFINED);
        let value = metric_value(&input(&value)).map_err(|e| match e {
            Error::Validation { message, .. } => {
                Error::validation("metricValue", format!("{name}: {message}"))
            }
            other => other,
        })?;
        values.push((name, value));
    }
    if values.is_empty() {
        return Err(Error::validation(
            "metrics",
            "metrics must name at least one metric",
        ));
    }
    Ok(values)
}
