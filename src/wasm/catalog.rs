//! `experiments.list` and `experiments.getJobs`: complete reads of the experiments and of an
//! experiment's jobs, so a page or script can find its ids.

use wasm_bindgen::prelude::*;

use super::convert::{error_to_js, input, Options};
use super::reader::{Source, WasmPageReader};
use super::{WasmClient, COMPLETE_READ_OPTIONS};
use crate::core::validate;

/// What `experiments.list` takes.
const LIST_OPTIONS: &[&str] = &[
    "search",
    "pageLength",
    "concurrency",
    "onProgress",
    "retry",
    "signal",
    "timeoutMs",
];

#[wasm_bindgen(js_class = WasmClient)]
impl WasmClient {
    /// A complete read of GET /experiments/ (`search` in Dioptra's query language).
    #[wasm_bindgen(js_name = readExperiments)]
    pub fn read_experiments(&self, options: JsValue) -> Result<WasmPageReader, JsValue> {
        (|| {
            let options = Options::read(&options, "options", LIST_OPTIONS)?;
            let search = validate::optional_text(&options.get("search"), "search")?;
            self.reader(Source::Experiments { search }, &options)
        })()
        .map_err(|e| error_to_js(&e))
    }

    /// A complete read of GET /experiments/{id}/jobs.
    #[wasm_bindgen(js_name = readExperimentJobs)]
    pub fn read_experiment_jobs(
        &self,
        experiment_id: JsValue,
        options: JsValue,
    ) -> Result<WasmPageReader, JsValue> {
        (|| {
            let options = Options::read(&options, "options", COMPLETE_READ_OPTIONS)?;
            let experiment_id = validate::resource_id(&input(&experiment_id), "experimentId")?;
            self.reader(Source::ExperimentJobs { experiment_id }, &options)
        })()
        .map_err(|e| error_to_js(&e))
    }
}
