// Metrics in a line of a training program's output: a JSON object (with Python's NaN,
// Infinity and -Infinity tokens allowed), or `key=value` pairs as many training loops print.

/** The special values, by their spellings (any case): "nan", "inf", "infinity", with a sign. */
const SPECIALS = new Map([
  ["nan", NaN],
  ["+nan", NaN],
  ["-nan", NaN],
  ["inf", Infinity],
  ["+inf", Infinity],
  ["infinity", Infinity],
  ["+infinity", Infinity],
  ["-inf", -Infinity],
  ["-infinity", -Infinity],
]);

/** A decimal number as training loops print it (no hex, no underscores). */
const NUMBER = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** The number `text` spells (a decimal or a special value), or undefined. */
function numberFrom(text) {
  const t = text.trim();
  if (NUMBER.test(t)) return Number(t);
  return SPECIALS.get(t.toLowerCase());
}

/**
 * The bare tokens NaN, Infinity and -Infinity (Python's json.dumps writes them) outside
 * strings, quoted so that JSON.parse takes the object; the quoted forms are read back as the
 * special values by `numberFrom`.
 */
function quoteSpecialTokens(text) {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") {
        out += text[i + 1] ?? "";
        i += 1;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const token = /^(-?Infinity|NaN)\b/.exec(text.slice(i, i + 9));
    if (token) {
      out += `"${token[1]}"`;
      i += token[1].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

/** A `key=value` pair: an identifier-like key, then a number or a special value. */
const PAIR = /(?:^|[\s,;|{(\[])([A-Za-z_][A-Za-z0-9_./-]*)\s*[=:]\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:nan|inf(?:inity)?))(?=$|[\s,;|})\]])/gi;

/**
 * The metrics of one line, as `{ fields: Map<name, number>, ignored: string[] }`, or null
 * when the line holds none. A JSON object gives its numeric fields (numbers, and strings that
 * spell a number or a special value); other fields go to `ignored`. Any other line gives its
 * `key=value` (or `key: value`) pairs whose value is a number.
 */
function metricsOfLine(line) {
  const text = line.trim();
  if (text.startsWith("{") && text.endsWith("}")) {
    let object;
    try {
      object = JSON.parse(quoteSpecialTokens(text));
    } catch {
      object = undefined;
    }
    if (object !== null && typeof object === "object" && !Array.isArray(object)) {
      const fields = new Map();
      const ignored = [];
      for (const [key, raw] of Object.entries(object)) {
        const value = typeof raw === "number" ? raw : typeof raw === "string" ? numberFrom(raw) : undefined;
        if (value === undefined) ignored.push(key);
        else fields.set(key, value);
      }
      return fields.size ? { fields, ignored } : null;
    }
  }
  const fields = new Map();
  for (const m of text.matchAll(PAIR)) {
    const value = numberFrom(m[2]);
    if (value !== undefined) fields.set(m[1], value);
  }
  return fields.size ? { fields, ignored: [] } : null;
}

export { metricsOfLine, numberFrom, quoteSpecialTokens };
