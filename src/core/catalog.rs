//! Finding ids without the Dioptra UI: the experiments (`GET /experiments/`) and an
//! experiment's jobs (`GET /experiments/{id}/jobs`), read-only. Both endpoints treat `index`
//! as an element offset (checked against Dioptra 1.2.2); `GET /experiments` without the
//! trailing slash answers a redirect, so the path keeps it.

use serde::{Deserialize, Serialize};

use crate::core::decode::ServerTime;
use crate::core::endpoints::ApiRequest;
use crate::core::paging::Keyed;

/// The experiments collection, with the trailing slash the server insists on.
const EXPERIMENTS_LIST: &str = "/experiments/";

/// One experiment as `experiments.list` returns it: `{ id, name, description }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentSummary {
    /// The experiment's id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its description (`null` when it has none).
    #[serde(default)]
    pub description: Option<String>,
}

/// One job of an experiment as `experiments.getJobs` returns it: `{ id, status, createdOn }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    /// The job's id.
    pub id: u64,
    /// Its status (`queued`, `started`, `finished`, `failed`, ...).
    pub status: String,
    /// When it was created, in ms since the epoch.
    pub created_on: ServerTime,
}

impl Keyed for ExperimentSummary {
    type Key = u64;
    /// Experiments by id.
    fn key(&self) -> u64 {
        self.id
    }
}

impl Keyed for JobSummary {
    type Key = u64;
    /// Jobs by id.
    fn key(&self) -> u64 {
        self.id
    }
}

/// GET /experiments/?index=&pageLength=&search=: one page of experiments.
pub fn experiments(index: u64, page_length: u32, search: Option<&str>) -> ApiRequest {
    ApiRequest::get(EXPERIMENTS_LIST.to_owned())
        .with_query("index", Some(index.to_string()))
        .with_query("pageLength", Some(page_length.to_string()))
        .with_query("search", search.map(str::to_owned))
}

/// GET /experiments/{id}/jobs?index=&pageLength=: one page of an experiment's jobs.
pub fn experiment_jobs(experiment_id: u64, index: u64, page_length: u32) -> ApiRequest {
    ApiRequest::get(format!("{EXPERIMENTS_LIST}{experiment_id}/jobs"))
        .with_query("index", Some(index.to_string()))
        .with_query("pageLength", Some(page_length.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::address::parse_address;
    use crate::core::decode::Page;

    #[test]
    fn builds_the_paths_the_server_answers_without_a_redirect() {
        let base = parse_address("http://127.0.0.1:5000").unwrap();
        assert_eq!(
            experiments(2, 100, Some("name:po*")).url(&base),
            "http://127.0.0.1:5000/api/v1/experiments/?index=2&pageLength=100&search=name%3Apo%2A"
        );
        assert_eq!(
            experiments(0, 10, None).url(&base),
            "http://127.0.0.1:5000/api/v1/experiments/?index=0&pageLength=10"
        );
        assert_eq!(
            experiment_jobs(11, 0, 1000).url(&base),
            "http://127.0.0.1:5000/api/v1/experiments/11/jobs?index=0&pageLength=1000"
        );
    }

    #[test]
    fn reads_the_fields_it_keeps_and_ignores_the_rest() {
        let json = r#"{"index":0,"isComplete":true,"totalNumResults":1,"first":"f",
            "data":[{"id":15,"snapshot":16,"name":"pool","description":null,"tags":[]}]}"#;
        let page: Page<ExperimentSummary> = serde_json::from_str(json).unwrap();
        assert_eq!(
            page.data,
            vec![ExperimentSummary {
                id: 15,
                name: "pool".into(),
                description: None
            }]
        );
        let json = r#"{"index":0,"isComplete":true,"totalNumResults":1,"first":"f",
            "data":[{"id":12,"status":"queued","createdOn":"2026-11-27T13:29:36.375827+00:00",
            "values":{"name":"v"}}]}"#;
        let page: Page<JobSummary> = serde_json::from_str(json).unwrap();
        assert_eq!(page.data[0].id, 12);
        assert_eq!(page.data[0].status, "queued");
        assert_eq!(page.data[0].created_on.0, 1_795_786_176_375.827);
    }

    #[test]
    fn refuses_a_job_without_a_status() {
        let json = r#"{"index":0,"isComplete":true,"totalNumResults":1,"first":"f",
            "data":[{"id":12,"createdOn":"2026-11-27T13:29:36+00:00"}]}"#;
        assert!(serde_json::from_str::<Page<JobSummary>>(json).is_err());
    }
}
