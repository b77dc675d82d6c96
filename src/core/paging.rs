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

use crate::core::keyset::{KeySet, RunKey};

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
    /// The plan it belongs to: a restart makes the pages planned before it stale.
    pub generation: u32,
}

/// The answers contradict each other beyond repair: the read cannot be complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistent(pub String);

/// The state of reading one paged collection.
#[derive(Debug)]
pub struct Pager<K> {
    page_length: u32,
    /// The mode the endpoint is known to have (`Unknown` when it must be found out).
    known_mode: IndexMode,
    mode: IndexMode,
    /// The element offset of the next page to plan.
    next_offset: u64,
    /// The total the latest page of this plan reported.
    total: Option<u64>,
    /// Keys of every item handed out so far.
    seen: KeySet,
    /// Keys read under the current plan, to tell a misjudged mode by its repeats.
    seen_in_plan: KeySet,
    /// Keys of the first page, to interpret the probe.
    first_page: Vec<K>,
    /// Pages of the current plan requested but not yet accepted.
    in_flight: u32,
    generation: u32,
    done: bool,
    restarts: u32,
}

/// How many times a read may start over before it gives up with an error.
const MAX_RESTARTS: u32 = 3;

impl<K: RunKey> Pager<K> {
    /// A pager with `page_length` items per page; `mode` is `Unknown` unless the endpoint's
    /// meaning of `index` is certain.
    pub fn new(page_length: u32, mode: IndexMode) -> Self {
        let page_length = page_length.max(1);
        Pager {
            page_length,
            known_mode: mode,
            mode: Self::starting_mode(mode, page_length),
            next_offset: 0,
            total: None,
            seen: KeySet::new(),
            seen_in_plan: KeySet::new(),
            first_page: Vec::new(),
            in_flight: 0,
            generation: 0,
            done: false,
            restarts: 0,
        }
    }

