//! The `#[wasm_bindgen]` surface: one client class whose methods check their arguments with
//! the core's rules, send the request, and hand back plain JavaScript values. The package's
//! JavaScript layer (`js/api.js`) wraps it in the public `DioptraClient`.

mod calls;
mod catalog;
mod columns;
pub(crate) mod convert;
mod downsample;
mod http;
mod journal;
mod logger;
mod metrics;
mod read;
mod reader;
mod reply;
mod slot;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::address::{address_argument, parse_address};
use crate::core::cookies::CookieJar;
use crate::core::endpoints::ExperimentQuery;
use crate::core::error::Result;
use crate::core::limiter::Limiter;
use crate::core::validate::{self, MAX_PAGE_LENGTH};
use convert::{abort_signal, error_to_js, extra_headers, input, Options};
use http::{CallOptions, Transport};
use logger::WasmLogger;
use reader::{Source, WasmPageReader};

/// What an export that hands JavaScript one object returns: always `Ok`.
///
/// Not the bare object, because an export whose only wasm result is an `externref` is one
/// that V8's TurboFan inlines into the optimized JavaScript that calls it, and Node 20's V8
/// (11.3) then aborts the whole process ("Fatal error ... unreachable code" in
/// `Deoptimizer::DoComputeBuiltinContinuation`) if that JavaScript is deoptimized while the
/// call runs, which anything the call does in JavaScript (an object made, a property set)
/// can cause. A `Result` comes back as three wasm results, which V8 never inlines.
/// pkg-tests/wasm-exports.test.mjs checks the shipped module for such exports.
pub(crate) type OutOfLine<T> = std::result::Result<T, JsValue>;

/// The default time limit of one request, in ms.
const DEFAULT_TIMEOUT_MS: f64 = 30_000.0;
/// The server's default page length, which the Python client also uses.
pub(crate) const DEFAULT_PAGE_LENGTH: u32 = 10;

const CLIENT_OPTIONS: &[&str] = &["timeoutMs", "credentials", "headers", "maxConcurrency"];
/// A client's requests in flight at once where it keeps its own cookie jar (Node and other
/// non-browser runtimes), unless told otherwise.
const DEFAULT_CLIENT_CONCURRENCY: f64 = 16.0;
/// The same in browsers, which themselves allow about 6 connections per server over HTTP/1.1.
const DEFAULT_BROWSER_CLIENT_CONCURRENCY: f64 = 6.0;
/// The most requests in flight at once a client may be given.
const MAX_CLIENT_CONCURRENCY: f64 = 256.0;
/// What a complete read of a metric's history (or of an experiment's jobs) takes.
pub(crate) const COMPLETE_READ_OPTIONS: &[&str] = &[
    "pageLength",
    "concurrency",
    "onProgress",
    "retry",
    "signal",
    "timeoutMs",
];
const EXPERIMENT_READ_OPTIONS: &[&str] = &[
    "sortBy",
    "descending",
    "search",
    "pageLength",
    "concurrency",
    "onProgress",
    "retry",
    "signal",
    "timeoutMs",
];
pub(crate) const LOGGER_OPTIONS: &[&str] = &[
    "concurrency",
    "exitFlushMs",
    "journal",
    "onUnauthorized",
    "timestamp",
    "flushIntervalMs",
    "maxQueue",
    "retry",
    "onError",
    "onProgress",
    "step",
    "timeoutMs",
];
/// Pages in flight at once during a complete read, unless the caller says otherwise.
const DEFAULT_CONCURRENCY: f64 = 2.0;
/// The most pages in flight a caller may ask for.
const MAX_CONCURRENCY: f64 = 16.0;

/// Bytes of wasm linear memory the package holds (it grows when needed, never shrinks).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map_or(0.0, |memory| {
            f64::from(
                memory
                    .buffer()
                    .unchecked_into::<js_sys::ArrayBuffer>()
                    .byte_length(),
            )
        })
}

/// The wasm memory itself, for the package's own tests (the package does not export it).
#[wasm_bindgen(js_name = __wasmMemoryForTests)]
pub fn wasm_memory_for_tests() -> OutOfLine<JsValue> {
    Ok(wasm_bindgen::memory())
}

/// The metrics client behind the package's `DioptraClient`.
#[wasm_bindgen(js_name = WasmClient)]
pub struct WasmClient {
    transport: Rc<Transport>,
}

#[wasm_bindgen(js_class = WasmClient)]
impl WasmClient {
    /// A client for the server at `address` (or `default_address` when `address` is
    /// undefined). `keep_cookies` is true where the runtime has no cookie jar (Node);
    /// `read_columns` is js/exchange.js's reader of a history page's points, `exchange` its sender
    /// of one request, `deliver` where the exchange hands the replies of the one-shot calls'
    /// requests (src/wasm/calls.rs).
    #[wasm_bindgen(constructor)]
    pub fn new(
        address: JsValue,
        options: JsValue,
        default_address: Option<String>,
        keep_cookies: bool,
        read_columns: js_sys::Function,
        exchange: js_sys::Function,
        deliver: js_sys::Function,
    ) -> std::result::Result<WasmClient, JsValue> {
        Self::build(
            &address,
            &options,
            default_address,
            keep_cookies,
            (read_columns, exchange.unchecked_into(), deliver.into()),
        )
        .map_err(|e| error_to_js(&e))
    }

