//! Sending one request with the global `fetch`: a slot under the client's bound on
//! concurrent requests, time limit, abort signal, cookies, and the answer read into a
//! JavaScript value or a typed error.

use std::cell::{Cell, RefCell};

use js_sys::{Function, Promise, Reflect};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, Headers, RequestCredentials, RequestInit, RequestRedirect,
    Response,
};

use crate::core::address::ApiBase;
use crate::core::cookies::CookieJar;
use crate::core::decode::{api_error, decode_error, ErrorBody};
use crate::core::endpoints::ApiRequest;
use crate::core::error::{Error, Result};
use crate::core::hints;
use crate::core::limiter::Limiter;
use crate::core::retry::parse_retry_after;
use crate::core::text::quote;
use crate::core::validate::Credentials;
use crate::wasm::body::{read_body, read_declared, Body, MAX_BODY_BYTES};
use crate::wasm::slot::Slot;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    /// The global `setTimeout`.
    pub fn set_timeout(callback: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    /// `Date.now()`.
    pub fn date_now() -> f64;
    /// `JSON.parse` of a JavaScript string (js-sys's takes a Rust `&str`, copied into wasm).
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &js_sys::JsString) -> std::result::Result<JsValue, JsValue>;
    /// An answer's `Headers`, as Node 20 has them.
    #[wasm_bindgen(extends = Headers)]
    type NodeHeaders;
    /// `Headers.prototype.getSetCookie` (Node 20; throws where the runtime lacks it).
    #[wasm_bindgen(catch, method, js_name = getSetCookie)]
    fn get_set_cookie(this: &NodeHeaders) -> std::result::Result<js_sys::Array, JsValue>;
    /// The global `fetch`: Node, browsers and workers alike.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch(url: &str, init: &RequestInit) -> std::result::Result<Promise, JsValue>;
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
    /// js/api.js's `readColumns`: reads a history page's points in one pass (see
    /// [`crate::wasm::columns`]).
    pub read_columns: js_sys::Function,
    /// The origin of the page the client runs in (browsers), for error hints.
    pub page_origin: Option<String>,
    /// Whether a login succeeded (and no logout since), for error hints.
    pub logged_in: Cell<bool>,
    /// The request headers of the last requests with and without a body (see
    /// [`Transport::request_headers`]).
    pub header_cache: RefCell<HeaderCache>,
}

/// The `Headers` objects sent with the last requests: every request of a client sends the
/// same headers but for its cookie, and fetch copies them (never changes them), so one object
/// serves every request until the cookie changes.
#[derive(Default)]
pub struct HeaderCache {
    /// The cookie the cached objects carry.
    cookie: Option<String>,
    /// The headers of a request without a body, then of one with a JSON body.
    objects: [Option<Headers>; 2],
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

/// Aborts a request when its time runs out or the caller's signal fires, and cleans up both
/// the timer and the listener when the request is over.
struct AbortGuard {
    controller: AbortController,
    abort: Function,
    timer: JsValue,
    caller: Option<AbortSignal>,
}

thread_local! {
    /// `AbortController.prototype.abort`, looked up on the first controller.
    static ABORT: RefCell<Option<Function>> = const { RefCell::new(None) };
}

impl AbortGuard {
    fn new(options: &CallOptions) -> Result<AbortGuard> {
        let controller = AbortController::new().map_err(|e| js_failure("AbortController", &e))?;
        let abort = ABORT.with(|cached| -> Result<Function> {
            if let Some(abort) = cached.borrow().as_ref() {
                return Ok(abort.clone());
            }
            let abort: Function = Reflect::get(&controller, &JsValue::from_str("abort"))
                .map_err(|e| js_failure("AbortController.abort", &e))?
                .dyn_into()
                .map_err(|e| js_failure("AbortController.abort", &e))?;
            *cached.borrow_mut() = Some(abort.clone());
            Ok(abort)
        })?;
        let abort = abort.bind0(&controller);
        if let Some(signal) = &options.signal {
            let _ = signal.add_event_listener_with_callback("abort", &abort);
        }
        let timer = set_timeout(&abort, options.timeout_ms);
        Ok(AbortGuard {
            controller,
            abort,
            timer,
            caller: options.signal.clone(),
        })
    }

    /// Stops the request (its answer is not wanted).
    fn cancel(&self) {
        self.controller.abort();
    }

    fn signal(&self) -> AbortSignal {
        self.controller.signal()
    }

