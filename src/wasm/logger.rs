//! The metric logger's engine: the core's [`MetricQueue`] fed by `log()`, drained by requests
//! it starts itself. Timers and lifecycle (intervals, page hide, process exit) belong to the
//! JavaScript layer, which calls `pump()` and hears back through `notify`.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::endpoints::{self, ApiRequest, NewMetric};
use crate::core::error::{Error, Result};
use crate::core::input::Input;
use crate::core::queue::{Failure, Key, MetricQueue, Outcome, QueuedPoint, Refusal};
use crate::core::retry::{is_retryable, RetryPolicy};
use crate::core::timestamp::timestamp;
use crate::core::validate;
use crate::core::value::{describe_number, metric_value};
use crate::wasm::convert::{error_to_js, input, Options};
use crate::wasm::http::{date_now, CallOptions, Transport};
use crate::wasm::reader::stored_value;

/// What every send of one logger shares.
struct LoggerSetup {
    /// Where requests go.
    transport: Rc<Transport>,
    /// The job the points belong to.
    job_id: u64,
    /// When to try again.
    policy: RetryPolicy,
    /// Requests in flight at most.
    concurrency: usize,
    /// Per-request settings (time limit).
    call: CallOptions,
    /// Called with `(error, point)` for each point given up on.
    on_error: Option<Function>,
    /// Called after every request, so the JavaScript layer can pump and settle flushes.
    notify: Function,
}

struct State {
    queue: MetricQueue,
    in_flight: usize,
}

/// A metric logger for one job.
#[wasm_bindgen(js_name = WasmLogger)]
pub struct WasmLogger {
    setup: Rc<LoggerSetup>,
    state: Rc<RefCell<State>>,
}

const LOG_OPTIONS: &[&str] = &["step", "timestamp"];

#[wasm_bindgen(js_class = WasmLogger)]
impl WasmLogger {
    /// Validates and enqueues `metrics` (`{ name: value, ... }`) with `options`
    /// (`{ step, timestamp }`). Throws a validation error, or a queue-full error when the
    /// points do not fit; then nothing is logged.
    pub fn log(&self, metrics: JsValue, options: JsValue) -> std::result::Result<(), JsValue> {
        let checked = (|| {
            let options = Options::read(&options, "options", LOG_OPTIONS)?;
            let step = validate::step(&options.get("step"))?;
            let timestamp = timestamp(&options.get("timestamp"))?;
            Ok((metric_values(&metrics)?, step, timestamp))
        })();
        let (values, step, timestamp) = checked.map_err(|e: Error| error_to_js(&e))?;
        let logged = self
            .state
            .borrow_mut()
            .queue
            .log(&values, step, timestamp.as_deref());
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

    /// Starts as many requests as the concurrency allows (all waiting points, with
    /// `keepalive`, when the page is going away). Returns the ms until a point waiting out a
    /// retry delay is due, or -1 when none waits.
    pub fn pump(&self, keepalive: bool) -> f64 {
        // Going away, nothing waits for a retry delay to end.
        let now = if keepalive { f64::INFINITY } else { date_now() };
        let mut keepalive_budget = KEEPALIVE_BUDGET_BYTES;
        loop {
            let (point, request) = {
                let mut state = self.state.borrow_mut();
                if !keepalive && state.in_flight >= self.setup.concurrency {
                    break;
                }
                let Some(point) = state.queue.next(now) else {
                    break;
                };
                let request = append_request(self.setup.job_id, &point);
                if keepalive {
                    // Browsers refuse keepalive requests past 64 KiB of bodies in flight.
                    let size = request.body.as_ref().map_or(0, String::len);
                    if size > keepalive_budget {
                        state.queue.unsend(&point.key());
                        break;
                    }
                    keepalive_budget -= size;
                }
                state.in_flight += 1;
                (point, request)
            };
            self.send(point, request, keepalive);
        }
        let state = self.state.borrow();
        // A point due now but not sent waits for a free slot: a request's end pumps again.
        state
            .queue
            .next_due_in(date_now())
            .filter(|due| *due > 0.0)
            .unwrap_or(-1.0)
    }

    /// The sequence number of the latest point logged: `flush()` waits for it to settle.
    pub fn mark(&self) -> f64 {
        self.state.borrow().queue.mark() as f64
    }

    /// Whether every point logged up to `mark` is stored or given up on.
    #[wasm_bindgen(js_name = isSettled)]
    pub fn is_settled(&self, mark: f64) -> bool {
        self.state.borrow().queue.is_settled(mark as u64)
    }

    /// The points logged up to `mark` that were given up on, each once:
    /// `[{ name, step, value, error }]`.
    #[wasm_bindgen(js_name = takeFailures)]
    pub fn take_failures(&self, mark: f64) -> js_sys::Array {
        let failures = self.state.borrow_mut().queue.take_failures(mark as u64);
        failures.iter().map(failure_to_js).collect()
    }

    /// `{ queued, inFlight, sent, retried, coalesced, failed }`.
    pub fn stats(&self) -> JsValue {
        let stats = self.state.borrow().queue.stats();
        let object = Object::new();
        for (key, value) in [
            ("queued", stats.queued as f64),
            ("inFlight", stats.in_flight as f64),
            ("sent", stats.sent as f64),
            ("retried", stats.retried as f64),
            ("coalesced", stats.coalesced as f64),
            ("failed", stats.failed as f64),
        ] {
            let _ = Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_f64(value));
        }
        object.into()
    }

