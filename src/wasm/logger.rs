//! The metric logger's engine: the core's [`MetricQueue`] fed by `log()`, drained by requests
//! it starts itself. Timers and lifecycle (intervals, page hide, process exit) belong to the
//! JavaScript layer, which calls `pump()` and hears back through `notify`.

mod journal;
mod log;
mod send;

use send::append_request;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::endpoints;
use crate::core::error::{Error, Result};
use crate::core::queue::{Failure, MetricQueue, QueuedPoint};
use crate::core::retry::{self, RetryPolicy};
use crate::core::sender::Sender;
use crate::core::text::{clip, quote};
use crate::core::validate;
use crate::wasm::convert::{error_to_js, Options};
use crate::wasm::http::{date_now, CallOptions, Transport};
use crate::wasm::OutOfLine;

/// What every send of one logger shares.
struct LoggerSetup {
    /// Where requests go.
    transport: Rc<Transport>,
    /// The job the points belong to.
    job_id: u64,
    /// Requests in flight at most.
    concurrency: usize,
    /// Per-request settings (time limit).
    call: CallOptions,
    /// Whether points logged without a timestamp get the client's clock (else the server's).
    client_clock: bool,
    /// Whether failures are kept for `onError` (`takeNewFailures()`).
    reports_errors: bool,
    /// Called after every request, so the JavaScript layer can pump and settle flushes. It
    /// must not hold the JavaScript logger strongly (the logger could never be collected).
    notify: Function,
}

struct State {
    sender: Sender,
    in_flight: usize,
    /// Failures not yet handed to `onError`.
    new_failures: Vec<Failure>,
    /// The session expired and the JavaScript layer has not yet been told.
    login_wanted: bool,
    /// The 401 that paused the queue, to fail it with if the login fails.
    unauthorized: Option<Error>,
    /// The durable journal, when the logger has one (see `logger/journal.rs`).
    journal: Option<journal::LoggerJournal>,
}

/// A metric logger for one job.
#[wasm_bindgen(js_name = WasmLogger)]
pub struct WasmLogger {
    setup: Rc<LoggerSetup>,
    state: Rc<RefCell<State>>,
}

#[wasm_bindgen(js_class = WasmLogger)]
impl WasmLogger {
    /// Starts as many requests as the concurrency and the logger's state allow (all waiting
    /// points, with `keepalive`, when the page is going away). Returns the ms until a point
    /// (or the next probe of an outage) is due, or -1 when none will be without an answer.
    pub fn pump(&self, keepalive: bool) -> f64 {
        let mut keepalive_budget = KEEPALIVE_BUDGET_BYTES;
        // One clock reading for the round: the delay returned below must agree with what
        // `next()` refused. Read twice, a millisecond ticking over in between turned a probe
        // not yet due into "due now, 0 ms", which is filtered out as "waits for a free slot":
        // no timer was set, and a logger closing during an outage waited for nothing (Node
        // ended with exit code 13, its `close()` unsettled).
        let mut now = date_now();
        loop {
            let (point, request) = {
                let mut state = self.state.borrow_mut();
                let in_flight = state.in_flight;
                let next = if keepalive {
                    // Going away: nothing waits for a delay or a probe any more.
                    state.sender.next_unloading()
                } else {
                    state.sender.next(now, in_flight, self.setup.concurrency)
                };
                let Some(point) = next else {
                    break;
                };
                let request = append_request(self.setup.job_id, &point);
                if keepalive {
                    // Browsers refuse keepalive requests past 64 KiB of bodies in flight.
                    let size = request.body.as_ref().map_or(0, String::len);
                    if size > keepalive_budget {
                        state.sender.unsend(&point.key());
                        break;
                    }
                    keepalive_budget -= size;
                }
                state.in_flight += 1;
                (point, request)
            };
            self.send(point, request, keepalive);
            now = date_now();
        }
        let state = self.state.borrow();
        // A point due now but not sent waits for a free slot: a request's end pumps again.
        state
            .sender
            .next_due_in(now)
            .filter(|due| *due > 0.0)
            .unwrap_or(-1.0)
    }

    /// The sequence number of the latest point logged: `flush()` waits for it to settle.
    pub fn mark(&self) -> f64 {
        self.state.borrow().sender.queue().mark() as f64
    }

    /// Whether every point logged up to `mark` is stored or given up on.
    #[wasm_bindgen(js_name = isSettled)]
    pub fn is_settled(&self, mark: f64) -> bool {
        self.state.borrow().sender.queue().is_settled(mark as u64)
    }