    /// The error for a failure of the fetch or of reading its body.
    fn classify(
        &self,
        failure: &JsValue,
        options: &CallOptions,
        method: &str,
        path: &str,
    ) -> Error {
        if self.caller.as_ref().is_some_and(AbortSignal::aborted) {
            Error::Abort {
                method: method.to_owned(),
                path: path.to_owned(),
            }
        } else if self.controller.signal().aborted() {
            Error::Timeout {
                timeout_ms: options.timeout_ms,
                method: method.to_owned(),
                path: path.to_owned(),
            }
        } else {
            Error::Network {
                message: describe_js(failure),
                method: method.to_owned(),
                path: path.to_owned(),
            }
        }
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        if let Some(signal) = &self.caller {
            let _ = signal.remove_event_listener_with_callback("abort", &self.abort);
        }
    }
}

fn js_failure(what: &str, error: &JsValue) -> Error {
    Error::Network {
        message: format!("{what} is not available: {}", describe_js(error)),
        method: String::new(),
        path: String::new(),
    }
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
    /// The body, decoded as `T`, or a decode error naming the request.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T> {
        if self.body.is_null() {
            return Err(decode_error("the body is empty", self.method, &self.path));
        }
        serde_wasm_bindgen::from_value(self.body.clone())
            .map_err(|e| decode_error(e, self.method, &self.path))
    }
}

impl Transport {
    /// The headers of a request (with a JSON body or not, with `cookie` or none): `Accept`,
    /// the client's extra headers, `Content-Type` with a body, `Cookie`. Built once and reused
    /// while the cookie stays the same.
    fn request_headers(
        &self,
        with_body: bool,
        cookie: Option<String>,
    ) -> std::result::Result<Headers, JsValue> {
        let mut cache = self.header_cache.borrow_mut();
        if cache.cookie != cookie {
            *cache = HeaderCache {
                cookie,
                objects: [None, None],
            };
        }
        let slot = usize::from(with_body);
        if let Some(Some(headers)) = cache.objects.get(slot) {
            return Ok(headers.clone());
        }
        let headers = Headers::new()?;
        headers.set("Accept", "application/json")?;
        for (name, value) in &self.headers {
            headers.set(name, value)?;
        }
        if with_body {
            headers.set("Content-Type", "application/json")?;
        }
        if let Some(cookie) = &cache.cookie {
            headers.set("Cookie", cookie)?;
        }
        if let Some(entry) = cache.objects.get_mut(slot) {
            *entry = Some(headers.clone());
        }
        Ok(headers)
    }

    /// Confirms that the job or experiment `owner` (its GET) exists, after a read of its items
    /// came back empty: Dioptra answers a read of one that does not exist with an empty page,
    /// so only this GET's 404 tells "nothing yet" from "no such id" (and rejects like a write).
    pub async fn confirm_exists(&self, owner: &ApiRequest, options: &CallOptions) -> Result<()> {
        self.send(owner, options).await.map(drop)
    }

    /// Sends `request` and reads its answer.
    pub async fn send(&self, request: &ApiRequest, options: &CallOptions) -> Result<Answer> {
        let body = request.body.as_deref().map(JsValue::from_str);
        self.send_body(request, body, options).await
    }

    /// Sends `request` with `body` (JSON text as a JavaScript string) in place of its own.
    pub async fn send_body(
        &self,
        request: &ApiRequest,
        body: Option<JsValue>,
        options: &CallOptions,
    ) -> Result<Answer> {
        let abort = || Error::Abort {
            method: request.method.as_str().to_owned(),
            path: request.full_path(&self.base),
        };
        if options.signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Err(abort());
        }
        // The request waits for its slot here; its time limit starts once it has one.
        let _slot = Slot::take(&self.limiter, options.keepalive, options.signal.as_ref())
            .await
            .ok_or_else(abort)?;
        // Boxed: a request waiting for its slot holds only this small future, not the whole
        // exchange's (thousands of waiting calls would otherwise grow the wasm memory, which
        // never shrinks, by about a kilobyte each).
        let outcome = Box::pin(self.exchange(request, body, options)).await;
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

