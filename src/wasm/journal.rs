//! `WasmJournal`: the core's [`Journal`] for the JavaScript layer, which keeps the bytes
//! (`js/journal-file.js` in Node, IndexedDB in browsers). Records to append collect in a
//! buffer that `takeBytes()` hands out, so one `log()` call of many points is one append.
//! Not used by the logger yet (see the protocol in `core::journal`).

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::journal::{Journal, JournalHeader, LoggedPoint, OpenError};
use crate::wasm::OutOfLine;

/// A journal's state, plus the bytes to append next.
#[wasm_bindgen(js_name = WasmJournal)]
pub struct WasmJournal {
    journal: Journal,
    pending: Vec<u8>,
    rewrite: Option<Vec<u8>>,
    torn: Option<(usize, usize)>,
}

/// A JavaScript `Error` with a `code` and extra fields.
fn js_error(code: &str, message: &str, fields: &[(&str, JsValue)]) -> JsValue {
    let error: JsValue = js_sys::Error::new(message).into();
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    for (key, value) in fields {
        let _ = Reflect::set(&error, &(*key).into(), value);
    }
    error
}

/// The JavaScript error for a journal that cannot be opened (see `WasmJournal::open`).
pub(crate) fn open_error(error: &OpenError) -> JsValue {
    let message = error.to_string();
    match error {
        OpenError::Empty => js_error("EJOURNALEMPTY", &message, &[]),
        OpenError::OtherJob { found, .. } => js_error(
            "EJOURNALOTHERJOB",
            &message,
            &[
                ("jobId", JsValue::from_f64(found.job_id as f64)),
                ("baseUrl", found.base_url.as_str().into()),
            ],
        ),
        OpenError::Version(v) => js_error(
            "EJOURNALVERSION",
            &message,
            &[("version", JsValue::from(*v))],
        ),
        OpenError::Corrupt {
            offset,
            reason,
            unsent_before,
        } => js_error(
            "EJOURNALCORRUPT",
            &message,
            &[
                ("offset", JsValue::from_f64(*offset as f64)),
                ("reason", reason.as_str().into()),
                ("unsentBefore", JsValue::from_f64(*unsent_before as f64)),
            ],
        ),
    }
}

fn encode_error(error: impl std::fmt::Display) -> JsValue {
    js_error("EJOURNALRECORD", &error.to_string(), &[])
}

fn point_to_js(point: &LoggedPoint) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&object, &key.into(), &value);
    };
    set("seq", JsValue::from_f64(point.seq as f64));
    set("name", point.name.as_str().into());
    set("value", JsValue::from_f64(point.value));
    set(
        "step",
        point
            .step
            .map_or(JsValue::UNDEFINED, |s| JsValue::from_f64(s as f64)),
    );
    set(
        "timestamp",
        point
            .timestamp_ms
            .map_or(JsValue::UNDEFINED, JsValue::from_f64),
    );
    object.into()
}

#[wasm_bindgen(js_class = WasmJournal)]
impl WasmJournal {
    /// The journal in `bytes` (empty: a new one, whose header `takeRewrite()` gives) for
    /// `jobId` at `baseUrl`. Throws an Error
    /// whose `code` is EJOURNALOTHERJOB, EJOURNALVERSION or EJOURNALCORRUPT (see the fields).
    pub fn open(bytes: &[u8], job_id: f64, base_url: String) -> Result<WasmJournal, JsValue> {
        let header = JournalHeader {
            job_id: job_id as u64,
            base_url,
        };
        Journal::open(bytes, &header)
            .map(|opened| WasmJournal {
                journal: opened.journal,
                pending: Vec::new(),
                rewrite: Some(opened.rewrite),
                torn: opened.torn,
            })
            .map_err(|e| open_error(&e))
    }