    /// The points logged up to `mark` that were given up on, each once:
    /// `[{ name, step, value, error }]`.
    #[wasm_bindgen(js_name = takeFailures)]
    pub fn take_failures(&self, mark: f64) -> OutOfLine<js_sys::Array> {
        let failures = self.state.borrow_mut().sender.take_failures(mark as u64);
        Ok(failures.iter().map(failure_to_js).collect())
    }

    /// The points logged up to `mark` that were given up on, left for later flushes that
    /// cover them too: `[{ name, step, value, error }]`.
    #[wasm_bindgen(js_name = peekFailures)]
    pub fn peek_failures(&self, mark: f64) -> OutOfLine<js_sys::Array> {
        let failures = self.state.borrow().sender.peek_failures(mark as u64);
        Ok(failures.iter().map(failure_to_js).collect())
    }

    /// The failures since the last call, for `onError` (`[{ name, step, value, error }]`).
    #[wasm_bindgen(js_name = takeNewFailures)]
    pub fn take_new_failures(&self) -> OutOfLine<js_sys::Array> {
        let failures = std::mem::take(&mut self.state.borrow_mut().new_failures);
        Ok(failures.iter().map(failure_to_js).collect())
    }

    /// Whether the session expired since the last call: the JavaScript layer then calls
    /// `onUnauthorized` and, once it resolves, `resume()` (or `loginFailed()`).
    #[wasm_bindgen(js_name = takeLoginRequest)]
    pub fn take_login_request(&self) -> bool {
        std::mem::take(&mut self.state.borrow_mut().login_wanted)
    }

    /// The new login succeeded: the queue goes on.
    pub fn resume(&self) {
        self.state.borrow_mut().sender.resume();
    }

    /// The new login failed with `reason`: every waiting point fails with the 401.
    #[wasm_bindgen(js_name = loginFailed)]
    pub fn login_failed(&self, reason: String) {
        let mut state = self.state.borrow_mut();
        let mut error = state.unauthorized.take().unwrap_or_else(|| {
            Error::validation(
                "onUnauthorized",
                "the session expired and onUnauthorized failed",
            )
        });
        if let Error::Api(api) = &mut error {
            api.message = format!(
                "{} (onUnauthorized failed: {})",
                api.message,
                quote(&clip(&reason))
            );
        }
        let failures = state.sender.fail_pending(&error);
        self.keep_for_on_error(&mut state, failures);
    }

    /// Gives up every point not yet in flight (a `close()` past its deadline, `after_ms`, or
    /// `aborted`); they join the failures a flush reports. Requests in flight end as they will,
    /// without retries.
    pub fn abandon(&self, after_ms: f64, aborted: bool) {
        let method = "POST".to_owned();
        // The path the points go to (the same as the job's metrics read).
        let path = endpoints::job_metrics(self.setup.job_id).full_path(&self.setup.transport.base);
        let error = if aborted {
            Error::Abort { method, path }
        } else {
            Error::Timeout {
                timeout_ms: after_ms,
                method,
                path,
            }
        };
        let mut state = self.state.borrow_mut();
        let failures = state.sender.close(&error);
        self.keep_for_on_error(&mut state, failures);
    }

    /// Sends an outage's next probe now, whatever its backoff (a deadline is near).
    #[wasm_bindgen(js_name = probeNow)]
    pub fn probe_now(&self) {
        self.state.borrow_mut().sender.probe_now(date_now());
    }

    /// How many points logged up to `mark` are not stored yet.
    #[wasm_bindgen(js_name = unsentCount)]
    pub fn unsent_count(&self, mark: f64) -> usize {
        self.state
            .borrow()
            .sender
            .queue()
            .count_held_up_to(mark as u64)
            + journal::spilled(&self.state.borrow())
    }

    /// The first `limit` points logged up to `mark` that are not stored yet, as
    /// `[{ name, step, value }]`.
    pub fn unsent(&self, mark: f64, limit: usize) -> OutOfLine<js_sys::Array> {
        let points = self
            .state
            .borrow()
            .sender
            .queue()
            .held_up_to(mark as u64, limit);
        Ok(points.iter().map(point_to_js).collect())
    }

