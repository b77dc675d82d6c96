//! # dioptra-metrics
//!
//! Log and read the metrics of NIST's Dioptra ML test platform from JavaScript.
//!
//! The crate has two layers:
//! - [`core`]: plain Rust with no JavaScript in it: the value codec, validation, request
//!   building, response decoding and errors. `cargo test` checks all of it natively.
//! - `wasm` (only on `wasm32`): the `#[wasm_bindgen]` surface that the npm package's small
//!   JavaScript layer (`js/`) wraps. It converts types and errors, sends requests with the
//!   global `fetch`, and keeps Node's cookie jar.
#![deny(missing_docs)]
// Nothing from the network or the caller may make the crate panic (a wasm trap): outside
// tests, the operations that can panic are refused by clippy, which `npm test` runs.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod core;

#[cfg(target_arch = "wasm32")]
mod wasm;