    /// The journal in `bytes` whatever its job (`jobId`, `baseUrl` say which).
    pub fn replay(bytes: &[u8]) -> Result<WasmJournal, JsValue> {
        Journal::replay(bytes)
            .map(|opened| WasmJournal {
                journal: opened.journal,
                pending: Vec::new(),
                rewrite: Some(opened.rewrite),
                torn: opened.torn,
            })
            .map_err(|e| open_error(&e))
    }

    /// The bytes that must replace the file before anything is appended (once; then undefined).
    #[wasm_bindgen(js_name = takeRewrite)]
    pub fn take_rewrite(&mut self) -> Option<Vec<u8>> {
        self.rewrite.take()
    }

    /// `{ offset, bytes }` of a torn last record that was skipped, or undefined.
    #[wasm_bindgen(getter)]
    pub fn torn(&self) -> OutOfLine<JsValue> {
        Ok(self.torn.map_or(JsValue::UNDEFINED, |(offset, bytes)| {
            let object = Object::new();
            let _ = Reflect::set(&object, &"offset".into(), &(offset as f64).into());
            let _ = Reflect::set(&object, &"bytes".into(), &(bytes as f64).into());
            object.into()
        }))
    }

    /// Journals a point (its record goes to the buffer); returns its seq.
    pub fn log(
        &mut self,
        name: &str,
        value: f64,
        step: Option<f64>,
        timestamp_ms: Option<f64>,
    ) -> Result<f64, JsValue> {
        self.journal
            .log(
                name,
                value,
                step.map(|s| s as i64),
                timestamp_ms,
                &mut self.pending,
            )
            .map(|seq| seq as f64)
            .map_err(encode_error)
    }

    /// Journals that the server stored the points `seqs`; returns how many it settled.
    pub fn ack(&mut self, seqs: &[f64]) -> Result<u32, JsValue> {
        let seqs: Vec<u64> = seqs.iter().map(|s| *s as u64).collect();
        self.journal
            .ack(&seqs, &mut self.pending)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            .map_err(encode_error)
    }

    /// The seq of the held point for (name, step) if it has exactly this value and timestamp.
    #[wasm_bindgen(js_name = seqIfSame)]
    pub fn seq_if_same(
        &self,
        name: &str,
        step: Option<f64>,
        value: f64,
        timestamp_ms: Option<f64>,
    ) -> Option<f64> {
        self.journal
            .seq_if_same(name, step.map(|s| s as i64), value, timestamp_ms)
            .map(|seq| seq as f64)
    }

    /// The records to append since the last call (empty when none).
    #[wasm_bindgen(js_name = takeBytes)]
    pub fn take_bytes(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }

    /// Whether to `compact()` now.
    #[wasm_bindgen(js_name = shouldCompact)]
    pub fn should_compact(&self) -> bool {
        self.journal.should_compact()
    }

    /// The compacted journal's bytes (header + unacknowledged points), to replace the file.
    /// Bytes not yet taken are dropped: the compacted journal holds what they said.
    pub fn compact(&mut self) -> Result<Vec<u8>, JsValue> {
        self.pending.clear();
        self.journal.compact().map_err(encode_error)
    }

    /// The unacknowledged points in send order: `{ seq, name, value, step, timestamp }`.
    pub fn points(&self) -> OutOfLine<Array> {
        Ok(self.journal.points().map(|p| point_to_js(&p)).collect())
    }

    /// How many points are unacknowledged.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.journal.len()).unwrap_or(u32::MAX)
    }

    /// The file's size as this state knows it (pending bytes counted).
    #[wasm_bindgen(getter, js_name = fileBytes)]
    pub fn file_bytes(&self) -> f64 {
        self.journal.file_bytes() as f64
    }

    /// The job the journal is for.
    #[wasm_bindgen(getter, js_name = jobId)]
    pub fn job_id(&self) -> f64 {
        self.journal.header().job_id as f64
    }

    /// The API base URL the journal is for.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.journal.header().base_url.clone()
    }
}
