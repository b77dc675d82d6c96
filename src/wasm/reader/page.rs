//! A page as a complete read reads it ([`ReadPage`]): decoded from the answer (the core's
//! readers, see [`crate::core::shape`], or the history's columns), its items' keys and total
//! for the pager, and its new items handed out to JavaScript.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::decode::Page;
use crate::core::error::Result;
use crate::core::keyset::RunKey;
use crate::core::paging::Keyed;
use crate::core::shape::Item;
use crate::wasm::columns::{decode_snapshot_page, put_columns, SnapshotPage};
use crate::wasm::convert::{to_js, ToJs};
use crate::wasm::http::{Answer, Transport};

/// A page as a reader reads it: decoded from the answer, its items' keys and total, and its
/// new items handed out to JavaScript.
pub trait ReadPage: Sized {
    /// What tells the items apart.
    type Key: RunKey;
    /// The page in `answer`.
    fn read(answer: &Answer, transport: &Transport) -> Result<Self>;
    /// Its items' keys, in order.
    fn keys(&self) -> Vec<Self::Key>;
    /// The server's `totalNumResults`.
    fn total(&self) -> u64;
    /// Puts the items at `fresh` (positions, in order) into `out`.
    fn put(self, out: &Object, fresh: &[usize]) -> Result<()>;
}

/// A page of items handed to JavaScript as they are: an experiment's jobs (`{ id,
/// metrics }`), experiments, an experiment's jobs.
impl<T: Keyed + Item + ToJs> ReadPage for Page<T> {
    type Key = T::Key;
    fn read(answer: &Answer, _: &Transport) -> Result<Self> {
        answer.decode()
    }
    fn keys(&self) -> Vec<T::Key> {
        self.data.iter().map(Keyed::key).collect()
    }
    fn total(&self) -> u64 {
        self.total_num_results
    }
    fn put(self, out: &Object, fresh: &[usize]) -> Result<()> {
        let mut items: Vec<Option<T>> = self.data.into_iter().map(Some).collect();
        let data: Vec<T> = fresh
            .iter()
            .filter_map(|&i| items.get_mut(i).and_then(Option::take))
            .collect();
        let _ = Reflect::set(out, &JsValue::from_str("data"), &to_js(&data)?);
        Ok(())
    }
}

/// A metric's history: its points as columns (see [`crate::wasm::columns`]).
impl ReadPage for SnapshotPage {
    type Key = i64;
    fn read(answer: &Answer, transport: &Transport) -> Result<Self> {
        decode_snapshot_page(answer, &transport.read_columns)
    }
    fn keys(&self) -> Vec<i64> {
        self.columns.steps.clone()
    }
    fn total(&self) -> u64 {
        self.head.total_num_results
    }
    fn put(self, out: &Object, fresh: &[usize]) -> Result<()> {
        put_columns(out, &self, Some(fresh));
        Ok(())
    }
}
