//! Complete reads of paged collections: a metric's history and an experiment's jobs, page by
//! page, with the core's [`Pager`] deciding what to request and what is new, and
//! [`PageAttempts`] whether a failed page is asked again. How a page is decoded and handed
//! out is in [`page`]; the logger's read-back of one stored step in [`step`].

mod page;
mod step;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use crate::core::catalog::{self, ExperimentSummary, JobSummary};
use crate::core::decode::{decode_error, JobMetrics, Page};
use crate::core::endpoints::{self, ApiRequest, ExperimentQuery};
use crate::core::error::{Error, Result};
use crate::core::keyset::RunKey;
use crate::core::paging::{stated_page_limit, IndexMode, PageRequest, Pager};
use crate::core::read_retry::{read_retry_policy, PageAttempts, PageFailure};
use crate::core::retry::RetryPolicy;
use crate::wasm::columns::SnapshotPage;
use crate::wasm::convert::{error_to_js, Options};
use crate::wasm::http::{date_now, Answer, CallOptions, Transport};
use crate::wasm::OutOfLine;
use page::ReadPage;
pub use step::stored_value;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// The options of a complete read that the readers keep: `retry: { retries, minDelayMs,
/// maxDelayMs, giveUpAfterMs }` (see [`crate::core::read_retry`]).
pub fn read_retry(options: &Options) -> Result<RetryPolicy> {
    const RETRY_OPTIONS: &[&str] = &["retries", "minDelayMs", "maxDelayMs", "giveUpAfterMs"];
    let retry = Options::read(&options.raw("retry"), "retry", RETRY_OPTIONS)?;
    read_retry_policy(
        &retry.get("retries"),
        &retry.get("minDelayMs"),
        &retry.get("maxDelayMs"),
        &retry.get("giveUpAfterMs"),
    )
}

/// What a reader reads.
pub enum Source {
    /// A metric's history (the meaning of `index` is found out).
    History {
        /// The job.
        job_id: u64,
        /// The metric.
        name: String,
    },
    /// An experiment's jobs (`index` is an offset there).
    Experiment {
        /// The experiment.
        experiment_id: u64,
        /// Sorting and search; paging is the reader's.
        query: ExperimentQuery,
    },
    /// The experiments (`index` is an offset there).
    Experiments {
        /// A search in Dioptra's query language.
        search: Option<String>,
    },
    /// An experiment's jobs (`index` is an offset there).
    ExperimentJobs {
        /// The experiment.
        experiment_id: u64,
    },
}

impl Source {
    /// The job or experiment whose items this reads, where there is one (see
    /// [`Transport::confirm_exists`]).
    fn owner(&self) -> Option<ApiRequest> {
        match self {
            Source::History { job_id, .. } => Some(endpoints::job(*job_id)),
            Source::Experiment { experiment_id, .. } | Source::ExperimentJobs { experiment_id } => {
                Some(endpoints::experiment(*experiment_id))
            }
            Source::Experiments { .. } => None,
        }
    }

    fn request(&self, page: PageRequest) -> ApiRequest {
        match self {
            Source::History { job_id, name } => {
                endpoints::metric_snapshots(*job_id, name, page.index, page.page_length)
            }
            Source::Experiment {
                experiment_id,
                query,
            } => endpoints::experiment_metrics(
                *experiment_id,
                &ExperimentQuery {
                    index: page.index,
                    page_length: page.page_length,
                    ..query.clone()
                },
            ),
            Source::Experiments { search } => {
                catalog::experiments(page.index, page.page_length, search.as_deref())
            }
            Source::ExperimentJobs { experiment_id } => {
                catalog::experiment_jobs(*experiment_id, page.index, page.page_length)
            }
        }
    }
}

/// A request under way: its plan, the promise that settles when it is over, its outcome, and
/// how often this page failed before.
struct InFlight {
    page: PageRequest,
    settled: Promise,
    outcome: Rc<RefCell<Option<Result<Answer>>>>,
    attempts: PageAttempts,
}

/// One complete read: the source, the pager's state, the requests in flight.
struct ReadState<K> {
    source: Source,
    pager: Pager<K>,
    in_flight: VecDeque<InFlight>,
    concurrency: usize,
    retry: RetryPolicy,
    /// Whether the read came back empty and its job or experiment was asked for already.
    owner_checked: bool,
}