    /// Sends `request` with `body` once it has its slot, and reads the answer.
    async fn exchange(
        &self,
        request: &ApiRequest,
        body: Option<JsValue>,
        options: &CallOptions,
    ) -> Result<Answer> {
        let method = request.method.as_str();
        let path = request.full_path(&self.base);
        let fail = |message: String| Error::Network {
            message,
            method: method.to_owned(),
            path: path.clone(),
        };
        let init = RequestInit::new();
        init.set_method(method);
        if let Some(body) = &body {
            init.set_body(body);
        }
        let cookie = match &self.jar {
            // Node: no jar of its own, so ours; and no redirect is followed, so that no
            // cookie ever reaches another origin.
            Some(jar) => {
                init.set_redirect(RequestRedirect::Manual);
                jar.borrow_mut().header(&path, date_now())
            }
            None => {
                init.set_credentials(match self.credentials {
                    Credentials::SameOrigin => RequestCredentials::SameOrigin,
                    Credentials::Include => RequestCredentials::Include,
                    Credentials::Omit => RequestCredentials::Omit,
                });
                None
            }
        };
        let headers = self
            .request_headers(body.is_some(), cookie)
            .map_err(|e| fail(describe_js(&e)))?;
        init.set_headers(&headers);
        if options.keepalive {
            // `keepalive` is not among web-sys's stable setters.
            let _ = Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
        }
        let guard = AbortGuard::new(options)?;
        init.set_signal(Some(&guard.signal()));
        let outcome = async {
            let promise = fetch(&request.url(&self.base), &init)?;
            let response: Response = JsFuture::from(promise).await?.dyn_into()?;
            let headers = response.headers();
            if let Some(jar) = &self.jar {
                keep_cookies(jar, &headers, &path);
            }
            let declared = headers
                .get("content-length")
                .ok()
                .flatten()
                .and_then(|n| n.trim().parse::<u64>().ok());
            if declared.is_some_and(|n| n as f64 > MAX_BODY_BYTES) {
                return Ok(Err(too_large(method, &path)));
            }
            // The declared length bounds the body only when it is not compressed, which only
            // a runtime that shows every header (Node: the one with our own jar) can tell.
            let plain_length = declared.is_some()
                && self.jar.is_some()
                && headers.get("content-encoding").ok().flatten().is_none();
            let body = if plain_length {
                read_declared(&response).await?
            } else {
                read_body(&response).await?
            };
            let Body::Text(text) = body else {
                return Ok(Err(too_large(method, &path)));
            };
            Ok::<_, JsValue>(Ok((response, headers, text)))
        }
        .await;
        let read = outcome.map_err(|e| guard.classify(&e, options, method, &path))?;
        // Past the cap, the fetch is aborted: the connection closes, nothing more is read.
        let (response, headers, text) = read.inspect_err(|_| guard.cancel())?;
        drop(guard);
        // The body stays a JavaScript string: JSON.parse reads it where it is, so answers never
        // pass through (nor grow) the wasm memory. An empty (or blank) body, which JSON.parse
        // refuses, is `null`.
        let parsed = json_parse(&text).or_else(|e| {
            if text.trim().length() == 0 {
                Ok(JsValue::NULL)
            } else {
                Err(e)
            }
        });
        let status = response.status();
        if !(200..300).contains(&status) {
            let body = parsed
                .ok()
                .and_then(|v| serde_wasm_bindgen::from_value::<ErrorBody>(v).ok());
            let mut error = api_error(status, &response.status_text(), body, method, &path);
            let retry_after = headers.get("retry-after").ok().flatten();
            if let (Error::Api(api), Some(value)) = (&mut error, retry_after) {
                api.retry_after_ms = parse_retry_after(&value, date_now());
            }
            return Err(error);
        }
        let body = parsed.map_err(|_| {
            decode_error(
                format!("the body is not JSON: {}", excerpt(&text)),
                method,
                &path,
            )
        })?;
        Ok(Answer { body, method, path })
    }
}

/// Stores an answer's `Set-Cookie` headers (read with Node 20's `Headers.getSetCookie()`;
/// a runtime without it keeps no cookie).
fn keep_cookies(jar: &RefCell<CookieJar>, headers: &Headers, path: &str) {
    let Ok(values) = headers.unchecked_ref::<NodeHeaders>().get_set_cookie() else {
        return;
    };
    if values.length() == 0 {
        return;
    }
    let now = date_now();
    let mut jar = jar.borrow_mut();
    for value in values.iter() {
        if let Some(value) = value.as_string() {
            jar.store(&value, path, now);
        }
    }
}

/// What a thrown JavaScript value says about itself, with its `cause`s (Node's fetch puts
/// the real reason, ECONNREFUSED and the like, there), at most four deep: a cause may be
/// cyclic.
pub fn describe_js(value: &JsValue) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = value.clone();
    for _ in 0..4 {
        let Some(error) = current.dyn_ref::<js_sys::Error>() else {
            if let Some(text) = current.as_string() {
                parts.push(text);
            }
            break;
        };
        parts.push(String::from(error.message()));
        match Reflect::get(error, &JsValue::from_str("cause")) {
            Ok(cause) if !cause.is_undefined() && !cause.is_null() => current = cause,
            _ => break,
        }
    }
    parts.retain(|p| !p.is_empty());
    match parts.split_first() {
        None => "unknown failure".to_owned(),
        Some((first, [])) => first.clone(),
        Some((first, causes)) => format!("{first} ({})", causes.join(": ")),
    }
}

fn too_large(method: &str, path: &str) -> Error {
    decode_error(
        format!(
            "the answer is larger than {} MiB",
            crate::core::value::Num(MAX_BODY_BYTES / 1024.0 / 1024.0)
        ),
        method,
        path,
    )
}

/// The start of a body, for an error message.
fn excerpt(text: &js_sys::JsString) -> String {
    let cut = String::from(text.slice(0, 80));
    if text.length() > 80 {
        format!("{}…", quote(&cut))
    } else {
        quote(&cut)
    }
}
