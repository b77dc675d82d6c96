//! The requests each method sends: method, path, query and body, built from checked values.
//!
//! Paths are assembled from named constants and validated ids; every caller-given piece of a
//! path or query is percent-encoded, so nothing a caller passes can change where a request goes.

use std::fmt::Write;

use crate::core::address::ApiBase;
use crate::core::text::json_string;
use crate::core::value::encode_value;

const AUTH_LOGIN: &str = "/auth/login";
const AUTH_LOGOUT: &str = "/auth/logout";
const JOBS: &str = "/jobs";
const EXPERIMENTS: &str = "/experiments";
const METRICS: &str = "metrics";
const SNAPSHOTS: &str = "snapshots";

/// The HTTP methods the metrics API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A read.
    Get,
    /// A write, with a JSON body.
    Post,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One request to the API, relative to its base URL.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiRequest {
    /// GET or POST.
    pub method: Method,
    /// The path under `/api/v1`, starting with `/`, already percent-encoded.
    pub path: String,
    /// Query parameters in order, not yet encoded.
    pub query: Vec<(&'static str, String)>,
    /// The JSON body, for POSTs.
    pub body: Option<String>,
}

impl ApiRequest {
    pub(crate) fn get(path: String) -> Self {
        ApiRequest {
            method: Method::Get,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    fn post(path: String, body: String) -> Self {
        ApiRequest {
            method: Method::Post,
            path,
            query: Vec::new(),
            body: Some(body),
        }
    }

    pub(crate) fn with_query(mut self, name: &'static str, value: Option<String>) -> Self {
        if let Some(value) = value {
            self.query.push((name, value));
        }
        self
    }

    /// The absolute URL to fetch.
    pub fn url(&self, base: &ApiBase) -> String {
        let mut url = format!("{}{}", base.base_url, self.path);
        for (i, (name, value)) in self.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.push_str(&percent_encode(value));
        }
        url
    }

    /// The path from the server root (e.g. `/api/v1/jobs/17/metrics`), for error reports.
    pub fn full_path(&self, base: &ApiBase) -> String {
        let prefix = base.base_url.strip_prefix(&base.origin).unwrap_or_default();
        format!("{prefix}{}", self.path)
    }
}

/// `value` with every byte outside RFC 3986's unreserved set written as `%XX`.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// POST /auth/login. Its body (`{"username","password"}`) is built where the password lives,
/// in JavaScript, so that the password never enters the wasm memory.
pub fn login() -> ApiRequest {
    ApiRequest::post(AUTH_LOGIN.to_owned(), String::new())
}

/// POST /auth/logout?everywhere=...
pub fn logout(everywhere: bool) -> ApiRequest {
    ApiRequest::post(AUTH_LOGOUT.to_owned(), String::new())
        .with_query("everywhere", Some(everywhere.to_string()))
}

/// GET /jobs/{id}/metrics: the latest value of each of a job's metrics.
pub fn job_metrics(job_id: u64) -> ApiRequest {
    ApiRequest::get(format!("{JOBS}/{job_id}/{METRICS}"))
}

/// A metric to store, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMetric {
    /// A valid metric name.
    pub name: String,
    /// Any f64; special values are spelled as strings on the wire.
    pub value: f64,
    /// The step, or `None` for the server's default (0).
    pub step: Option<i64>,
    /// RFC 3339 text, or `None` for the server's clock.
    pub timestamp: Option<String>,
}

/// POST /jobs/{id}/metrics.
pub fn append_metric(job_id: u64, metric: &NewMetric) -> ApiRequest {
    let mut body = format!(
        "{{\"name\":{},\"value\":{}",
        json_string(&metric.name),
        encode_value(metric.value)
    );
    if let Some(step) = metric.step {
        let _ = write!(body, ",\"step\":{step}");
    }
    if let Some(timestamp) = &metric.timestamp {
        let _ = write!(body, ",\"timestamp\":{}", json_string(timestamp));
    }
    body.push('}');
    ApiRequest::post(format!("{JOBS}/{job_id}/{METRICS}"), body)
}

/// GET /jobs/{id}/metrics/{name}/snapshots: one page of a metric's history.
pub fn metric_snapshots(job_id: u64, name: &str, index: u64, page_length: u32) -> ApiRequest {
    ApiRequest::get(format!(
        "{JOBS}/{job_id}/{METRICS}/{}/{SNAPSHOTS}",
        percent_encode(name)
    ))
    .with_query("index", Some(index.to_string()))
    .with_query("pageLength", Some(page_length.to_string()))
}

/// The paging, sorting and search options of GET /experiments/{id}/metrics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExperimentQuery {
    /// The element offset of the first job.
    pub index: u64,
    /// Jobs per page.
    pub page_length: u32,
    /// The field to sort by.
    pub sort_by: Option<String>,
    /// Sort descending.
    pub descending: Option<bool>,
    /// A search in Dioptra's query language.
    pub search: Option<String>,
}