/// Reads a paged collection to its end; `next()` hands out one page of new items at a time.
#[wasm_bindgen(js_name = WasmPageReader)]
pub struct WasmPageReader {
    next: Box<dyn Fn() -> Promise>,
}

#[wasm_bindgen(js_class = WasmPageReader)]
impl WasmPageReader {
    /// The next page of new items as `{ data, loaded, total }`, or `null` after the last.
    /// Call it again only after the previous call settled.
    pub fn next(&self) -> OutOfLine<Promise> {
        Ok((self.next)())
    }
}

impl WasmPageReader {
    /// A reader of `source` with `page_length` items per request, up to `concurrency`
    /// requests in flight once the paging is understood, and failed pages retried as `retry`
    /// says.
    pub fn new(
        transport: Rc<Transport>,
        source: Source,
        page_length: u32,
        concurrency: usize,
        retry: RetryPolicy,
        call: CallOptions,
    ) -> Self {
        let mode = match source {
            Source::History { .. } => IndexMode::Unknown,
            _ => IndexMode::Offset,
        };
        let typed = match source {
            Source::History { .. } => Self::typed::<SnapshotPage>,
            Source::Experiment { .. } => Self::typed::<Page<JobMetrics>>,
            Source::Experiments { .. } => Self::typed::<Page<ExperimentSummary>>,
            Source::ExperimentJobs { .. } => Self::typed::<Page<JobSummary>>,
        };
        let plan = Plan {
            source,
            page_length,
            concurrency,
            retry,
            mode,
        };
        typed(transport, plan, call)
    }

    fn typed<T: ReadPage + 'static>(
        transport: Rc<Transport>,
        plan: Plan,
        call: CallOptions,
    ) -> Self {
        let state = Rc::new(RefCell::new(ReadState::<T::Key> {
            source: plan.source,
            pager: Pager::new(plan.page_length, plan.mode),
            in_flight: VecDeque::new(),
            concurrency: plan.concurrency,
            retry: plan.retry,
            owner_checked: false,
        }));
        let next = move || {
            let state = Rc::clone(&state);
            let transport = Rc::clone(&transport);
            let call = call.clone();
            wasm_bindgen_futures::future_to_promise(async move {
                next_page::<T>(&state, &transport, &call)
                    .await
                    .map_err(|e| error_to_js(&e))
            })
        };
        WasmPageReader {
            next: Box::new(next),
        }
    }
}

/// What a reader is made of.
struct Plan {
    source: Source,
    page_length: u32,
    concurrency: usize,
    retry: RetryPolicy,
    mode: IndexMode,
}

/// Sends the request for `page` of `source`; its outcome lands in the returned flight.
fn start(
    transport: &Rc<Transport>,
    source: &Source,
    page: PageRequest,
    call: &CallOptions,
    attempts: PageAttempts,
) -> InFlight {
    let request = source.request(page);
    let outcome = Rc::new(RefCell::new(None));
    let slot = Rc::clone(&outcome);
    let (transport, call) = (Rc::clone(transport), call.clone());
    // The promise always fulfils: the outcome travels in `slot`, so that a read given up
    // early never leaves a rejected promise unhandled.
    let settled = wasm_bindgen_futures::future_to_promise(async move {
        let answer = transport.send(&request, &call).await;
        *slot.borrow_mut() = Some(answer);
        Ok(JsValue::UNDEFINED)
    });
    InFlight {
        page,
        settled,
        outcome,
        attempts,
    }
}

/// Waits `ms`, or less when `signal` fires: whether the wait ran its course.
async fn pause(ms: f64, signal: Option<&AbortSignal>) -> bool {
    if signal.is_some_and(AbortSignal::aborted) {
        return false;
    }
    let mut settle: Option<(Function, Function)> = None;
    let promise = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    let Some((resolve, reject)) = settle else {
        return true;
    };
    let timer = set_timeout(&resolve, ms);
    if let Some(signal) = signal {
        let _ = signal.add_event_listener_with_callback("abort", &reject);
    }
    let waited = JsFuture::from(promise).await.is_ok();
    clear_timeout(&timer);
    if let Some(signal) = signal {
        let _ = signal.remove_event_listener_with_callback("abort", &reject);
    }
    waited
}

