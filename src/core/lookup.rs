//! Finding the value stored for one step of a metric's history in a bounded number of page
//! requests, where reading the whole history would cost one request per page.
//!
//! Dioptra 1.2.2 serves a history in step order (SQLite reads it through the primary key's
//! index) but does not promise it (no `ORDER BY`), and its `index` is a page number where the
//! envelope says offset (see [`crate::core::paging`]). A [`StepLookup`] assumes neither. It
//! reads the first page, then `index = 1`, which tells the meaning of `index` (the same test
//! as the pager's probe), then the last page, then binary-searches the pages in between, as
//! long as every page it reads is in strictly ascending step order and in order with every
//! other page it read. Anything else (a page out of order, a short page before the end, pages
//! that overlap, a probe that fits neither meaning) makes it answer [`Lookup::Scan`]: read the
//! whole history instead, which is right whatever the server does.
//!
//! What it answers:
//! - [`Lookup::Found`] whenever a page holds the step: a history has one point per step, so
//!   that is the stored value, whatever the order.
//! - [`Lookup::Absent`] when the whole history came in one page, or when the pages read say,
//!   in step order, where the step would be and it is not there. On a history in step order
//!   that is right; on one whose disorder never showed in the pages read it can be wrong
//!   (nothing short of reading every page proves a step absent there). It is never a wrong
//!   value: the logger, its one user, then takes Dioptra's 500 for a genuine one and retries.
//! - at most [`request_bound`] requests on a history in step order that only grows at its end
//!   meanwhile: 3 + ⌈log₂ pages⌉, 9 for 50,000 points in pages of 1,000 (a full read is 50).

/// Which request of a lookup this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    /// `index = 0`: the same under both meanings of `index`.
    First,
    /// `index = 1`: page 1 under page numbers, offset 1 under offsets.
    Probe,
    /// Page `n` (the page number; sent as `n` or `n × length` by the meaning found).
    Page(u64),
}

/// One page request of a lookup: the `index` and `pageLength` to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookupRequest {
    /// The `index` query parameter.
    pub index: u64,
    /// The `pageLength` query parameter.
    pub page_length: u32,
    asked: Asked,
}

/// What to do after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Send this request next.
    Ask(LookupRequest),
    /// The step is the page's item at this position.
    Found(usize),
    /// The step is not stored.
    Absent,
    /// The pages do not fit the assumptions: read the whole history to find the step.
    Scan,
}

/// What `index` counts, once the probe told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    PageNumber,
    Offset,
}

/// The search for one step.
#[derive(Debug, Clone)]
pub struct StepLookup {
    step: i64,
    page_length: u32,
    /// Items per page as the server serves them (learnt from the first page).
    served: u64,
    /// Pages in the history when the first page was read.
    pages: u64,
    /// The history's size then.
    total: u64,
    meaning: Option<Meaning>,
    /// The first page's keys, to interpret the probe.
    first_page: Vec<i64>,
    /// Page number, first and last step of each page read (a few dozen at most, see
    /// [`MAX_REQUESTS`]: a `Vec` costs the wasm less code than a map).
    known: Vec<(u64, i64, i64)>,
    requests: u32,
}

/// The most requests a lookup makes on a history of `total` points in step order, read in
/// pages of `page_length`: the first page, the probe, the last page, and a binary search of
/// the pages in between.
pub fn request_bound(total: u64, page_length: u32) -> u32 {
    let pages = total.div_ceil(u64::from(page_length.max(1)));
    if pages <= 1 {
        return 1;
    }
    3 + (u64::BITS - (pages - 1).leading_zeros())
}

/// A safety net: a lookup that has asked this many pages gives up searching and scans.
const MAX_REQUESTS: u32 = 80;

impl StepLookup {
    /// A search for `step`, asking pages of `page_length` items.
    pub fn new(step: i64, page_length: u32) -> Self {
        StepLookup {
            step,
            page_length: page_length.max(1),
            served: u64::from(page_length.max(1)),
            pages: 0,
            total: 0,
            meaning: None,
            first_page: Vec::new(),
            known: Vec::new(),
            requests: 0,
        }
    }

    /// The first request.
    pub fn first(&mut self) -> LookupRequest {
        self.ask(Asked::First)
    }

    /// How many requests were planned so far.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// Starts again with pages of `max` items, the server having refused longer ones; `None`
    /// when that would not help (not smaller than what was asked).
    pub fn shrink_page_length(&mut self, max: u32) -> Option<LookupRequest> {
        if max == 0 || max >= self.page_length {
            return None;
        }
        *self = StepLookup {
            requests: self.requests,
            ..StepLookup::new(self.step, max)
        };
        Some(self.first())
    }

