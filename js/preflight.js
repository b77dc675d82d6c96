// What `new DioptraClient(address)` checks before the wasm is loaded (a browser page that
// constructs its client while the module is still compiling): the address, with the same rules
// and messages as src/core/address.rs, so that a bad address throws at once wherever the
// package runs. Everything else (options) is checked by Rust when the wasm is ready; a problem
// found then rejects every call of that client with the same typed error.
import { DioptraValidationError } from "./errors.js";

const API_PREFIX = "/api/v1";
const AUTHORITY = /^[A-Za-z0-9\-._:[\]]+$/;
const PATH = /^[A-Za-z0-9\-._~/%!$&'()*+,;=:]*$/;

/** How an argument that is not a string is named in a message (as src/core/input.rs does). */
function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "an invalid Date" : "a Date";
  switch (typeof value) {
    case "number":
      return Number.isNaN(value) ? "NaN" : String(value);
    case "boolean":
      return String(value);
    case "bigint":
      return "a bigint";
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    default:
      return "an object";
  }
}

/**
 * The API base URL `address` names (or `fallback`, a page's origin, when it is undefined);
 * throws DioptraValidationError (field "address") where Rust would.
 */
function checkAddress(address, fallback) {
  let text = address;
  if (address === undefined) {
    if (fallback === undefined) {
      throw new DioptraValidationError(
        'address is required outside a browser page (e.g. "http://localhost:5000")',
        { field: "address" },
      );
    }
    text = fallback;
  } else if (typeof address !== "string") {
    throw new DioptraValidationError(`address must be a string, not ${describe(address)}`, { field: "address" });
  }
  const shown = text.includes("@") ? "(not shown)" : JSON.stringify(text);
  const refuse = (why) => new DioptraValidationError(`address ${shown} is not usable: ${why}`, { field: "address" });
  const split = text.indexOf("://");
  if (split < 0) throw refuse("it must start with http:// or https://");
  const scheme = text.slice(0, split).toLowerCase();
  const rest = text.slice(split + 3);
  if (scheme !== "http" && scheme !== "https") throw refuse("only http:// and https:// addresses are supported");
  if (/[?#]/.test(rest)) throw refuse("it must not have a query or a fragment");
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  let path = slash < 0 ? "" : rest.slice(slash);
  if (authority.includes("@")) throw refuse("it must not carry a user name or password");
  if (!AUTHORITY.test(authority)) throw refuse("it has no valid host");
  if (!PATH.test(path) || path.split("/").some((s) => s === "." || s === "..")) {
    throw refuse("its path has characters or segments an address cannot have");
  }
  path = path.replace(/\/+$/, "");
  if (path.endsWith(API_PREFIX)) path = path.slice(0, -API_PREFIX.length).replace(/\/+$/, "");
  return `${scheme}://${authority.toLowerCase()}${path}${API_PREFIX}`;
}

export { checkAddress };