    /// A reader of a metric's whole history (`index` meaning found out from the answers).
    #[wasm_bindgen(js_name = readHistory)]
    pub fn read_history(
        &self,
        job_id: JsValue,
        name: JsValue,
        options: JsValue,
    ) -> std::result::Result<WasmPageReader, JsValue> {
        (|| {
            let options = Options::read(&options, "options", COMPLETE_READ_OPTIONS)?;
            let source = Source::History {
                job_id: validate::resource_id(&input(&job_id), "jobId")?,
                name: validate::metric_name(&input(&name))?,
            };
            self.reader(source, &options)
        })()
        .map_err(|e| error_to_js(&e))
    }

    /// A reader of every job of an experiment with its latest metrics.
    #[wasm_bindgen(js_name = readExperiment)]
    pub fn read_experiment(
        &self,
        experiment_id: JsValue,
        options: JsValue,
    ) -> std::result::Result<WasmPageReader, JsValue> {
        (|| {
            let options = Options::read(&options, "options", EXPERIMENT_READ_OPTIONS)?;
            let source = Source::Experiment {
                experiment_id: validate::resource_id(&input(&experiment_id), "experimentId")?,
                query: ExperimentQuery {
                    sort_by: validate::optional_text(&options.get("sortBy"), "sortBy")?,
                    descending: validate::optional_bool(&options.get("descending"), "descending")?,
                    search: validate::optional_text(&options.get("search"), "search")?,
                    ..ExperimentQuery::default()
                },
            };
            self.reader(source, &options)
        })()
        .map_err(|e| error_to_js(&e))
    }

    /// A metric logger for one job; `notify` is called after each of its requests.
    #[wasm_bindgen(js_name = createLogger)]
    pub fn create_logger(
        &self,
        job_id: JsValue,
        options: JsValue,
        notify: js_sys::Function,
    ) -> std::result::Result<WasmLogger, JsValue> {
        (|| {
            let options = Options::read(&options, "options", LOGGER_OPTIONS)?;
            let job_id = validate::resource_id(&input(&job_id), "jobId")?;
            WasmLogger::create(Rc::clone(&self.transport), job_id, &options, notify)
        })()
        .map_err(|e| error_to_js(&e))
    }

    /// The API base URL requests go to.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.transport.base.base_url.clone()
    }

    /// How many cookies this client holds (always 0 where the runtime keeps them).
    #[wasm_bindgen(getter, js_name = cookieCount)]
    pub fn cookie_count(&self) -> usize {
        self.transport
            .jar
            .as_ref()
            .map_or(0, |jar| jar.borrow().len())
    }
}

impl WasmClient {
    fn build(
        address: &JsValue,
        options: &JsValue,
        default_address: Option<String>,
        keep_cookies: bool,
        (read_columns, exchange, deliver): (js_sys::Function, http::Exchange, JsValue),
    ) -> Result<Self> {
        // Where the runtime has a cookie store (a browser), the default address is the page's.
        let page_origin = if keep_cookies {
            None
        } else {
            default_address
                .as_deref()
                .and_then(|page| parse_address(page).ok())
                .map(|page| page.origin)
        };
        let base = address_argument(&input(address), default_address)?;
        let options = Options::read(options, "options", CLIENT_OPTIONS)?;
        let timeout_ms =
            validate::timeout_ms(&options.get("timeoutMs"))?.unwrap_or(DEFAULT_TIMEOUT_MS);
        let credentials = validate::credentials(&options.get("credentials"))?;
        let headers = extra_headers(&options.raw("headers"))?;
        let max_concurrency = validate::bounded_integer(
            &options.get("maxConcurrency"),
            "maxConcurrency",
            1.0,
            MAX_CLIENT_CONCURRENCY,
            if keep_cookies {
                DEFAULT_CLIENT_CONCURRENCY
            } else {
                DEFAULT_BROWSER_CLIENT_CONCURRENCY
            },
        )?;
        Ok(WasmClient {
            transport: Rc::new_cyclic(|transport| Transport {
                timeout_ms,
                credentials,
                headers,
                jar: keep_cookies.then(|| RefCell::new(CookieJar::for_origin(&base.origin))),
                limiter: Limiter::new(max_concurrency as usize),
                read_columns,
                exchange,
                page_origin,
                logged_in: Cell::new(false),
                header_cache: RefCell::default(),
                deliver,
                book_deliver: http::book_deliver(transport.clone()),
                started: RefCell::default(),
                base,
            }),
        })
    }

    fn reader(&self, source: Source, options: &Options) -> Result<WasmPageReader> {
        let concurrency = validate::bounded_integer(
            &options.get("concurrency"),
            "concurrency",
            1.0,
            MAX_CONCURRENCY,
            DEFAULT_CONCURRENCY,
        )?;
        validate::callback(&options.get("onProgress"), "onProgress")?;
        // The largest page the server allows, unless the caller asks for smaller ones.
        let page_length =
            validate::page_length(&options.get("pageLength"), MAX_PAGE_LENGTH, MAX_PAGE_LENGTH)?;
        let retry = reader::read_retry(options)?;
        let call = self.call_options(options)?;
        Ok(WasmPageReader::new(
            Rc::clone(&self.transport),
            source,
            page_length,
            concurrency as usize,
            retry,
            call,
        ))
    }

    fn call_options(&self, options: &Options) -> Result<CallOptions> {
        let timeout_ms = self.transport.time_limit(&options.get("timeoutMs"))?;
        let signal = abort_signal(&options.raw("signal"))?;
        Ok(CallOptions {
            timeout_ms,
            signal,
            keepalive: false,
        })
    }
}
