//! The logger's read-back of one stored step of a metric's history, with the core's
//! [`StepLookup`] (a bounded search of the pages) and, when the pages do not come in step
//! order, a page by page scan.

use crate::core::decode::decode_error;
use crate::core::endpoints;
use crate::core::error::Result;
use crate::core::lookup::{Lookup, StepLookup};
use crate::core::paging::{stated_page_limit, IndexMode, Pager};
use crate::wasm::columns::decode_snapshot_page;
use crate::wasm::http::{CallOptions, Transport};
use crate::wasm::reader::Source;

/// The value stored for `step` of a metric's history, if that step is stored (the logger's
/// check after Dioptra 1.2.2 refuses a NaN overwrite): a bounded search of the pages while
/// they come in step order (at most 3 + ⌈log₂ pages⌉ requests, see [`StepLookup`]); a read of
/// every page when they do not.
pub async fn stored_value(
    transport: &Transport,
    job_id: u64,
    name: &str,
    step: i64,
    call: &CallOptions,
) -> Result<Option<f64>> {
    let mut lookup = StepLookup::new(step, crate::core::validate::MAX_PAGE_LENGTH);
    let mut request = lookup.first();
    loop {
        let endpoint =
            endpoints::metric_snapshots(job_id, name, request.index, request.page_length);
        let answer = match transport.send(&endpoint, call).await {
            Ok(answer) => answer,
            Err(error) => {
                match stated_page_limit(&error).and_then(|l| lookup.shrink_page_length(l)) {
                    Some(again) => {
                        request = again;
                        continue;
                    }
                    None => return Err(error),
                }
            }
        };
        let page = decode_snapshot_page(&answer, &transport.read_columns)?;
        let keys = &page.columns.steps;
        match lookup.accept(request, keys, page.head.total_num_results) {
            Lookup::Ask(next) => request = next,
            Lookup::Found(position) => return Ok(page.columns.values.get(position).copied()),
            Lookup::Absent => return Ok(None),
            Lookup::Scan => return scan_for_step(transport, job_id, name, step, call).await,
        }
    }
}

/// The value stored for `step`, reading the history page by page until it shows up.
async fn scan_for_step(
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
        let page = decode_snapshot_page(&answer, &transport.read_columns)?;
        let columns = &page.columns;
        if let Some(position) = columns.steps.iter().position(|&s| s == step) {
            return Ok(columns.values.get(position).copied());
        }
        pager
            .accept(page_request, &columns.steps, page.head.total_num_results)
            .map_err(|why| decode_error(why.0, answer.method, &answer.path))?;
    }
    Ok(None)
}
