//! Sending one request: a slot under the client's bound on concurrent requests, the cookies,
//! then one call of js/exchange.js's `exchange` (the global `fetch` with the time limit and the
//! caller's abort signal, the body read up to [`MAX_BODY_BYTES`], JSON parsed) whose reply,
//! awaited as one [`Reply`], becomes a JavaScript value or a typed error (src/wasm/http/answer.rs).
//! The direct path's requests ([`Transport::start`], [`Transport::finish`]) are the same
//! exchange without the future: sent at once where a slot is free, read when js/exchange.js hands
//! the reply back.

use std::cell::{Cell, RefCell};

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::core::address::ApiBase;
use crate::core::cookies::CookieJar;
use crate::core::decode::decode_error;
use crate::core::endpoints::ApiRequest;
use crate::core::error::Result;
use crate::core::hints;
use crate::core::input::Input;
use crate::core::limiter::Limiter;
use crate::core::shape::FromJson;
use crate::core::validate::{self, Credentials};
use crate::wasm::convert::js_key;
use crate::wasm::reply::Reply;
use crate::wasm::slot::Slot;

mod answer;
mod started;
pub use answer::describe_js;
pub use started::{book_deliver, StartedRequests};

/// The largest answer read (16 MiB; a page of 1,000 points is about 100 KB). js/exchange.js's
/// `exchange` enforces it: it reads a body as a stream, as JavaScript values only (no body
/// ever passes through, or grows, the wasm memory), and stops as soon as the body passes the
/// cap; a body whose declared, uncompressed length is within it is read with
/// `Response.text()`, and one declared longer is not read at all.
pub const MAX_BODY_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    /// `Date.now()`.
    pub fn date_now() -> f64;
    /// js/exchange.js's `exchange`: one whole HTTP exchange (see [`Transport::exchange`]).
    #[wasm_bindgen(extends = Function)]
    pub type Exchange;
    /// `exchange.call(undefined, deliver, id, ...)`: one crossing for the whole request; the
    /// reply comes back through `deliver(id, reply)` (see [`crate::wasm::reply`]).
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(method, js_name = call)]
    fn call(
        this: &Exchange,
        this_arg: &JsValue,
        deliver: &JsValue,
        id: u32,
        url: &str,
        method: &str,
        headers: &Object,
        body: &JsValue,
        timeout_ms: f64,
        signal: &JsValue,
        credentials: &JsValue,
        keepalive: bool,
        max_bytes: f64,
    );
}

/// Everything a client needs to send requests: where, how, how many at once, and its cookies
/// (Node only).
pub struct Transport {
    /// The API's base URL and origin.
    pub base: ApiBase,
    /// The default time limit per request, in ms.
    pub timeout_ms: f64,
    /// How a browser sends its cookies.
    pub credentials: Credentials,
    /// Extra headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// The client's own cookie jar, in runtimes without one (Node).
    pub jar: Option<RefCell<CookieJar>>,
    /// The bound on this client's requests in flight at once: every request takes a slot.
    pub limiter: Limiter,
    /// js/exchange.js's `readColumns`: reads a history page's points in one pass (see
    /// [`crate::wasm::columns`]).
    pub read_columns: js_sys::Function,
    /// js/exchange.js's `exchange`: sends a request and reads its answer in one call.
    pub exchange: Exchange,
    /// The origin of the page the client runs in (browsers), for error hints.
    pub page_origin: Option<String>,
    /// Whether a login succeeded (and no logout since), for error hints.
    pub logged_in: Cell<bool>,
    /// The request headers of the last requests with and without a body (see
    /// [`Transport::request_headers`]).
    pub header_cache: RefCell<HeaderCache>,
    /// js/exchange.js's `deliver(id, reply)` for the requests [`Transport::start`] sends.
    pub deliver: JsValue,
    /// The exchange's callback for the requests of [`Transport::send_booked`] (see
    /// [`book_deliver`]).
    pub book_deliver: JsValue,
    /// The requests [`Transport::start`] sent, until their answers are read.
    pub started: RefCell<StartedRequests>,
}