    /// Whether any point waits or is in flight.
    #[wasm_bindgen(getter)]
    pub fn busy(&self) -> bool {
        !self.state.borrow().queue.is_empty()
    }

    /// How many points are held (waiting or in flight).
    #[wasm_bindgen(getter)]
    pub fn held(&self) -> usize {
        self.state.borrow().queue.len()
    }
}

/// A logger's requests in flight, unless the caller says otherwise.
const DEFAULT_CONCURRENCY: f64 = 4.0;
/// A logger's bound on points held, unless the caller says otherwise.
const DEFAULT_MAX_QUEUE: f64 = 100_000.0;
/// The longest retry wait a caller may set (an hour).
const MAX_RETRY_DELAY_MS: f64 = 3_600_000.0;
const RETRY_OPTIONS: &[&str] = &["retries", "minDelayMs", "maxDelayMs"];

impl WasmLogger {
    /// A logger for `job_id` with the caller's `options` (checked); `notify` is called after
    /// each of its requests.
    pub fn create(
        transport: Rc<Transport>,
        job_id: u64,
        options: &Options,
        notify: Function,
    ) -> Result<Self> {
        let concurrency = validate::bounded_integer(
            &options.get("concurrency"),
            "concurrency",
            1.0,
            64.0,
            DEFAULT_CONCURRENCY,
        )?;
        let max_queue = validate::bounded_integer(
            &options.get("maxQueue"),
            "maxQueue",
            1.0,
            1e8,
            DEFAULT_MAX_QUEUE,
        )?;
        // Used by the JavaScript layer's timer; checked here with the rest.
        validate::bounded_number(
            &options.get("flushIntervalMs"),
            "flushIntervalMs",
            0.0,
            validate::MAX_TIMEOUT_MS,
            0.0,
        )?;
        let retry = Options::read(&options.raw("retry"), "retry", RETRY_OPTIONS)?;
        let defaults = RetryPolicy::default();
        let retries = validate::bounded_integer(
            &retry.get("retries"),
            "retry.retries",
            0.0,
            1000.0,
            f64::from(defaults.retries),
        )?;
        let min_delay_ms = validate::bounded_number(
            &retry.get("minDelayMs"),
            "retry.minDelayMs",
            0.0,
            MAX_RETRY_DELAY_MS,
            defaults.min_delay_ms,
        )?;
        let max_delay_ms = validate::bounded_number(
            &retry.get("maxDelayMs"),
            "retry.maxDelayMs",
            min_delay_ms,
            MAX_RETRY_DELAY_MS,
            defaults.max_delay_ms.max(min_delay_ms),
        )?;
        let on_error = validate::callback(&options.get("onError"), "onError")?
            .then(|| options.raw("onError").unchecked_into());
        validate::callback(&options.get("onProgress"), "onProgress")?;
        let auto_steps = validate::logger_step(&options.get("step"))?;
        let timeout_ms =
            validate::timeout_ms(&options.get("timeoutMs"))?.unwrap_or(transport.timeout_ms);
        let setup = LoggerSetup {
            transport,
            job_id,
            policy: RetryPolicy {
                retries: retries as u32,
                min_delay_ms,
                max_delay_ms,
                ..defaults
            },
            concurrency: concurrency as usize,
            call: CallOptions {
                timeout_ms,
                signal: None,
                keepalive: false,
            },
            on_error,
            notify,
        };
        Ok(Self::new(setup, max_queue as usize, auto_steps))
    }

    /// A logger with `setup`, holding at most `max_queue` points.
    fn new(setup: LoggerSetup, max_queue: usize, auto_steps: bool) -> Self {
        WasmLogger {
            setup: Rc::new(setup),
            state: Rc::new(RefCell::new(State {
                queue: MetricQueue::new(max_queue, auto_steps),
                in_flight: 0,
            })),
        }
    }

