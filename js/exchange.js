// What crosses between the JavaScript layer and the wasm client, made for few crossings:
// one whole HTTP exchange per request (`exchange`), a history page's points read as columns
// (`readColumns`), the one-shot calls' requests and replies (`callDirect`, `DirectReplies`;
// see src/wasm/calls.rs) with the plain options of the calls that take numbers
// (`numberOptions`), and a logger's points in the common case (`numbersToLog`).
import { toError } from "./errors.js";

/**
 * The columns of a history page's points, read in one pass for the wasm side to check and
 * decode (src/wasm/columns.rs): `[steps, values, stamps, name, names, odd]`, steps and values
 * as `Float64Array`s, the timestamps joined by newlines and encoded as UTF-8 bytes (copied into
 * the wasm memory at once, where a string would be encoded there one character at a time: about
 * a tenth of a 1,000-point page's cost), the one name of every point (or
 * `names`, each point's, when they differ), and `odd`: `index, field, raw` of each field that
 * is not a number (step, value) or a one-line string (timestamp), or of a point that is not an
 * object. `null` when `data` is not a list.
 */
const utf8 = new TextEncoder();

function readColumns(data) {
  if (!Array.isArray(data)) return null;
  const n = data.length;
  const steps = new Float64Array(n);
  const values = new Float64Array(n);
  const stamps = new Array(n);
  const odd = [];
  const name = n > 0 ? data[0]?.name : undefined;
  let names = null;
  for (let i = 0; i < n; i++) {
    const point = data[i];
    stamps[i] = "";
    if (typeof point !== "object" || point === null || Array.isArray(point)) {
      odd.push(i, "point", point);
      continue;
    }
    const { step, value, timestamp } = point;
    if (typeof step === "number") steps[i] = step;
    else odd.push(i, "step", step);
    if (typeof value === "number") values[i] = value;
    else odd.push(i, "value", value);
    if (typeof timestamp === "string" && !timestamp.includes("\n")) stamps[i] = timestamp;
    else odd.push(i, "timestamp", timestamp);
    if (point.name !== name && names === null) names = data.map((p) => p?.name);
  }
  return [steps, values, utf8.encode(stamps.join("\n")), name, names, odd];
}

/**
 * One whole HTTP exchange for the wasm side (src/wasm/http.rs), so that a request crosses the
 * boundary once: `fetch` with a time limit (an AbortController and a timer, and the caller's
 * `signal`), the body read as text up to `maxBytes`, and JSON parsed. `credentials`
 * undefined: the client keeps its own cookies (no redirect followed, `Set-Cookie` handed
 * back), else the browser's `credentials` mode. Calls `deliver(id, reply)` when done
 * (src/wasm/reply.rs), `reply` being `[status, parsed, text, setCookies, statusText,
 * retryAfter]` (`parsed` undefined when the text is not JSON, null when it is blank; the last
 * two only when the status is not 2xx), `[-1, , , setCookies]` when the body passes
 * `maxBytes` (the fetch is then aborted), or `[0, why, failure, setCookies]` when the fetch or
 * the read failed: `why` 1 the caller's signal, 2 the time limit, 3 anything else (`failure`
 * the thrown value).
 */
async function exchange(deliver, id, url, method, headers, body, timeoutMs, signal, credentials, keepalive, maxBytes) {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, timeoutMs);
  signal?.addEventListener("abort", abort);
  const jar = credentials === undefined;
  const init = { method, headers, body, credentials, signal: controller.signal };
  if (jar) init.redirect = "manual";
  if (keepalive) init.keepalive = true;
  let cookies;
  let reply;
  try {
    const response = await fetch(url, init);
    const head = response.headers;
    const setCookies = jar ? head.getSetCookie?.() : undefined;
    if (setCookies?.length > 0) cookies = setCookies;
    const length = head.get("content-length")?.trim();
    const declared = /^\+?\d+$/.test(length) ? Number(length) : undefined;
    // The declared length bounds the body only when it is not compressed, which only a
    // runtime that shows every header (Node: the one with its own jar) can tell.
    const text = declared > maxBytes ? null : declared !== undefined && jar && !head.has("content-encoding") ? await response.text() : await readCapped(response, maxBytes);
    if (text === null) {
      // Past the cap: the connection closes, nothing more is read.
      controller.abort();
      reply = [-1, , , cookies];
    } else {
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch {
        if (text.trim() === "") parsed = null;
      }
      reply = [response.status, parsed, text, cookies];
      if (!response.ok) reply.push(response.statusText, head.get("retry-after"));
    }
  } catch (failure) {
    reply = [0, signal?.aborted ? 1 : controller.signal.aborted ? 2 : 3, failure, cookies];
  }
  clearTimeout(timer);
  signal?.removeEventListener("abort", abort);
  deliver(id, reply);
}