    fn ask(&mut self, asked: Asked) -> LookupRequest {
        self.requests += 1;
        let index = match (asked, self.meaning) {
            (Asked::First, _) => 0,
            (Asked::Probe, _) => 1,
            (Asked::Page(n), Some(Meaning::Offset)) => n.saturating_mul(self.served),
            (Asked::Page(n), _) => n,
        };
        LookupRequest {
            index,
            page_length: u32::try_from(self.served).unwrap_or(self.page_length),
            asked,
        }
    }

    /// Takes in the answer to `request`: the page's step keys in order, and its
    /// `totalNumResults`.
    pub fn accept(&mut self, request: LookupRequest, keys: &[i64], total: u64) -> Lookup {
        if let Some(position) = keys.iter().position(|k| *k == self.step) {
            return Lookup::Found(position);
        }
        if self.requests >= MAX_REQUESTS {
            return Lookup::Scan;
        }
        match request.asked {
            Asked::First => self.accept_first(keys, total),
            Asked::Probe => self.accept_probe(keys, total),
            Asked::Page(n) => self.accept_page(n, keys, total),
        }
    }

    fn accept_first(&mut self, keys: &[i64], total: u64) -> Lookup {
        if keys.len() as u64 >= total {
            return Lookup::Absent; // The whole history, in one page.
        }
        let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
            return Lookup::Scan;
        };
        if !ascending(keys) || keys.len() as u64 > u64::from(self.page_length) {
            return Lookup::Scan;
        }
        // A server that serves fewer items than asked serves pages of that size.
        self.served = keys.len() as u64;
        self.total = total;
        self.pages = total.div_ceil(self.served);
        self.first_page = keys.to_vec();
        self.known.push((0, *first, *last));
        Lookup::Ask(self.ask(Asked::Probe))
    }

    fn accept_probe(&mut self, keys: &[i64], total: u64) -> Lookup {
        let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
            return Lookup::Scan; // Both meanings put items at index 1 of a longer history.
        };
        if !ascending(keys) || total < self.total {
            return Lookup::Scan;
        }
        if self.first_page.len() > 1 && self.first_page.get(1) == Some(first) {
            // Offset 1: the first page again, shifted by one.
            self.meaning = Some(Meaning::Offset);
            return self.next();
        }
        if self.first_page.last().is_some_and(|end| first > end) {
            // Page 1 (with one item per page, page numbers and offsets are the same thing).
            self.meaning = Some(Meaning::PageNumber);
            return self.record(1, keys, *first, *last);
        }
        Lookup::Scan
    }

    fn accept_page(&mut self, page: u64, keys: &[i64], total: u64) -> Lookup {
        let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
            return Lookup::Scan;
        };
        if !ascending(keys) || total < self.total {
            return Lookup::Scan;
        }
        self.record(page, keys, *first, *last)
    }

    /// Keeps what page `page` holds, if it fits the pages read so far; then the next step.
    fn record(&mut self, page: u64, keys: &[i64], first: i64, last: i64) -> Lookup {
        let length = keys.len() as u64;
        let is_last = page + 1 >= self.pages;
        // Before the end pages are full; the last one may have filled up since (appends).
        if length > self.served || (!is_last && length < self.served) {
            return Lookup::Scan;
        }
        let fits = self.known.iter().all(|&(other, start, end)| {
            (other < page && end < first) || (other > page && last < start)
        });
        if !fits {
            return Lookup::Scan;
        }
        self.known.push((page, first, last));
        self.next()
    }

    /// The last page first, then the middle of the pages where the step can still be.
    fn next(&mut self) -> Lookup {
        let last_page = self.pages.saturating_sub(1);
        if !self.known.iter().any(|&(page, _, _)| page == last_page) {
            return Lookup::Ask(self.ask(Asked::Page(last_page)));
        }
        let step = self.step;
        if self
            .known
            .iter()
            .any(|&(_, start, end)| start <= step && step <= end)
        {
            return Lookup::Absent; // Within an ascending page that does not hold it.
        }
        // Pages below `low` end before the step; pages from `high` on start after it.
        let low = self
            .known
            .iter()
            .filter(|&&(_, _, end)| end < step)
            .map(|&(page, _, _)| page + 1)
            .max()
            .unwrap_or(0);
        let high = self
            .known
            .iter()
            .filter(|&&(_, start, _)| start > step)
            .map(|&(page, _, _)| page)
            .min()
            .unwrap_or(self.pages);
        if low >= high {
            return Lookup::Absent; // Between two pages read next to each other.
        }
        let middle = low + (high - low) / 2;
        Lookup::Ask(self.ask(Asked::Page(middle)))
    }
}