    fn send(&self, point: QueuedPoint, request: ApiRequest, keepalive: bool) {
        let setup = Rc::clone(&self.setup);
        let state = Rc::clone(&self.state);
        wasm_bindgen_futures::spawn_local(async move {
            let key: Key = point.key();
            let call = CallOptions {
                keepalive,
                ..setup.call.clone()
            };
            let sent = setup.transport.send(&request, &call).await.map(|_| ());
            let (result, retryable) = check_nan_refusal(&setup, &point, &call, sent).await;
            // The state is released before any callback runs: callbacks may log again.
            let given_up = {
                let mut state = state.borrow_mut();
                state.in_flight = state.in_flight.saturating_sub(1);
                match result {
                    Ok(_) => {
                        state.queue.succeeded(&key);
                        None
                    }
                    Err(error) => {
                        let random = js_sys::Math::random();
                        match state.queue.failed(
                            &key,
                            error,
                            retryable,
                            date_now(),
                            random,
                            &setup.policy,
                        ) {
                            Some(Outcome::Failed(failure)) => Some(failure),
                            _ => None,
                        }
                    }
                }
            };
            if let (Some(failure), Some(on_error)) = (given_up, &setup.on_error) {
                let point = failure_to_js(&failure);
                let error =
                    Reflect::get(&point, &JsValue::from_str("error")).unwrap_or(JsValue::NULL);
                let _ = on_error.call2(&JsValue::UNDEFINED, &error, &point);
            }
            let _ = setup.notify.call0(&JsValue::UNDEFINED);
        });
    }
}

/// The request that stores `point`.
fn append_request(job_id: u64, point: &QueuedPoint) -> ApiRequest {
    let metric = NewMetric {
        name: point.name.clone(),
        value: point.value,
        step: point.step,
        timestamp: point.timestamp.clone(),
    };
    endpoints::append_metric(job_id, &metric)
}

/// The bytes of request bodies sent with `keepalive` in one go (browsers allow 64 KiB in
/// flight; headers count too).
const KEEPALIVE_BUDGET_BYTES: usize = 48 * 1024;

/// Dioptra 1.2.2 answers 500 when a NaN overwrites a stored (name, step): its update path
/// writes the raw NaN, which SQLite stores as NULL in a NOT NULL column. So a 500 for a NaN
/// is checked by reading the history: NaN already stored (an earlier attempt whose answer
/// was lost) counts as stored; another value stored means the server cannot take this one,
/// and retrying would not help. Gives the outcome and whether a retry may help.
async fn check_nan_refusal(
    setup: &LoggerSetup,
    point: &QueuedPoint,
    call: &CallOptions,
    sent: Result<()>,
) -> (Result<()>, bool) {
    let error = match sent {
        Ok(()) => return (Ok(()), false),
        Err(error) => error,
    };
    let refused_nan =
        point.value.is_nan() && matches!(&error, Error::Api(api) if api.status == 500);
    if !refused_nan {
        let retryable = is_retryable(&error);
        return (Err(error), retryable);
    }
    let step = point.step.unwrap_or(0);
    match stored_value(&setup.transport, setup.job_id, &point.name, step, call).await {
        Ok(Some(stored)) if stored.is_nan() => (Ok(()), false),
        Ok(Some(stored)) => {
            let Error::Api(mut api) = error else {
                return (Err(error), false);
            };
            api.message = format!(
                "Dioptra refused to overwrite {}@{step} (stored value {}) with NaN: its 1.2.2 release answers 500 \
                 to a NaN that replaces a stored value",
                point.name,
                describe_number(stored)
            );
            (Err(Error::Api(api)), false)
        }
        // Not stored: a genuine 500 (retry), or the check itself failed (retry the point).
        Ok(None) | Err(_) => (Err(error), true),
    }
}

/// The `metrics` argument of `log()`: a plain object of metric names to values.
fn metric_values(metrics: &JsValue) -> Result<Vec<(String, f64)>> {
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

/// A failure as `{ name, step, value, error }`.
fn failure_to_js(failure: &Failure) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: &JsValue| {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    };
    set("name", &JsValue::from_str(&failure.point.name));
    set(
        "step",
        &failure
            .point
            .step
            .map_or(JsValue::from_f64(0.0), |s| JsValue::from_f64(s as f64)),
    );
    set("value", &JsValue::from_f64(failure.point.value));
    set("error", &error_to_js(&failure.error));
    object.into()
}