/// Starts the requests the pager allows now.
fn launch<K: RunKey>(
    state: &Rc<RefCell<ReadState<K>>>,
    transport: &Rc<Transport>,
    call: &CallOptions,
) {
    let mut state = state.borrow_mut();
    loop {
        let (in_flight, concurrency) = (state.in_flight.len(), state.concurrency);
        let Some(page) = state.pager.plan(in_flight, concurrency) else {
            break;
        };
        let flight = start(
            transport,
            &state.source,
            page,
            call,
            PageAttempts::default(),
        );
        state.in_flight.push_back(flight);
    }
}

/// At the end of a read that found nothing: confirms its job or experiment exists (once). A
/// read that found items costs nothing more.
async fn check_owner<K: RunKey>(
    state: &Rc<RefCell<ReadState<K>>>,
    transport: &Rc<Transport>,
    call: &CallOptions,
) -> Result<()> {
    let owner = {
        let mut state = state.borrow_mut();
        if state.owner_checked || state.pager.loaded() > 0 {
            return Ok(());
        }
        state.owner_checked = true;
        state.source.owner()
    };
    if let Some(request) = owner {
        transport.confirm_exists(&request, call).await?;
    }
    Ok(())
}

async fn next_page<T: ReadPage>(
    state: &Rc<RefCell<ReadState<T::Key>>>,
    transport: &Rc<Transport>,
    call: &CallOptions,
) -> Result<JsValue> {
    loop {
        launch(state, transport, call);
        let Some(flight) = state.borrow_mut().in_flight.pop_front() else {
            check_owner(state, transport, call).await?;
            return Ok(JsValue::NULL);
        };
        let _ = JsFuture::from(flight.settled.clone()).await;
        let outcome = flight.outcome.borrow_mut().take();
        let Some(outcome) = outcome else { continue };
        let decoded = outcome.and_then(|answer| {
            let page = T::read(&answer, transport)?;
            Ok((answer, page))
        });
        let (answer, page) = match decoded {
            Ok(read) => read,
            Err(error) => {
                retry_or_fail(state, transport, call, flight, error).await?;
                continue;
            }
        };
        let mut state = state.borrow_mut();
        let fresh = state
            .pager
            .accept(flight.page, &page.keys(), page.total())
            .map_err(|why| decode_error(why.0, answer.method, &answer.path))?;
        if fresh.is_empty() {
            continue; // Nothing new here (an empty last page, or a shifted history): read on.
        }
        let out = Object::new();
        page.put(&out, &fresh)?;
        let set = |key: &str, value: &JsValue| Reflect::set(&out, &JsValue::from_str(key), value);
        let _ = set("loaded", &JsValue::from_f64(state.pager.loaded() as f64));
        let total = state
            .pager
            .total()
            .unwrap_or_default()
            .max(state.pager.loaded());
        let _ = set("total", &JsValue::from_f64(total as f64));
        return Ok(out.into());
    }
}

/// After page `flight` failed with `error`: a smaller page length when the server stated its
/// maximum (the read starts over), else a wait and the same page asked again (the pages read
/// and those in flight are kept), else the read fails with `error` (or with an abort, when the
/// caller's signal fires during the wait).
async fn retry_or_fail<K: RunKey>(
    state: &Rc<RefCell<ReadState<K>>>,
    transport: &Rc<Transport>,
    call: &CallOptions,
    mut flight: InFlight,
    error: Error,
) -> Result<()> {
    let (action, path) = {
        let mut state = state.borrow_mut();
        if let Some(limit) = stated_page_limit(&error) {
            // The server's maximum is lower than asked: use it and start over (what is in
            // flight was asked with the refused length: drop it).
            if state.pager.shrink_page_length(limit) {
                state.in_flight.clear();
                return Ok(());
            }
        }
        let policy = state.retry;
        let action =
            flight
                .attempts
                .after_failure(&error, &policy, date_now(), js_sys::Math::random());
        let path = state.source.request(flight.page).full_path(&transport.base);
        (action, path)
    };
    let PageFailure::Retry { wait_ms } = action else {
        state.borrow_mut().in_flight.clear();
        return Err(error);
    };
    if !pause(wait_ms, call.signal.as_ref()).await {
        state.borrow_mut().in_flight.clear();
        return Err(Error::Abort {
            method: "GET".to_owned(),
            path,
        });
    }
    let mut state = state.borrow_mut();
    let again = start(transport, &state.source, flight.page, call, flight.attempts);
    state.in_flight.push_front(again);
    Ok(())
}
