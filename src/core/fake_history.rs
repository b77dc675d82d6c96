//! A history server for the paging tests (the pager's and the step lookup's): it serves
//! `items` (keys) in order, reads `index` as a page number or as an element offset, and counts
//! the requests it answered.

/// A fake history endpoint.
pub struct FakeHistory {
    /// The keys it holds, in the order it serves them.
    pub items: Vec<i64>,
    /// Whether `index` is a page number (Dioptra 1.2.2) or an element offset.
    pub page_number: bool,
    /// The most items it puts in a page, whatever is asked.
    pub max_page_length: u32,
    /// Requests answered so far.
    pub requests: u32,
}

impl FakeHistory {
    /// The page at `index` of `page_length` items (capped), and the total it holds.
    pub fn answer(&mut self, index: u64, page_length: u32) -> (Vec<i64>, u64) {
        self.requests += 1;
        let length = page_length.min(self.max_page_length) as usize;
        let start = if self.page_number {
            index as usize * length
        } else {
            index as usize
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