/// The headers objects sent with the last requests: every request of a client sends the
/// same headers but for its cookie, and fetch copies them (never changes them), so one object
/// serves every request until the cookie changes.
#[derive(Default)]
pub struct HeaderCache {
    /// The cookie the cached objects carry.
    cookie: Option<String>,
    /// The headers of a request without a body, then of one with a JSON body.
    objects: [Option<Object>; 2],
}

/// Per-call settings: the time limit and the caller's abort signal.
#[derive(Clone)]
pub struct CallOptions {
    /// The time limit for this call, in ms.
    pub timeout_ms: f64,
    /// The caller's signal, if any.
    pub signal: Option<AbortSignal>,
    /// Send with `keepalive` (the request may outlive the page).
    pub keepalive: bool,
}

/// The parsed JSON body of a 2xx answer (`null` for an empty body).
pub struct Answer {
    /// The parsed body.
    pub body: JsValue,
    /// The request's method, for decode errors.
    pub method: &'static str,
    /// The request's path, for decode errors.
    pub path: String,
}

impl Answer {
    /// The body, read as `T` (see [`crate::core::shape`]), or a decode error naming the
    /// request.
    pub fn decode<T: FromJson>(&self) -> Result<T> {
        if self.body.is_null() {
            return Err(decode_error("the body is empty", self.method, &self.path));
        }
        T::from_json(&self.body).map_err(|why| decode_error(why, self.method, &self.path))
    }
}

impl Transport {
    /// The headers of a request (with a JSON body or not, with `cookie` or none): `Accept`,
    /// the client's extra headers, `Content-Type` with a body, `Cookie`. Built once and reused
    /// while the cookie stays the same.
    fn request_headers(&self, with_body: bool, cookie: Option<String>) -> Object {
        let mut cache = self.header_cache.borrow_mut();
        if cache.cookie != cookie {
            *cache = HeaderCache {
                cookie,
                objects: [None, None],
            };
        }
        let slot = usize::from(with_body);
        if let Some(Some(headers)) = cache.objects.get(slot) {
            return headers.clone();
        }
        // A plain object (fetch makes its `Headers`): names in lower case, so that a later
        // one replaces an earlier one of the same name, as `Headers.set` would.
        let headers = Object::new();
        let set = |name: &str, value: &str| {
            let name = JsValue::from_str(&name.to_ascii_lowercase());
            let _ = Reflect::set(&headers, &name, &JsValue::from_str(value));
        };
        set("accept", "application/json");
        for (name, value) in &self.headers {
            set(name, value);
        }
        if with_body {
            set("content-type", "application/json");
        }
        if let Some(cookie) = &cache.cookie {
            set("cookie", cookie);
        }
        if let Some(entry) = cache.objects.get_mut(slot) {
            *entry = Some(headers.clone());
        }
        headers
    }

    /// A call's time limit: `given` (its `timeoutMs` option) checked, else the client's.
    pub fn time_limit(&self, given: &Input) -> Result<f64> {
        Ok(validate::timeout_ms(given)?.unwrap_or(self.timeout_ms))
    }

    /// Confirms that the job or experiment `owner` (its GET) exists, after a read of its items
    /// came back empty: Dioptra answers a read of one that does not exist with an empty page,
    /// so only this GET's 404 tells "nothing yet" from "no such id" (and rejects like a write).
    pub async fn confirm_exists(&self, owner: &ApiRequest, options: &CallOptions) -> Result<()> {
        self.send(owner, options).await.map(drop)
    }