/**
 * `response`'s body as text, read as a stream, or null as soon as it passes `maxBytes`
 * (decoded as `Response.text()` does: a leading BOM dropped, invalid bytes replaced).
 */
async function readCapped(response, maxBytes) {
  const reader = response.body?.getReader();
  const chunks = [];
  let total = 0;
  for (let chunk; reader && !(chunk = await reader.read()).done; chunks.push(chunk.value)) {
    if ((total += chunk.value.byteLength) > maxBytes) return null;
  }
  const decoder = new TextDecoder();
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("") + decoder.decode();
}

/**
 * The replies of one client's one-shot calls (src/wasm/calls.rs), by request id: `deliver(id,
 * reply)` is the exchange's callback for them, `wait(id)` a promise of the reply (a reply may
 * come first, when a `fetch` throws at once).
 */
class DirectReplies {
  #waiting = new Map();
  deliver = (id, reply) => {
    const resolve = this.#waiting.get(id);
    if (resolve === undefined) return void this.#waiting.set(id, [reply]);
    this.#waiting.delete(id);
    resolve(reply);
  };
  wait(id) {
    const early = this.#waiting.get(id);
    if (early === undefined) return new Promise((resolve) => this.#waiting.set(id, resolve));
    this.#waiting.delete(id);
    return Promise.resolve(early[0]);
  }
}

/**
 * One call of the wasm client's one-shot calls (src/wasm/calls.rs): `start()` checks the
 * arguments and sends the request (its id, negative while it waits for a slot: then
 * `sendWhenFree` sends it), and `finish(id, reply)` reads the reply. `chained`: the call may
 * ask a second request (its `finish` then answers that request's id, a number, which no
 * result of such a call is). Errors come out typed.
 */
async function callDirect(w, replies, start, chained) {
  try {
    let id = start();
    for (;;) {
      if (id < 0) {
        id = -id;
        await w.sendWhenFree(id);
      }
      const result = w.finish(id, await replies.wait(id));
      if (!chained || typeof result !== "number") return result;
      id = result;
    }
  } catch (raw) {
    throw toError(raw);
  }
}

/**
 * `options` when it is undefined or a plain object whose own keys are all in `keys` and whose
 * values there are numbers or undefined (what `appendDirect` and `latestDirect` take), else
 * null.
 */
function numberOptions(options, keys) {
  if (options === undefined) return NO_OPTIONS;
  if (typeof options !== "object" || options === null || Object.getPrototypeOf(options) !== Object.prototype) return null;
  for (const key in options) {
    if (!keys.includes(key)) return null;
    const value = options[key];
    if (value !== undefined && typeof value !== "number") return null;
  }
  return options;
}
const NO_OPTIONS = Object.freeze({});

/**
 * What the wasm logger's `logNumbers` takes for `log(metrics, options)` in the common case:
 * `[names joined by newlines, values as a Float64Array, step]` when `metrics` is a plain
 * object of numbers (names without a newline, which no metric name has) and `options` is
 * undefined or `{ step }` (a number or undefined); else null, and the general `log` checks
 * and reports.
 */
function numbersToLog(metrics, options) {
  if (typeof metrics !== "object" || metrics === null || Object.getPrototypeOf(metrics) !== Object.prototype) return null;
  const plain = numberOptions(options, LOG_NUMBERS);
  const names = plain === null ? [] : Object.keys(metrics);
  if (names.length === 0) return null;
  const values = new Float64Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const value = metrics[names[i]];
    if (typeof value !== "number" || names[i].includes("\n")) return null;
    values[i] = value;
  }
  return [names.join("\n"), values, plain.step];
}
const LOG_NUMBERS = ["step"];

export { DirectReplies, callDirect, exchange, numberOptions, numbersToLog, readColumns };
