//! The pure core: everything that needs no JavaScript, checked natively by `cargo test`.

pub mod address;
pub mod catalog;
pub mod columns;
pub mod cookies;
pub mod decode;
pub mod downsample;
pub mod endpoints;
pub mod error;
#[cfg(test)]
mod fake_history;
pub mod hints;
pub mod host;
pub mod http_date;
pub mod input;
pub mod journal;
pub mod keyset;
pub mod limiter;
pub mod lookup;
pub mod paging;
pub mod queue;
pub mod read_retry;
pub mod retry;
pub mod sender;
pub mod shape;
pub mod sort;
pub mod text;
pub mod timestamp;
pub mod validate;
pub mod value;
