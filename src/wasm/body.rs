//! The cap on an answer's body. js/api.js's `exchange` enforces it (see
//! [`crate::wasm::http`]): it reads a body as a stream, as JavaScript values only (no body ever
//! passes through, or grows, the wasm memory), and stops as soon as the body passes
//! [`MAX_BODY_BYTES`]; a body whose declared, uncompressed length is within the cap is read
//! with `Response.text()`, and one declared longer is not read at all.

/// The largest answer read (16 MiB; a page of 1,000 points is about 100 KB).
pub const MAX_BODY_BYTES: f64 = 16.0 * 1024.0 * 1024.0;
