//! Reading every item of a paged collection exactly once, whatever the server's `index` means.
//!
//! Dioptra 1.2.2's history endpoint slices `history[index*pageLength : (index+1)*pageLength]`
//! (`index` is a page number) while its envelope, and the experiments endpoint, treat `index`
//! as an element offset. A [`Pager`] finds out which from the answers themselves: after the
//! first page it asks for `index = 1`, whose items overlap the first page's almost entirely
//! under offsets and not at all under page numbers. The probe is never wasted under page
//! numbers, and costs one request under offsets. Items are told apart by a key (a point's
//! step, a job's id), so a history that grows while it is read gives no duplicates, and items
//! present at the start are never skipped: growth only moves items later, and a position is
//! never advanced past what a page returned.

use std::collections::HashSet;

use crate::core::decode::{JobMetrics, Snapshot};
use crate::core::error::Error;

/// What the server's `index` parameter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexMode {
    /// Not known yet (after at most two pages it is).
    Unknown,
    /// `index` is a page number (Dioptra 1.2.2's history endpoint).
    PageNumber,
    /// `index` is an element offset (the envelope's claim; the experiments endpoint).
    Offset,
}

/// One page request: the `index` and `pageLength` to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// The `index` query parameter.
    pub index: u64,
    /// The `pageLength` query parameter.
    pub page_length: u32,
    /// The element offset this page starts at, under the mode assumed when it was planned.
    pub offset: u64,
}

/// The state of reading one paged collection.
#[derive(Debug)]
pub struct Pager<K> {
    page_length: u32,
    mode: IndexMode,
    /// The element offset of the next page to plan.
    next_offset: u64,
    /// The total the latest page reported.
    total: Option<u64>,
    /// Keys of every item handed out so far.
    seen: HashSet<K>,
    /// Keys of the first page, to interpret the probe.
    first_page: Vec<K>,
    /// Pages planned but not yet accepted, in order.
    planned: u32,
    done: bool,
    /// How many times the answers contradicted the mode (each makes the pager re-plan).
    contradictions: u32,
}

/// How many contradictions a pager tolerates before it ends the read with what it has.
const MAX_CONTRADICTIONS: u32 = 3;

impl<K: Copy + Eq + std::hash::Hash> Pager<K> {
    /// A pager with `page_length` items per page; `mode` is `Unknown` unless the endpoint's
    /// meaning of `index` is certain.
    pub fn new(page_length: u32, mode: IndexMode) -> Self {
        Pager {
            page_length: page_length.max(1),
            mode: if page_length <= 1 {
                IndexMode::Offset
            } else {
                mode
            },
            next_offset: 0,
            total: None,
            seen: HashSet::new(),
            first_page: Vec::new(),
            planned: 0,
            done: false,
            contradictions: 0,
        }
    }

    /// The page length in use.
    pub fn page_length(&self) -> u32 {
        self.page_length
    }

    /// The mode found so far.
    pub fn mode(&self) -> IndexMode {
        self.mode
    }

    /// The total the server last reported, once a page has been read.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// How many distinct items have been handed out.
    pub fn loaded(&self) -> u64 {
        self.seen.len() as u64
    }

    /// Whether every item has been read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Uses a smaller page length (the server refused the first one). Only before any page
    /// was accepted.
    pub fn shrink_page_length(&mut self, max: u32) {
        if self.total.is_none() && max >= 1 && max < self.page_length {
            self.page_length = max;
            // Start over: the refused request returned nothing.
            self.planned = 0;
            self.next_offset = 0;
            self.first_page.clear();
            if max == 1 {
                self.mode = IndexMode::Offset;
            }
        }
    }