    /// With one item per page, a page number and an offset are the same thing.
    fn starting_mode(known: IndexMode, page_length: u32) -> IndexMode {
        if page_length == 1 {
            IndexMode::Offset
        } else {
            known
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

    /// The total the server last reported, once a page of the current plan has been read.
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

    /// Uses a smaller page length because the server refused the one asked for; the read
    /// starts over. Whether anything changed (a stated maximum that is not smaller than the
    /// length asked cannot help).
    pub fn shrink_page_length(&mut self, max: u32) -> bool {
        if max == 0 || max >= self.page_length {
            return false;
        }
        self.page_length = max;
        self.start_over();
        true
    }

    /// The next page to request, if another may be requested now; `in_flight` counts every
    /// request under way. While the mode is unknown only one page is planned at a time;
    /// after that, up to `concurrency` pages can be in flight, as far as the total reaches.
    pub fn plan(&mut self, in_flight: usize, concurrency: usize) -> Option<PageRequest> {
        if self.done || in_flight >= concurrency.max(1) {
            return None;
        }
        let may_pipeline = self.mode != IndexMode::Unknown && self.total.is_some();
        if self.in_flight > 0 && !may_pipeline {
            return None;
        }
        if let (true, Some(total)) = (self.in_flight > 0, self.total) {
            if self.next_offset >= total {
                return None; // The pages in flight reach the end already.
            }
        }
        let length = u64::from(self.page_length);
        let (index, offset) = match self.mode {
            IndexMode::Unknown if self.total.is_none() => (0, 0),
            // The probe: page 1 under page numbers, offset 1 under offsets.
            IndexMode::Unknown => (1, length),
            IndexMode::PageNumber => (self.next_offset / length, self.next_offset),
            IndexMode::Offset => (self.next_offset, self.next_offset),
        };
        self.next_offset = offset + length;
        self.in_flight += 1;
        Some(PageRequest {
            index,
            page_length: self.page_length,
            offset,
            generation: self.generation,
        })
    }

    /// Takes in the answer to `request`: `keys` are the page's item keys in order, `total` its
    /// `totalNumResults`. Returns which of the page's items are new (by position), to be
    /// handed out in that order; or why the read cannot be complete.
    pub fn accept(
        &mut self,
        request: PageRequest,
        keys: &[K],
        total: u64,
    ) -> Result<Vec<usize>, Inconsistent> {
        let fresh: Vec<usize> = keys
            .iter()
            .enumerate()
            .filter(|(_, key)| self.seen.insert(**key))
            .map(|(i, _)| i)
            .collect();
        if request.generation != self.generation {
            return Ok(fresh); // Planned before a restart: its items count, its position not.
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        self.total = Some(total);
        let repeats = keys
            .iter()
            .filter(|k| !self.seen_in_plan.insert(**k))
            .count();
        let first_of_unknown = self.mode == IndexMode::Unknown && request.index == 0;
        let probe = self.mode == IndexMode::Unknown && request.index == 1;
        if first_of_unknown {
            self.first_page = keys.to_vec();
        }
        if probe {
            self.mode = self.judge_probe(keys);
        }
        // Where this page ends, as an element offset.
        let end = if probe && self.mode == IndexMode::Offset {
            1 + keys.len() as u64
        } else {
            request.offset + keys.len() as u64
        };
        if probe {
            self.next_offset = end;
        }
        if first_of_unknown
            && !keys.is_empty()
            && keys.len() < self.page_length as usize
            && end < total
        {
            // The server serves fewer items per page than asked: page 0 is the same under
            // both meanings of `index`, so go on with the length it serves.
            self.page_length = u32::try_from(keys.len()).unwrap_or(self.page_length);
        }
        let full = keys.len() >= self.page_length as usize;
        if !first_of_unknown && !keys.is_empty() && !full && end < total {
            // A short page before the end: the server serves fewer items per page than asked
            // (or the mode was misjudged). Start over with what it serves.
            self.page_length = u32::try_from(keys.len()).unwrap_or(self.page_length);
            self.restart("a page was shorter than asked before the end")?;
        } else if !first_of_unknown && keys.is_empty() && end < total {
            self.restart("a page was empty before the reported end")?;
        } else if !probe && !first_of_unknown && repeats * 2 > keys.len() {
            // Under the right mode pages do not overlap (but for a few items shifted by
            // points added meanwhile): mostly repeats mean the mode was misjudged.
            self.restart("a page repeated most of what was read before")?;
        } else if (!full || end >= total) && self.in_flight == 0 {
            self.done = true;
        } else if first_of_unknown {
            self.next_offset = u64::from(self.page_length);
        }
        Ok(fresh)
    }

    /// Under page numbers, a probe returns items after the first page's; under offsets,
    /// nearly all of the first page again. Growth between the two requests shifts some
    /// items: the majority decides, and a misjudgment shows later (see `accept`).
    fn judge_probe(&self, probe: &[K]) -> IndexMode {
        let overlap = probe.iter().filter(|k| self.first_page.contains(k)).count();
        if probe.is_empty() || overlap * 2 < probe.len() {
            IndexMode::PageNumber
        } else {
            IndexMode::Offset
        }
    }

    /// The answers contradict the plan: read again from the start (what was handed out is
    /// not handed out again), finding out the mode anew; after too many, give up.
    fn restart(&mut self, why: &str) -> Result<(), Inconsistent> {
        self.restarts += 1;
        if self.restarts > MAX_RESTARTS {
            self.done = true;
            return Err(Inconsistent(format!(
                "the server's pages contradict each other ({why}, {} times): the read cannot be complete",
                self.restarts
            )));
        }
        self.start_over();
        Ok(())
    }

    fn start_over(&mut self) {
        self.generation += 1;
        self.in_flight = 0;
        self.total = None;
        self.next_offset = 0;
        self.first_page.clear();
        self.seen_in_plan.clear();
        self.mode = Self::starting_mode(self.known_mode, self.page_length);
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
    type Key: RunKey;
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
mod tests;
