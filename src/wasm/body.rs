//! Reading an answer's body as a stream, as JavaScript values only: chunks stay `Uint8Array`s,
//! a JavaScript `TextDecoder` makes them a string, so no body ever passes through (or grows)
//! the wasm memory; and the read stops as soon as the body passes [`MAX_BODY_BYTES`].

use js_sys::{JsString, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

/// The largest answer read (16 MiB; a page of 1,000 points is about 100 KB).
pub const MAX_BODY_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

#[wasm_bindgen]
extern "C" {
    /// The global `TextDecoder` (web-sys's `decode` hands back a Rust `String`: a copy into
    /// wasm memory, which this binding avoids).
    #[wasm_bindgen(js_name = TextDecoder)]
    type JsTextDecoder;
    #[wasm_bindgen(catch, constructor, js_class = TextDecoder)]
    fn new() -> Result<JsTextDecoder, JsValue>;
    #[wasm_bindgen(method, catch, js_class = TextDecoder, js_name = decode)]
    fn decode_chunk(
        this: &JsTextDecoder,
        chunk: &Uint8Array,
        options: &Object,
    ) -> Result<JsString, JsValue>;
    #[wasm_bindgen(method, catch, js_class = TextDecoder, js_name = decode)]
    fn decode_end(this: &JsTextDecoder) -> Result<JsString, JsValue>;
}

/// What reading a body gave.
pub enum Body {
    /// The whole body, decoded as UTF-8 (a leading BOM dropped, invalid bytes replaced, as
    /// `Response.text()` does).
    Text(JsString),
    /// The body passed [`MAX_BODY_BYTES`]: the read stopped there; the caller aborts the fetch.
    TooLarge,
}

/// Reads the body of `response`, whose `Content-Length` was declared, is within
/// [`MAX_BODY_BYTES`] and is not of a compressed body, with `Response.text()`: HTTP's framing
/// stops the read at the declared length, so one call (not a read loop with a crossing per
/// chunk) is as safe.
pub async fn read_declared(response: &Response) -> Result<Body, JsValue> {
    let text = JsFuture::from(response.text()?).await?;
    Ok(Body::Text(text.dyn_into()?))
}

/// Reads `response`'s body to its end, or until it passes [`MAX_BODY_BYTES`]. A failure of
/// the read (the connection lost, the request aborted) is the JavaScript error it threw.
pub async fn read_body(response: &Response) -> Result<Body, JsValue> {
    let Some(stream) = response.body() else {
        return Ok(Body::Text(JsString::from("")));
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let chunks = js_sys::Array::new();
    let mut total = 0.0;
    loop {
        let result = JsFuture::from(reader.read()).await?;
        if Reflect::get(&result, &JsValue::from_str("done"))?.is_truthy() {
            break;
        }
        let chunk: Uint8Array = Reflect::get(&result, &JsValue::from_str("value"))?.dyn_into()?;
        total += f64::from(chunk.byte_length());
        if total > MAX_BODY_BYTES {
            return Ok(Body::TooLarge);
        }
        chunks.push(&chunk);
    }
    let decoder = JsTextDecoder::new()?;
    let streaming = Object::new();
    Reflect::set(&streaming, &JsValue::from_str("stream"), &JsValue::TRUE)?;
    let mut text = JsString::from("");
    for chunk in chunks.iter() {
        let piece = decoder.decode_chunk(chunk.unchecked_ref(), &streaming)?;
        text = text.concat(&piece.into());
    }
    Ok(Body::Text(text.concat(&decoder.decode_end()?.into())))
}
