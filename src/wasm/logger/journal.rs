//! A logger's durable journal (issue 9), following the protocol of [`crate::core::journal`]:
//! each logged point is journaled as the queue resolved it, each stored point (and each point
//! given up on and reported) is acknowledged, and a journal opened at creation is replayed
//! into the queue before anything new. The bytes go to the JavaScript layer's storage
//! (`js/journal.js`, which calls `takeJournalBytes()` after each `log()` and each request).

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::log::{metric_values, LOG_OPTIONS};
use super::{State, WasmLogger};
use crate::core::error::Error;
use crate::core::journal::{Journal, JournalHeader, LoggedPoint};
use crate::core::queue::{Failure, QueuedPoint};
use crate::core::timestamp::{server_millis, timestamp, wire_millis, wire_millis_exact};
use crate::core::validate;
use crate::wasm::convert::{error_to_js, Options};
use crate::wasm::http::date_now;
use crate::wasm::journal::open_error;

/// The journal a logger writes, and the records it has not handed out yet.
pub(super) struct LoggerJournal {
    journal: Journal,
    pending: Vec<u8>,
    /// A record that could not be encoded (never expected: names and values are validated).
    broken: Option<String>,
    /// Per batch of spilled points read back: (the last one's journal seq, the queue's mark
    /// after queueing them), oldest first, until the queue settles that mark. A flush that
    /// began while points were spilled waits for the batch that read its last one back.
    read_back: Vec<(u64, u64)>,
    /// Spilled points up to this journal seq were read back and settled.
    drained_through: u64,
    /// Whether the storage can read spilled points back (a file, IndexedDB).
    can_spill: bool,
}

impl LoggerJournal {
    fn new(journal: Journal, can_spill: bool) -> Self {
        LoggerJournal {
            journal,
            pending: Vec::new(),
            broken: None,
            read_back: Vec::new(),
            drained_through: 0,
            can_spill,
        }
    }

    /// Journals the points of one `log()` call on disk only (the queue is full, or points
    /// are spilled already).
    fn spilled(
        &mut self,
        values: &[(String, f64)],
        steps: &[Option<i64>],
        timestamp: Option<&str>,
    ) {
        let timestamp_ms = timestamp.and_then(server_millis);
        for ((name, value), step) in values.iter().zip(steps) {
            if let Err(error) =
                self.journal
                    .log_spilled(name, *value, *step, timestamp_ms, &mut self.pending)
            {
                self.broken.get_or_insert_with(|| error.to_string());
            }
        }
    }

    /// Journals the points of one `log()` call (`steps` as the queue resolved them).
    fn logged(&mut self, values: &[(String, f64)], steps: &[Option<i64>], timestamp: Option<&str>) {
        let timestamp_ms = timestamp.and_then(server_millis);
        for ((name, value), step) in values.iter().zip(steps) {
            if let Err(error) =
                self.journal
                    .log(name, *value, *step, timestamp_ms, &mut self.pending)
            {
                self.broken.get_or_insert_with(|| error.to_string());
            }
        }
    }

    /// Acknowledges `point` if it is the value the journal holds for its key.
    fn settled(&mut self, point: &QueuedPoint) {
        let timestamp_ms = point.timestamp.as_deref().and_then(server_millis);
        if let Some(seq) =
            self.journal
                .seq_if_same(&point.name, point.step, point.value, timestamp_ms)
        {
            if let Err(error) = self.journal.ack(&[seq], &mut self.pending) {
                self.broken.get_or_insert_with(|| error.to_string());
            }
        }
    }
}

/// The steps the queue will give `values` logged with `step` (call before logging them), when
/// the logger has a journal.
pub(super) fn steps_to_journal(
    state: &State,
    values: &[(String, f64)],
    step: Option<i64>,
) -> Option<Vec<Option<i64>>> {
    state.journal.as_ref()?;
    let queue = state.sender.queue();
    Some(
        values
            .iter()
            .map(|(name, _)| queue.step_for(name, step))
            .collect(),
    )
}