    /// The next page to request, if another may be requested now. While the mode is unknown
    /// only one page is planned at a time; after that, up to `concurrency` pages can be in
    /// flight, as far as the reported total reaches.
    pub fn plan(&mut self, in_flight: usize, concurrency: usize) -> Option<PageRequest> {
        if self.done {
            return None;
        }
        let may_pipeline = self.mode != IndexMode::Unknown && self.total.is_some();
        if in_flight > 0 && (!may_pipeline || in_flight >= concurrency.max(1)) {
            return None;
        }
        if let (true, Some(total)) = (in_flight > 0, self.total) {
            if self.next_offset >= total {
                return None; // The pages in flight reach the end already.
            }
        }
        let length = u64::from(self.page_length);
        let request = match self.mode {
            IndexMode::Unknown if self.total.is_none() => PageRequest {
                index: 0,
                page_length: self.page_length,
                offset: 0,
            },
            // The probe: page 1 under page numbers, offset 1 under offsets.
            IndexMode::Unknown => PageRequest {
                index: 1,
                page_length: self.page_length,
                offset: length,
            },
            IndexMode::PageNumber => PageRequest {
                index: self.next_offset / length,
                page_length: self.page_length,
                offset: self.next_offset,
            },
            IndexMode::Offset => PageRequest {
                index: self.next_offset,
                page_length: self.page_length,
                offset: self.next_offset,
            },
        };
        self.next_offset = request.offset + length;
        self.planned += 1;
        Some(request)
    }

    /// Takes in the answer to `request`: `keys` are the page's item keys in order, `total` its
    /// `totalNumResults`. Returns which of the page's items are new (by position), to be
    /// handed out in that order.
    pub fn accept(&mut self, request: PageRequest, keys: &[K], total: u64) -> Vec<usize> {
        self.planned = self.planned.saturating_sub(1);
        self.total = Some(total);
        if request.index == 0 && self.first_page.is_empty() {
            self.first_page = keys.to_vec();
        }
        if self.mode == IndexMode::Unknown && request.index == 1 {
            self.mode = self.judge_probe(keys);
            self.next_offset = match self.mode {
                // The probe was offset 1: the next page starts after what it returned.
                IndexMode::Offset => 1 + keys.len() as u64,
                _ => request.offset + keys.len() as u64,
            };
        }
        let fresh: Vec<usize> = keys
            .iter()
            .enumerate()
            .filter(|(_, key)| self.seen.insert(**key))
            .map(|(i, _)| i)
            .collect();
        let end = match (self.mode, request.index) {
            (IndexMode::Offset, 1) if self.total.is_some() => 1 + keys.len() as u64,
            _ => request.offset + keys.len() as u64,
        };
        let short = keys.len() < self.page_length as usize;
        if request.index == 0 && self.mode == IndexMode::Unknown && (short || end >= total) {
            self.done = self.planned == 0; // One page holds it all: the mode does not matter.
        } else if keys.is_empty() && end < total {
            self.contradicted(end);
        } else if (short || end >= total) && self.planned == 0 {
            self.done = true;
        }
        if self.mode == IndexMode::Unknown && request.index == 0 && !self.done {
            self.next_offset = u64::from(self.page_length);
        }
        fresh
    }

    /// Under page numbers, a probe returns items after the first page's; under offsets,
    /// nearly all of the first page again. Growth between the two requests shifts at most a
    /// few items, so the majority decides.
    fn judge_probe(&self, probe: &[K]) -> IndexMode {
        let first: HashSet<&K> = self.first_page.iter().collect();
        let overlap = probe.iter().filter(|k| first.contains(k)).count();
        if probe.is_empty() || overlap * 2 < probe.len() {
            IndexMode::PageNumber
        } else {
            IndexMode::Offset
        }
    }

    /// An empty page before the reported end: the mode was misjudged (or the collection
    /// shrank). Switch and re-plan from the last position known to be covered.
    fn contradicted(&mut self, end: u64) {
        self.contradictions += 1;
        if self.contradictions > MAX_CONTRADICTIONS {
            self.done = true;
            return;
        }
        self.mode = match self.mode {
            IndexMode::Offset => IndexMode::PageNumber,
            _ => IndexMode::Offset,
        };
        let length = u64::from(self.page_length);
        let covered = self.loaded().min(end);
        self.next_offset = match self.mode {
            IndexMode::PageNumber => covered / length * length,
            _ => covered,
        };
    }
}