    /// `{ queued, inFlight, sent, retried, coalesced, failed, requests, state }`.
    pub fn stats(&self) -> OutOfLine<JsValue> {
        let state = self.state.borrow();
        let stats = state.sender.stats();
        let object = Object::new();
        for (key, value) in [
            ("queued", stats.queued as f64),
            ("inFlight", stats.in_flight as f64),
            ("sent", stats.sent as f64),
            ("retried", stats.retried as f64),
            ("coalesced", stats.coalesced as f64),
            ("failed", stats.failed as f64),
            ("requests", state.sender.requests() as f64),
        ] {
            let _ = Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_f64(value));
        }
        let _ = Reflect::set(
            &object,
            &JsValue::from_str("state"),
            &JsValue::from_str(state.sender.link().name()),
        );
        Ok(object.into())
    }

    /// Whether any point waits or is in flight.
    #[wasm_bindgen(getter)]
    pub fn busy(&self) -> bool {
        let state = self.state.borrow();
        !state.sender.queue().is_empty() || journal::spilled(&state) > 0
    }

    /// Whether points were given up on that no `flush()` has reported yet.
    #[wasm_bindgen(getter, js_name = hasFailures)]
    pub fn has_failures(&self) -> bool {
        self.state.borrow().sender.queue().has_failures()
    }

    /// How many points are held (waiting or in flight).
    #[wasm_bindgen(getter)]
    pub fn held(&self) -> usize {
        self.state.borrow().sender.queue().len()
    }

    /// The job the points belong to.
    #[wasm_bindgen(getter, js_name = jobId)]
    pub fn job_id(&self) -> f64 {
        self.setup.job_id as f64
    }
}

/// A logger's requests in flight, unless the caller says otherwise.
const DEFAULT_CONCURRENCY: f64 = 4.0;
/// A logger's bound on points held, unless the caller says otherwise.
const DEFAULT_MAX_QUEUE: f64 = 100_000.0;
const RETRY_OPTIONS: &[&str] = &["retries", "minDelayMs", "maxDelayMs", "giveUpAfterMs"];

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
        // Used by the JavaScript layer; checked here with the rest.
        for (name, default) in [("flushIntervalMs", 0.0), ("exitFlushMs", 0.0)] {
            validate::bounded_number(
                &options.get(name),
                name,
                0.0,
                validate::MAX_TIMEOUT_MS,
                default,
            )?;
        }
        let policy = retry_policy(options)?;
        let reports_errors = validate::callback(&options.get("onError"), "onError")?;
        validate::callback(&options.get("onProgress"), "onProgress")?;
        let can_log_in = validate::callback(&options.get("onUnauthorized"), "onUnauthorized")?;
        let auto_steps = validate::logger_step(&options.get("step"))?;
        let client_clock = validate::clock(&options.get("timestamp"))?;
        let timeout_ms = transport.time_limit(&options.get("timeoutMs"))?;
        let setup = LoggerSetup {
            transport,
            job_id,
            concurrency: concurrency as usize,
            call: CallOptions {
                timeout_ms,
                signal: None,
                keepalive: false,
            },
            client_clock,
            reports_errors,
            notify,
        };
        let queue = MetricQueue::new(max_queue as usize, auto_steps);
        Ok(WasmLogger {
            setup: Rc::new(setup),
            state: Rc::new(RefCell::new(State {
                sender: Sender::new(queue, policy, can_log_in),
                in_flight: 0,
                new_failures: Vec::new(),
                login_wanted: false,
                unauthorized: None,
                journal: None,
            })),
        })
    }

    /// Keeps `failures` for `onError`, when there is one.
    fn keep_for_on_error(&self, state: &mut State, failures: Vec<Failure>) {
        if self.setup.reports_errors {
            state.new_failures.extend(failures);
        }
    }
}

/// The logger's retry policy from its `retry` option.
fn retry_policy(options: &Options) -> Result<RetryPolicy> {
    let retry = Options::read(&options.raw("retry"), "retry", RETRY_OPTIONS)?;
    retry::policy_from(
        &retry.get("retries"),
        &retry.get("minDelayMs"),
        &retry.get("maxDelayMs"),
        &retry.get("giveUpAfterMs"),
        RetryPolicy::default(),
    )
}

/// The bytes of request bodies sent with `keepalive` in one go (browsers allow 64 KiB in
/// flight; headers count too).
const KEEPALIVE_BUDGET_BYTES: usize = 48 * 1024;

/// A point as `{ name, step, value }`.
fn point_to_js(point: &QueuedPoint) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: &JsValue| {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    };
    set("name", &JsValue::from_str(&point.name));
    set("step", &JsValue::from_f64(point.step.unwrap_or(0) as f64));
    set("value", &JsValue::from_f64(point.value));
    object.into()
}

/// A failure as `{ name, step, value, error }`.
fn failure_to_js(failure: &Failure) -> JsValue {
    let object = point_to_js(&failure.point);
    let _ = Reflect::set(
        &object,
        &JsValue::from_str("error"),
        &error_to_js(&failure.error),
    );
    object
}