/// After a successful `log()`: journals its points.
pub(super) fn logged(
    state: &mut State,
    values: &[(String, f64)],
    steps: Option<Vec<Option<i64>>>,
    timestamp: Option<&str>,
) {
    if let (Some(journal), Some(steps)) = (state.journal.as_mut(), steps) {
        journal.logged(values, &steps, timestamp);
    }
}

/// Whether points are on disk only: new ones must follow them there.
pub(super) fn spilling(state: &State) -> bool {
    state
        .journal
        .as_ref()
        .is_some_and(|j| j.journal.is_spilling())
}

/// How many points are on disk only.
pub(super) fn spilled(state: &State) -> usize {
    state.journal.as_ref().map_or(0, |j| j.journal.spilled())
}

/// A `log()` the queue refused (full), or one while points are spilled: with a journal, its
/// points are journaled on disk only (true); without one, false (the refusal stands).
pub(super) fn spill(
    state: &mut State,
    values: &[(String, f64)],
    steps: Option<&[Option<i64>]>,
    timestamp: Option<&str>,
) -> bool {
    let (Some(journal), Some(steps)) = (state.journal.as_mut(), steps) else {
        return false;
    };
    if !journal.can_spill {
        return false;
    }
    journal.spilled(values, steps, timestamp);
    state.sender.note_steps(values, steps);
    true
}

/// Queues a point read from the journal (replayed at creation, or read back after a spill).
fn queue_point(state: &mut State, point: LoggedPoint, now: f64) -> bool {
    // A point journaled without a step went to step 0; automatic steps must not move it.
    let step = point
        .step
        .or_else(|| state.sender.queue().step_for(&point.name, None).map(|_| 0));
    let timestamp = point.timestamp_ms.and_then(wire_millis_exact);
    let values = [(point.name, point.value)];
    state
        .sender
        .log(&values, step, timestamp.as_deref(), now)
        .is_ok()
}

/// The server stored `point`.
pub(super) fn stored(state: &mut State, point: &QueuedPoint) {
    if let Some(journal) = state.journal.as_mut() {
        journal.settled(point);
    }
}

/// Points a request's answer (or the give-up time) made the logger give up on, reported: out
/// of the journal too, unless the session was refused (401, 403: nothing is wrong with the
/// points, the next logger with a session sends them). Not called for a close past its
/// deadline (`abandon()`) nor a failed login: what they give up stays journaled.
pub(super) fn given_up(state: &mut State, failures: &[Failure]) {
    if let Some(journal) = state.journal.as_mut() {
        for failure in failures {
            let session =
                matches!(&failure.error, Error::Api(api) if api.status == 401 || api.status == 403);
            if !session {
                journal.settled(&failure.point);
            }
        }
    }
}

fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