/// Whether `keys` are in strictly ascending order.
fn ascending(keys: &[i64]) -> bool {
    keys.windows(2).all(|pair| matches!(pair, [a, b] if a < b))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::core::fake_history::FakeHistory as Server;

    /// What a lookup finds on a fake history.
    trait Find {
        /// The lookup's answer: the step's position in `items`, or `None`; `Scan` reads all.
        fn find(&mut self, step: i64, page_length: u32) -> Option<usize>;
    }

    impl Find for Server {
        fn find(&mut self, step: i64, page_length: u32) -> Option<usize> {
            let mut lookup = StepLookup::new(step, page_length);
            let mut request = lookup.first();
            loop {
                let (keys, total) = self.answer(request.index, request.page_length);
                match lookup.accept(request, &keys, total) {
                    Lookup::Ask(next) => request = next,
                    Lookup::Found(i) => return self.items.iter().position(|k| *k == keys[i]),
                    Lookup::Absent => return None,
                    Lookup::Scan => {
                        self.requests += 1000; // Marks a scan.
                        return self.items.iter().position(|k| *k == step);
                    }
                }
            }
        }
    }

    fn sorted(n: i64, page_number: bool) -> Server {
        Server {
            items: (0..n).map(|i| i * 2).collect(),
            page_number,
            max_page_length: 1000,
            requests: 0,
        }
    }

    #[test]
    fn fifty_thousand_points_cost_at_most_nine_requests() {
        assert_eq!(request_bound(50_000, 1000), 9);
        assert_eq!(request_bound(1000, 1000), 1);
        assert_eq!(request_bound(1001, 1000), 4);
        for page_number in [true, false] {
            for step in [0, 1, 1998, 2000, 51_234, 99_998, 99_999, 100_000, -5] {
                let mut server = sorted(50_000, page_number);
                let found = server.find(step, 1000);
                let expected =
                    (step >= 0 && step % 2 == 0 && step < 100_000).then_some((step / 2) as usize);
                assert_eq!(found, expected, "step {step}, page numbers {page_number}");
                assert!(
                    server.requests <= 9,
                    "step {step}: {} requests",
                    server.requests
                );
            }
        }
    }

    #[test]
    fn the_latest_step_costs_three_requests() {
        let mut server = sorted(50_000, true);
        assert_eq!(server.find(99_998, 1000), Some(49_999));
        assert_eq!(server.requests, 3);
    }

    #[test]
    fn a_history_in_one_page_is_read_once() {
        let mut server = Server {
            items: vec![5, 3, 9],
            page_number: true,
            max_page_length: 1000,
            requests: 0,
        };
        assert_eq!(server.find(4, 1000), None);
        assert_eq!(server.find(9, 1000), Some(2));
        assert_eq!(server.requests, 2);
    }

    #[test]
    fn disorder_that_shows_makes_it_scan() {
        // The last page is in descending order: the history is not in step order.
        let items: Vec<i64> = (0..30).chain((30..40).rev()).collect();
        for page_number in [true, false] {
            let mut server = Server {
                items: items.clone(),
                page_number,
                max_page_length: 1000,
                requests: 0,
            };
            assert_eq!(server.find(25, 10), Some(25));
            assert!(server.requests >= 1000, "it did not scan");
        }
    }

    #[test]
    fn a_server_serving_shorter_pages_is_followed() {
        for page_number in [true, false] {
            let mut server = Server {
                items: (0..5000).collect(),
                page_number,
                max_page_length: 100,
                requests: 0,
            };
            assert_eq!(server.find(4321, 1000), Some(4321));
            assert!(server.requests <= request_bound(5000, 100));
        }
    }

    #[test]
    fn a_refused_page_length_starts_over_with_the_stated_maximum() {
        let mut lookup = StepLookup::new(7, 1000);
        let first = lookup.first();
        assert_eq!(first.page_length, 1000);
        assert_eq!(lookup.shrink_page_length(1000), None);
        let again = lookup.shrink_page_length(500).unwrap();
        assert_eq!((again.index, again.page_length), (0, 500));
        assert_eq!(lookup.requests(), 2);
    }

    #[test]
    fn points_appended_during_the_search_change_nothing() {
        let mut lookup = StepLookup::new(1234, 100);
        let mut items: Vec<i64> = (0..5000).collect();
        let mut request = lookup.first();
        let found = loop {
            let start = request.index as usize * 100;
            let keys: Vec<i64> = items.iter().skip(start).take(100).copied().collect();
            items.extend(items.len() as i64..items.len() as i64 + 7); // The logger goes on.
            match lookup.accept(request, &keys, items.len() as u64) {
                Lookup::Ask(next) => request = next,
                Lookup::Found(i) => break Some(keys[i]),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(found, Some(1234));
    }
}