/// The page-length maximum a server states when it refuses a `pageLength` (400 with a
/// `pageLength` field error such as "Must be <= 500"), if that is what `error` is.
pub fn stated_page_limit(error: &Error) -> Option<u32> {
    let Error::Api(api) = error else { return None };
    if api.status != 400 {
        return None;
    }
    let messages = api.field_errors.as_ref()?.get("pageLength")?;
    messages.iter().find_map(|m| {
        let digits: String = m
            .split("<=")
            .nth(1)?
            .trim()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse::<u32>().ok().filter(|n| *n >= 1)
    })
}

/// The key that tells items of a paged collection apart.
pub trait Keyed {
    /// The key type.
    type Key: Copy + Eq + std::hash::Hash;
    /// This item's key.
    fn key(&self) -> Self::Key;
}

impl Keyed for Snapshot {
    type Key = i64;
    /// A metric's history has one point per step.
    fn key(&self) -> i64 {
        self.step
    }
}

impl Keyed for JobMetrics {
    type Key = u64;
    /// An experiment's jobs by id.
    fn key(&self) -> u64 {
        self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::decode::api_error;

    #[test]
    fn reads_the_servers_stated_page_limit() {
        let body = serde_json::from_str(r#"{"errors":{"pageLength":["Must be <= 500"]}}"#).unwrap();
        assert_eq!(
            stated_page_limit(&api_error(400, "", Some(body), "GET", "/p")),
            Some(500)
        );
        let other = serde_json::from_str(r#"{"errors":{"index":["Must be <= 5"]}}"#).unwrap();
        assert_eq!(
            stated_page_limit(&api_error(400, "", Some(other), "GET", "/p")),
            None
        );
        assert_eq!(
            stated_page_limit(&api_error(502, "", None, "GET", "/p")),
            None
        );
    }

    /// A server holding `items` (keys), reading `index` as `mode` says.
    struct FakeServer {
        items: Vec<i64>,
        page_number: bool,
        max_page_length: u32,
        requests: u32,
    }

    impl FakeServer {
        fn answer(&mut self, request: PageRequest) -> (Vec<i64>, u64) {
            self.requests += 1;
            let length = request.page_length.min(self.max_page_length) as usize;
            let start = if self.page_number {
                request.index as usize * length
            } else {
                request.index as usize
            };
            let page = self
                .items
                .iter()
                .skip(start)
                .take(length)
                .copied()
                .collect();
            (page, self.items.len() as u64)
        }
    }

    /// Reads everything, `concurrency` pages at a time, calling `between` after each page.
    fn read_all(
        server: &mut FakeServer,
        page_length: u32,
        concurrency: usize,
        mut between: impl FnMut(&mut FakeServer),
    ) -> Vec<i64> {
        let mut pager = Pager::new(page_length, IndexMode::Unknown);
        let mut out = Vec::new();
        let mut in_flight = std::collections::VecDeque::new();
        for _ in 0..10_000 {
            while let Some(request) = pager.plan(in_flight.len(), concurrency) {
                in_flight.push_back(request);
            }
            let Some(request) = in_flight.pop_front() else {
                break;
            };
            let (keys, total) = server.answer(request);
            for i in pager.accept(request, &keys, total) {
                out.push(keys[i]);
            }
            between(server);
        }
        assert!(pager.is_done(), "the pager never finished");
        out
    }

    fn server(n: i64, page_number: bool) -> FakeServer {
        FakeServer {
            items: (0..n).collect(),
            page_number,
            max_page_length: 1000,
            requests: 0,
        }
    }

    #[test]
    fn reads_everything_once_under_either_meaning_of_index() {
        for page_number in [true, false] {
            for n in [0, 1, 2, 9, 10, 11, 25, 1000, 2500, 5000] {
                for (page_length, concurrency) in
                    [(10, 1), (10, 2), (1000, 2), (7, 3), (1, 2), (2, 1)]
                {
                    let mut s = server(n, page_number);
                    let got = read_all(&mut s, page_length, concurrency, |_| {});
                    assert_eq!(
                        got,
                        (0..n).collect::<Vec<_>>(),
                        "n={n} L={page_length} pages={page_number}"
                    );
                }
            }
        }
    }

    #[test]
    fn costs_ceil_n_over_l_plus_at_most_one() {
        for page_number in [true, false] {
            for n in [1u32, 999, 1000, 1001, 2500, 5000] {
                let mut s = server(i64::from(n), page_number);
                read_all(&mut s, 1000, 2, |_| {});
                let budget = n.div_ceil(1000) + 1;
                assert!(
                    s.requests <= budget,
                    "n={n} page_number={page_number}: {} requests",
                    s.requests
                );
                if page_number {
                    // The probe is page 1 itself: nothing extra, bar the final check for
                    // a history that filled its last page exactly.
                    assert!(
                        s.requests <= n.div_ceil(1000).max(1),
                        "n={n}: {} requests",
                        s.requests
                    );
                }
            }
        }
    }

    #[test]
    fn a_growing_history_gives_no_duplicates_and_skips_nothing_present_at_the_start() {
        for page_number in [true, false] {
            // Appends at higher steps, and inserts at lower ones (shuffled logging).
            let mut s = FakeServer {
                items: (0..100).map(|i| i * 10).collect(),
                page_number,
                max_page_length: 1000,
                requests: 0,
            };
            let mut next_high = 10_000;
            let mut next_low = 1;
            let got = read_all(&mut s, 10, 2, |s| {
                s.items.push(next_high);
                next_high += 1;
                s.items.insert(0, -next_low);
                next_low += 1;
            });
            let unique: HashSet<i64> = got.iter().copied().collect();
            assert_eq!(unique.len(), got.len(), "duplicates handed out");
            for original in (0..100).map(|i| i * 10) {
                assert!(
                    unique.contains(&original),
                    "skipped {original} (page_number={page_number})"
                );
            }
        }
    }

    #[test]
    fn a_smaller_server_maximum_is_used_from_the_start() {
        let mut pager: Pager<i64> = Pager::new(1000, IndexMode::Unknown);
        pager.shrink_page_length(500);
        assert_eq!(pager.plan(0, 2).map(|r| r.page_length), Some(500));
    }

    #[test]
    fn a_refused_page_length_starts_the_read_over() {
        // Found by tests/properties.rs: the first page was skipped after a refusal.
        for mode in [IndexMode::Unknown, IndexMode::Offset] {
            for page_number in [true, false] {
                let mut s = FakeServer {
                    items: (0..7).collect(),
                    page_number,
                    max_page_length: 2,
                    requests: 0,
                };
                let mut pager = Pager::new(3, mode);
                let refused = pager.plan(0, 1).unwrap();
                assert_eq!(refused.page_length, 3);
                pager.shrink_page_length(2);
                let mut got = Vec::new();
                while let Some(request) = pager.plan(0, 1) {
                    let (keys, total) = s.answer(request);
                    for i in pager.accept(request, &keys, total) {
                        got.push(keys[i]);
                    }
                }
                if mode == IndexMode::Offset && page_number {
                    continue; // An offset endpoint that reads page numbers is not a real server.
                }
                assert_eq!(
                    got,
                    (0..7).collect::<Vec<_>>(),
                    "mode {mode:?}, page numbers {page_number}"
                );
            }
        }
    }

    #[test]
    fn a_known_offset_endpoint_needs_no_probe() {
        let mut s = server(25, false);
        let mut pager = Pager::new(10, IndexMode::Offset);
        let mut got = Vec::new();
        while let Some(request) = pager.plan(0, 1) {
            let (keys, total) = s.answer(request);
            for i in pager.accept(request, &keys, total) {
                got.push(keys[i]);
            }
        }
        assert_eq!(got, (0..25).collect::<Vec<_>>());
        assert_eq!(s.requests, 3);
    }
}
