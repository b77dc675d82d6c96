// The package's error classes, and turning the wasm layer's plain error objects into them.

/** The base class of every error this package throws. */
class DioptraError extends Error {
  constructor(message, details = {}) {
    super(message);
    for (const key of this.constructor.fields) {
      this[key] = details[key] ?? null;
    }
  }
}
DioptraError.fields = [];

/** Bad input, refused before any request was sent. */
class DioptraValidationError extends DioptraError {}
DioptraValidationError.fields = ["field"];

/** The server answered with a non-2xx status. */
class DioptraApiError extends DioptraError {}
DioptraApiError.fields = ["status", "errorType", "fieldErrors", "method", "path"];

/** No answer: connection refused or reset, DNS, CORS, ... */
class DioptraNetworkError extends DioptraError {}
DioptraNetworkError.fields = ["method", "path"];

/** No complete answer within `timeoutMs`. */
class DioptraTimeoutError extends DioptraError {}
DioptraTimeoutError.fields = ["timeoutMs", "method", "path"];

/** The caller's `AbortSignal` fired. */
class DioptraAbortError extends DioptraError {}
DioptraAbortError.fields = ["method", "path"];

/** A 2xx answer whose body is not what the endpoint promises. */
class DioptraDecodeError extends DioptraError {}
DioptraDecodeError.fields = ["method", "path"];

/** A logger's queue holds `maxQueue` points: `log()` refuses more (see `logAsync()`). */
class DioptraQueueFullError extends DioptraError {}
DioptraQueueFullError.fields = ["maxQueue"];

/** `log()` on a logger that was closed. */
class DioptraLoggerClosedError extends DioptraError {}

/**
 * `flush()` or `close()`: points logged before it were given up on. `points` lists them
 * (`{ name, step, value, error }`); `errors` holds each point's error, as `AggregateError` does.
 */
class DioptraFlushError extends DioptraError {}
DioptraFlushError.fields = ["points", "errors"];

const errorClasses = {
  DioptraError,
  DioptraValidationError,
  DioptraApiError,
  DioptraNetworkError,
  DioptraTimeoutError,
  DioptraAbortError,
  DioptraDecodeError,
  DioptraQueueFullError,
  DioptraLoggerClosedError,
  DioptraFlushError,
};
for (const [name, cls] of Object.entries(errorClasses)) {
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
}

/** The error the wasm layer reported (a plain `{ kind, message, ... }`), as a class instance. */
function toError(raw) {
  if (raw && raw.dioptraError === true) {
    const cls = errorClasses[raw.kind] ?? DioptraError;
    return new cls(raw.message, raw);
  }
  return raw;
}

/** The error for a call with more arguments than `method` takes. */
function tooManyArguments(method, max, given) {
  return new DioptraValidationError(`${method} takes at most ${max} argument${max === 1 ? "" : "s"}, not ${given}`, {
    field: "arguments",
  });
}

/** Throws when a synchronous method got more than `max` arguments. */
function checkArity(method, max, args) {
  if (args.length > max) throw tooManyArguments(method, max, args.length);
}

/** The error when the WebAssembly module could not be loaded (`cause`: why); the next use tries again. */
function wasmLoadError(cause) {
  const error = new DioptraError(`dioptra-metrics could not load its WebAssembly module: ${cause?.message ?? cause}`);
  error.cause = cause;
  return error;
}

/** `promise`, with the wasm layer's errors turned into class instances. */
function settle(promise) {
  return promise.then(undefined, (raw) => {
    throw toError(raw);
  });
}

export {
  errorClasses,
  toError,
  tooManyArguments,
  checkArity,
  settle,
  wasmLoadError,
  DioptraError,
  DioptraValidationError,
  DioptraApiError,
  DioptraNetworkError,
  DioptraTimeoutError,
  DioptraAbortError,
  DioptraDecodeError,
  DioptraQueueFullError,
  DioptraLoggerClosedError,
  DioptraFlushError,
};