#[wasm_bindgen(js_class = WasmLogger)]
impl WasmLogger {
    /// Opens the journal whose file holds `bytes` (empty: a new journal) for this logger's job
    /// and address, and queues its unacknowledged points, in the order they were logged,
    /// before anything new. With `canSpill` (the storage can `read` back), points past
    /// `maxQueue` are kept on disk only, now and as the logger logs. Returns `{ rewrite, torn,
    /// replayed, left, spilled }`: the bytes that must replace the file before anything is
    /// appended, a torn tail that was skipped (`{ offset, bytes }` or undefined), the points
    /// queued, those left in the journal because the queue was full (without `canSpill`),
    /// and those on disk only. Throws an Error whose `code` is EJOURNALOTHERJOB,
    /// EJOURNALVERSION or EJOURNALCORRUPT (then nothing was queued).
    #[wasm_bindgen(js_name = openJournal)]
    pub fn open_journal(&self, bytes: &[u8], can_spill: bool) -> Result<JsValue, JsValue> {
        let header = JournalHeader {
            job_id: self.setup.job_id,
            base_url: self.setup.transport.base.base_url.clone(),
        };
        let opened = Journal::open(bytes, &header).map_err(|e| open_error(&e))?;
        let now = date_now();
        let mut state = self.state.borrow_mut();
        let mut journal = opened.journal;
        // What does not fit in the queue stays on disk only, read back as the queue drains.
        let room = state.sender.queue().room();
        let rewrite = if can_spill && journal.len() > room {
            journal
                .compact_keeping(room)
                .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))?
        } else {
            opened.rewrite
        };
        let (mut replayed, mut left) = (0u32, 0u32);
        for point in journal.points() {
            if queue_point(&mut state, point, now) {
                replayed += 1;
            } else {
                left += 1;
            }
        }
        let spilled = journal.spilled();
        state.journal = Some(LoggerJournal::new(journal, can_spill));
        let result = Object::new();
        set(
            &result,
            "rewrite",
            &Uint8Array::from(rewrite.as_slice()).into(),
        );
        set(&result, "spilled", &JsValue::from_f64(spilled as f64));
        let torn = opened.torn.map_or(JsValue::UNDEFINED, |(offset, bytes)| {
            let torn = Object::new();
            set(&torn, "offset", &JsValue::from_f64(offset as f64));
            set(&torn, "bytes", &JsValue::from_f64(bytes as f64));
            torn.into()
        });
        set(&result, "torn", &torn);
        set(&result, "replayed", &JsValue::from(replayed));
        set(&result, "left", &JsValue::from(left));
        Ok(result.into())
    }

    /// The journal records to append since the last call (empty when none). Throws if a
    /// record could not be encoded.
    #[wasm_bindgen(js_name = takeJournalBytes)]
    pub fn take_journal_bytes(&self) -> Result<Vec<u8>, JsValue> {
        let mut state = self.state.borrow_mut();
        let Some(journal) = state.journal.as_mut() else {
            return Ok(Vec::new());
        };
        if let Some(broken) = journal.broken.take() {
            return Err(js_sys::Error::new(&format!(
                "a journal record could not be written: {broken}"
            ))
            .into());
        }
        Ok(std::mem::take(&mut journal.pending))
    }

    /// The compacted journal's bytes when compaction is due (they replace the file, and the
    /// bytes not yet taken are dropped: the compacted journal holds what they said), else
    /// undefined.
    #[wasm_bindgen(js_name = compactJournal)]
    pub fn compact_journal(&self) -> Result<Option<Vec<u8>>, JsValue> {
        let mut state = self.state.borrow_mut();
        let Some(journal) = state.journal.as_mut() else {
            return Ok(None);
        };
        if !journal.journal.should_compact() {
            return Ok(None);
        }
        let bytes = journal
            .journal
            .compact()
            .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))?;
        journal.pending.clear();
        Ok(Some(bytes))
    }

    /// The file offset to read spilled points back from, or -1 when none are spilled.
    #[wasm_bindgen(getter, js_name = spillOffset)]
    pub fn spill_offset(&self) -> f64 {
        let state = self.state.borrow();
        let offset = state
            .journal
            .as_ref()
            .and_then(|j| j.journal.spill_offset());
        offset.map_or(-1.0, |o| o as f64)
    }

    /// How many more points the queue has room for.
    #[wasm_bindgen(getter)]
    pub fn room(&self) -> f64 {
        self.state.borrow().sender.queue().room() as f64
    }

    /// Points journaled on disk only, not in memory (0 without a journal).
    #[wasm_bindgen(getter)]
    pub fn spilled(&self) -> f64 {
        spilled(&self.state.borrow()) as f64
    }

    /// The journal seq of the last spilled point (0 when none): a flush begun now waits for it.
    #[wasm_bindgen(getter, js_name = spillMark)]
    pub fn spill_mark(&self) -> f64 {
        let state = self.state.borrow();
        let last = state
            .journal
            .as_ref()
            .and_then(|j| j.journal.spill_last_seq());
        last.unwrap_or(0) as f64
    }

    /// Reads spilled points back into the queue, as many as it has room for, from `bytes`
    /// (the journal from `spillOffset` on; a record cut off at the end waits for the next
    /// call). Returns how many were queued. Throws if the journal is damaged there.
    #[wasm_bindgen(js_name = readBack)]
    pub fn read_back(&self, bytes: &[u8]) -> Result<u32, JsValue> {
        let now = date_now();
        let mut state = self.state.borrow_mut();
        let room = state.sender.queue().room();
        let Some(journal) = state.journal.as_mut() else {
            return Ok(0);
        };
        let points = journal.journal.read_back(bytes, room).map_err(|reason| {
            JsValue::from(js_sys::Error::new(&format!(
                "the spilled points of the journal could not be read back: {reason}"
            )))
        })?;
        let last = points.last().map(|p| p.seq);
        let count = points.len();
        for point in points {
            queue_point(&mut state, point, now);
        }
        let mark = state.sender.queue().mark();
        let State {
            sender, journal, ..
        } = &mut *state;
        if let (Some(journal), Some(last)) = (journal.as_mut(), last) {
            journal.read_back.push((last, mark));
            // Batches whose points are all settled need no bookkeeping any more.
            while let Some(&(seq, mark)) = journal.read_back.first() {
                if !sender.queue().is_settled(mark) {
                    break;
                }
                journal.drained_through = journal.drained_through.max(seq);
                journal.read_back.remove(0);
            }
        }
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// The queue mark a flush made at `mark` with `spillMark` waits for: `mark`, or past the
    /// read-back batch holding its last spilled point; -1 while that point is still on disk.
    #[wasm_bindgen(js_name = flushMark)]
    pub fn flush_mark(&self, mark: f64, spill_mark: f64) -> f64 {
        let state = self.state.borrow();
        let Some(journal) = state.journal.as_ref() else {
            return mark;
        };
        let spill = spill_mark as u64;
        if spill == 0 || spill <= journal.drained_through {
            return mark;
        }
        match journal.read_back.iter().find(|(seq, _)| *seq >= spill) {
            Some((_, queued)) => mark.max(*queued as f64),
            None => -1.0,
        }
    }

    /// Points in the journal not yet acknowledged, in memory or spilled (0 without a journal).
    #[wasm_bindgen(getter)]
    pub fn journaled(&self) -> f64 {
        self.state
            .borrow()
            .journal
            .as_ref()
            .map_or(0.0, |j| j.journal.len() as f64)
    }
}

#[wasm_bindgen(js_class = WasmLogger)]
impl WasmLogger {
    /// Checks `metrics` and `options` as `log()` does, without queueing them (a journal
    /// still being read defers the call); returns the timestamp to log them with later
    /// (RFC 3339 text; the client's clock now when none is given and the logger uses it), or
    /// undefined for the server's clock.
    #[wasm_bindgen(js_name = checkLog)]
    pub fn check_log(&self, metrics: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let checked = (|| {
            let options = Options::read(&options, "options", LOG_OPTIONS)?;
            validate::step(&options.get("step"))?;
            let timestamp = match timestamp(&options.get("timestamp"))? {
                None if self.setup.client_clock => wire_millis(date_now()),
                given => given,
            };
            metric_values(&metrics)?;
            Ok(timestamp)
        })();
        checked
            .map(|t| t.map_or(JsValue::UNDEFINED, |t| JsValue::from_str(&t)))
            .map_err(|e: crate::core::error::Error| error_to_js(&e))
    }
}

#[wasm_bindgen(js_class = WasmLogger)]
impl WasmLogger {
    /// The API base URL the logger sends to (a journal's address).
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.setup.transport.base.base_url.clone()
    }
}
