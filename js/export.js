// Export: a series (or several, or watched snapshots) as CSV or JSON Lines, with the special
// values spelled as Dioptra spells them ("nan", "inf", "-inf"), timestamps as RFC 3339 (UTC,
// microseconds kept), a header line for CSV. Both round-trip through Python's csv and json.
import { DioptraValidationError } from "./errors.js";

const COLUMNS = ["jobId", "name", "step", "value", "timestamp"];

/** A value as Dioptra spells it: a number's shortest round-trip text, or nan / inf / -inf. */
function valueText(v) {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return Object.is(v, -0) ? "-0.0" : String(v);
}

/** `ms` since the epoch (fractions of a ms kept to the microsecond) as RFC 3339 in UTC. */
function rfc3339(ms) {
  if (!Number.isFinite(ms)) return "";
  let whole = Math.floor(ms);
  let micros = Math.round((ms - whole) * 1000);
  if (micros === 1000) {
    whole += 1;
    micros = 0;
  }
  const iso = new Date(whole).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return micros === 0 ? iso : `${iso.slice(0, -1)}${String(micros).padStart(3, "0")}Z`;
}

/** A point's timestamp (a Date or ms) as ms. */
function millis(t) {
  return t instanceof Date ? t.getTime() : typeof t === "number" ? t : NaN;
}

/** Every row of `input` as `{ jobId, name, step, value, time, overwrite }`, in order. */
function* rows(input, jobId) {
  if (Array.isArray(input)) {
    for (const item of input) {
      if (item !== null && typeof item === "object" && "steps" in item) yield* rows(item);
      else if (item !== null && typeof item === "object" && "step" in item && "value" in item) {
        yield { jobId: item.jobId ?? jobId, name: item.name, step: item.step, value: item.value, time: millis(item.timestamp), overwrite: item.overwrite };
      } else throw new DioptraValidationError("each item must be a series or a metric snapshot ({ name, value, step, timestamp })", { field: "input" });
    }
    return;
  }
  if (input !== null && typeof input === "object" && "steps" in input && "values" in input) {
    const { steps, values, timestamps } = input;
    if (values.length !== steps.length || (timestamps && timestamps.length !== steps.length)) {
      throw new DioptraValidationError("a series' steps, values and timestamps must have the same length", { field: "input" });
    }
    for (let i = 0; i < steps.length; i++) {
      yield { jobId: input.jobId, name: input.name, step: steps[i], value: values[i], time: timestamps ? timestamps[i] : NaN };
    }
    return;
  }
  throw new DioptraValidationError("toCSV / toJSONLines take a series, an array of series, or an array of metric snapshots", { field: "input" });
}

/** A CSV field, quoted when it must be (RFC 4180). */
function field(text) {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Checks the options both exports take. */
function exportOptions(options) {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) throw new DioptraValidationError("options must be an object", { field: "options" });
  const unknown = Object.keys(options).find((k) => k !== "header" && k !== "jobId");
  if (unknown !== undefined) throw new DioptraValidationError(`unknown option ${JSON.stringify(unknown)} (known: header, jobId)`, { field: unknown });
  return options;
}

/**
 * CSV (RFC 4180, `\n` line ends) with the header `jobId,name,step,value,timestamp`. Options:
 * `header` (true), `jobId` (for snapshots that carry none).
 */
function toCSV(input, options) {
  const { header = true, jobId } = exportOptions(options);
  const lines = header ? [COLUMNS.join(",")] : [];
  for (const r of rows(input, jobId)) {
    lines.push([r.jobId ?? "", r.name ?? "", r.step, valueText(r.value), rfc3339(r.time)].map((v) => field(String(v))).join(","));
  }
  return lines.join("\n") + "\n";
}

/**
 * JSON Lines: one `{"jobId","name","step","value","timestamp"}` object a line (`overwrite`
 * too when set); values as Dioptra's JSON has them (numbers, or "nan", "inf", "-inf").
 * Options: `jobId` (for snapshots that carry none).
 */
function toJSONLines(input, options) {
  const { jobId } = exportOptions(options);
  let out = "";
  for (const r of rows(input, jobId)) {
    const value = Number.isFinite(r.value) ? r.value : valueText(r.value);
    const line = { jobId: r.jobId ?? null, name: r.name ?? null, step: r.step, value, timestamp: rfc3339(r.time) || null };
    if (r.overwrite) line.overwrite = true;
    out += JSON.stringify(line) + "\n";
  }
  return out;
}

export { toCSV, toJSONLines, rfc3339 };