    /// Sends `request` once a slot is free, and reads its answer (the readers' pages, and the
    /// checks they make; the one-shot calls and a logger's points are sent without a future
    /// of their own, see src/wasm/http/started.rs).
    pub async fn send(&self, request: &ApiRequest, options: &CallOptions) -> Result<Answer> {
        self.check_unaborted(request, options)?;
        // The request waits for its slot here; its time limit starts once it has one.
        let _slot = Slot::take(&self.limiter, options.keepalive, options.signal.as_ref())
            .await
            .ok_or_else(|| self.abort_error(request))?;
        // Boxed: a request waiting for its slot holds only this small future, not the whole
        // exchange's (thousands of waiting calls would otherwise grow the wasm memory, which
        // never shrinks, by about a kilobyte each).
        let outcome = Box::pin(self.exchange(request, options)).await;
        self.conclude(outcome)
    }

    /// An outcome as the caller gets it: the session's state noted, an error explained.
    pub(super) fn conclude(&self, outcome: Result<Answer>) -> Result<Answer> {
        match &outcome {
            Ok(answer) if answer.path.ends_with("/auth/login") => self.logged_in.set(true),
            Ok(answer) if answer.path.ends_with("/auth/logout") => self.logged_in.set(false),
            _ => {}
        }
        outcome.map_err(|error| {
            let context = hints::Context {
                origin: &self.base.origin,
                page_origin: self.page_origin.as_deref(),
                logged_in: self.logged_in.get(),
            };
            hints::explain(error, &context)
        })
    }

    /// Sends `request` once it has its slot, and reads the answer: one call of
    /// js/exchange.js's `exchange` (fetch, time limit, body read up to [`MAX_BODY_BYTES`], JSON
    /// parsed), one [`Reply`] awaited.
    async fn exchange(&self, request: &ApiRequest, options: &CallOptions) -> Result<Answer> {
        let out = self.outgoing(request);
        let body = request.body.as_deref().map(JsValue::from_str);
        let reply = Reply::new();
        self.call_exchange(
            &out,
            &Reply::deliver(),
            reply.id(),
            body.as_ref(),
            options.timeout_ms,
            options.signal.as_ref(),
            options.keepalive,
        );
        let reply = reply.await;
        self.answer(&reply, out.method, out.path, options.timeout_ms)
    }

    /// What `request` sends: its URL, method, path, headers (with this client's cookie) and
    /// credentials mode.
    pub(super) fn outgoing(&self, request: &ApiRequest) -> Outgoing {
        let method = request.method.as_str();
        let path = request.full_path(&self.base);
        let (credentials, cookie) = match &self.jar {
            // Node: no jar of its own, so ours; and no redirect is followed, so that no
            // cookie ever reaches another origin.
            Some(jar) => (
                JsValue::UNDEFINED,
                jar.borrow_mut().header(&path, date_now()),
            ),
            None => (
                js_key(match self.credentials {
                    Credentials::SameOrigin => "same-origin",
                    Credentials::Include => "include",
                    Credentials::Omit => "omit",
                }),
                None,
            ),
        };
        Outgoing {
            url: request.url(&self.base),
            method,
            path,
            headers: self.request_headers(request.body.is_some(), cookie),
            credentials,
        }
    }

    /// One call of js/exchange.js's `exchange` for `out`, its reply handed to `deliver(id, reply)`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn call_exchange(
        &self,
        out: &Outgoing,
        deliver: &JsValue,
        id: u32,
        body: Option<&JsValue>,
        timeout_ms: f64,
        signal: Option<&AbortSignal>,
        keepalive: bool,
    ) {
        self.exchange.call(
            &JsValue::UNDEFINED,
            deliver,
            id,
            &out.url,
            out.method,
            &out.headers,
            body.unwrap_or(&JsValue::UNDEFINED),
            timeout_ms,
            signal.map_or(&JsValue::UNDEFINED, |s| s.as_ref()),
            &out.credentials,
            keepalive,
            MAX_BODY_BYTES,
        );
    }
}

/// What one request sends (see [`Transport::outgoing`]).
pub(super) struct Outgoing {
    url: String,
    pub(super) method: &'static str,
    /// The path, for errors.
    pub(super) path: String,
    headers: Object,
    /// The credentials mode (undefined: this client's own jar).
    credentials: JsValue,
}
