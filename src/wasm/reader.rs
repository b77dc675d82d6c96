//! Complete reads of paged collections: a metric's history and an experiment's jobs, page by
//! page, with the core's [`Pager`] deciding what to request and what is new.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::core::decode::{decode_error, JobMetrics, Page, Snapshot};
use crate::core::endpoints::{self, ApiRequest, ExperimentQuery};
use crate::core::error::Result;
use crate::core::paging::{stated_page_limit, IndexMode, Keyed, PageRequest, Pager};
use crate::wasm::convert::{error_to_js, to_js};
use crate::wasm::http::{Answer, CallOptions, Transport};

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
}

impl Source {
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
        }
    }
}

/// A request under way: its plan, the promise that settles when it is over, and its outcome.
struct InFlight {
    page: PageRequest,
    settled: Promise,
    outcome: Rc<RefCell<Option<Result<Answer>>>>,
}

/// One complete read: the source, the pager's state, the requests in flight.
struct ReadState<K> {
    source: Source,
    pager: Pager<K>,
    in_flight: VecDeque<InFlight>,
    concurrency: usize,
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
    pub fn next(&self) -> Promise {
        (self.next)()
    }
}

impl WasmPageReader {
    /// A reader of `source` with `page_length` items per request and up to `concurrency`
    /// requests in flight once the paging is understood.
    pub fn new(
        transport: Rc<Transport>,
        source: Source,
        page_length: u32,
        concurrency: usize,
        call: CallOptions,
    ) -> Self {
        match source {
            Source::History { .. } => Self::typed::<Snapshot>(
                transport,
                source,
                page_length,
                concurrency,
                call,
                IndexMode::Unknown,
            ),
            Source::Experiment { .. } => Self::typed::<JobMetrics>(
                transport,
                source,
                page_length,
                concurrency,
                call,
                IndexMode::Offset,
            ),
        }
    }

    fn typed<T>(
        transport: Rc<Transport>,
        source: Source,
        page_length: u32,
        concurrency: usize,
        call: CallOptions,
        mode: IndexMode,
    ) -> Self
    where
        T: Keyed + DeserializeOwned + Serialize + 'static,
    {
        let state = Rc::new(RefCell::new(ReadState::<T::Key> {
            source,
            pager: Pager::new(page_length, mode),
            in_flight: VecDeque::new(),
            concurrency,
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

/// Starts the requests the pager allows now.
fn launch<K: Copy + Eq + std::hash::Hash>(
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
        let request = state.source.request(page);
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
        state.in_flight.push_back(InFlight {
            page,
            settled,
            outcome,
        });
    }
}

async fn next_page<T>(
    state: &Rc<RefCell<ReadState<T::Key>>>,
    transport: &Rc<Transport>,
    call: &CallOptions,
) -> Result<JsValue>
where
    T: Keyed + DeserializeOwned + Serialize,
{
    loop {
        launch(state, transport, call);
        let Some(flight) = state.borrow_mut().in_flight.pop_front() else {
            return Ok(JsValue::NULL);
        };
        let _ = JsFuture::from(flight.settled).await;
        let outcome = flight.outcome.borrow_mut().take();
        let answer = match outcome {
            Some(Ok(answer)) => answer,
            Some(Err(error)) => {
                let mut state = state.borrow_mut();
                if let Some(limit) = stated_page_limit(&error) {
                    // The server's maximum is lower than asked: use it and start over (what is
                    // in flight was asked with the refused length: drop it).
                    if state.pager.shrink_page_length(limit) {
                        state.in_flight.clear();
                        continue;
                    }
                }
                state.in_flight.clear();
                return Err(error);
            }
            None => continue,
        };
        let page: Page<T> = answer.decode()?;
        let keys: Vec<T::Key> = page.data.iter().map(Keyed::key).collect();
        let mut state = state.borrow_mut();
        let fresh = state
            .pager
            .accept(flight.page, &keys, page.total_num_results)
            .map_err(|why| decode_error(why.0, answer.method, &answer.path))?;
        let mut items: Vec<Option<T>> = page.data.into_iter().map(Some).collect();
        let data: Vec<T> = fresh
            .into_iter()
            .filter_map(|i| items.get_mut(i).and_then(Option::take))
            .collect();
        if data.is_empty() {
            continue; // Nothing new here (an empty last page, or a shifted history): read on.
        }
        let out = Object::new();
        let set = |key: &str, value: &JsValue| Reflect::set(&out, &JsValue::from_str(key), value);
        let _ = set("data", &to_js(&data)?);
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

/// The value stored for `step` of a metric's history, if that step is stored: read page by
/// page until it shows up (the logger's check after Dioptra 1.2.2 refuses a NaN overwrite).
pub async fn stored_value(
    transport: &Transport,
    job_id: u64,
    name: &str,
    step: i64,
    call: &CallOptions,
) -> Result<Option<f64>> {
    let source = Source::History {
        job_id,
        name: name.to_owned(),
    };
    let mut pager: Pager<i64> =
        Pager::new(crate::core::validate::MAX_PAGE_LENGTH, IndexMode::Unknown);
    while let Some(page_request) = pager.plan(0, 1) {
        let answer = match transport.send(&source.request(page_request), call).await {
            Ok(answer) => answer,
            Err(error) => match stated_page_limit(&error) {
                Some(limit) if pager.shrink_page_length(limit) => continue,
                _ => return Err(error),
            },
        };
        let page: Page<Snapshot> = answer.decode()?;
        if let Some(point) = page.data.iter().find(|p| p.step == step) {
            return Ok(Some(point.value.0));
        }
        let keys: Vec<i64> = page.data.iter().map(Keyed::key).collect();
        pager
            .accept(page_request, &keys, page.total_num_results)
            .map_err(|why| decode_error(why.0, answer.method, &answer.path))?;
    }
    Ok(None)
}