/// GET /experiments/{id}/metrics: one page of the latest metrics of an experiment's jobs.
pub fn experiment_metrics(experiment_id: u64, query: &ExperimentQuery) -> ApiRequest {
    ApiRequest::get(format!("{EXPERIMENTS}/{experiment_id}/{METRICS}"))
        .with_query("index", Some(query.index.to_string()))
        .with_query("pageLength", Some(query.page_length.to_string()))
        .with_query("sortBy", query.sort_by.clone())
        .with_query("descending", query.descending.map(|d| d.to_string()))
        .with_query("search", query.search.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::address::parse_address;

    fn base() -> ApiBase {
        parse_address("http://127.0.0.1:5000").unwrap()
    }

    #[test]
    fn builds_the_append_body_with_only_what_was_given() {
        let mut metric = NewMetric {
            name: "loss".into(),
            value: f64::NAN,
            step: None,
            timestamp: None,
        };
        let request = append_metric(17, &metric);
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.url(&base()),
            "http://127.0.0.1:5000/api/v1/jobs/17/metrics"
        );
        assert_eq!(
            request.body.as_deref(),
            Some(r#"{"name":"loss","value":"nan"}"#)
        );
        metric.value = 0.1 + 0.2;
        metric.step = Some(-3);
        metric.timestamp = Some("2026-11-27T05:41:08+00:00".into());
        let body = append_metric(17, &metric).body.unwrap();
        assert_eq!(
            body,
            r#"{"name":"loss","value":0.30000000000000004,"step":-3,"timestamp":"2026-11-27T05:41:08+00:00"}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["step"], -3);
    }

    #[test]
    fn snapshot_paths_encode_the_name_and_carry_paging() {
        let request = metric_snapshots(4, "a b/../c", 2, 1000);
        assert_eq!(
            request.url(&base()),
            "http://127.0.0.1:5000/api/v1/jobs/4/metrics/a%20b%2F..%2Fc/snapshots?index=2&pageLength=1000"
        );
        assert_eq!(
            request.full_path(&base()),
            "/api/v1/jobs/4/metrics/a%20b%2F..%2Fc/snapshots"
        );
    }

    #[test]
    fn experiment_queries_send_only_the_options_given() {
        let query = ExperimentQuery {
            index: 0,
            page_length: 50,
            sort_by: None,
            descending: Some(true),
            search: Some("name:\"x&y=1\"".into()),
        };
        assert_eq!(
            experiment_metrics(4, &query).url(&base()),
            "http://127.0.0.1:5000/api/v1/experiments/4/metrics?index=0&pageLength=50&descending=true&search=name%3A%22x%26y%3D1%22"
        );
    }

    #[test]
    fn auth_paths_are_fixed() {
        assert_eq!(
            login().url(&base()),
            "http://127.0.0.1:5000/api/v1/auth/login"
        );
        assert_eq!(login().method, Method::Post);
        assert_eq!(
            logout(false).url(&base()),
            "http://127.0.0.1:5000/api/v1/auth/logout?everywhere=false"
        );
    }

    #[test]
    fn full_paths_keep_a_prefix() {
        let base = parse_address("http://h/dioptra").unwrap();
        assert_eq!(
            job_metrics(3).full_path(&base),
            "/dioptra/api/v1/jobs/3/metrics"
        );
    }
}
