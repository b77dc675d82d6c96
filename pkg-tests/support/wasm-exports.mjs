// The function exports of a WebAssembly module with their signatures, read from its binary
// (the type, import, function and export sections; Node 20 has no type reflection).

const VALUE_TYPES = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };

/**
 * `[{ name, params, results }]`, types named as in the text format ("i32", "externref", ...;
 * `(ref ...)` types as "ref").
 * @param {Uint8Array} bytes
 */
export function functionExports(bytes) {
  let at = 8;
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  const name = () => {
    const length = leb();
    at += length;
    return new TextDecoder().decode(bytes.subarray(at - length, at));
  };
  const valueType = () => {
    const code = bytes[at++];
    if (code === 0x63 || code === 0x64) {
      leb(); // the heap type of a (ref null? ...)
      return "ref";
    }
    return VALUE_TYPES[code] ?? `0x${code.toString(16)}`;
  };
  const list = (read) => Array.from({ length: leb() }, read);
  const limits = () => (leb() & 1 ? (leb(), leb()) : leb());

  const types = [];
  const functionTypes = []; // imported functions first, as the index space has them
  const exports = [];
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error("not a wasm module");
  while (at < bytes.length) {
    const section = bytes[at++];
    const end = leb() + at;
    if (section === 1) {
      for (const _ of list(() => null)) {
        if (bytes[at++] !== 0x60) throw new Error("only function types are read");
        types.push({ params: list(valueType), results: list(valueType) });
      }
    } else if (section === 2) {
      for (const _ of list(() => null)) {
        name();
        name();
        const kind = bytes[at++];
        if (kind === 0) functionTypes.push(leb());
        else if (kind === 1) (valueType(), limits());
        else if (kind === 2) limits();
        else if (kind === 3) (valueType(), at++);
        else throw new Error(`import kind ${kind} is not read`);
      }
    } else if (section === 3) {
      functionTypes.push(...list(leb));
    } else if (section === 7) {
      for (const _ of list(() => null)) {
        const exported = name();
        const kind = bytes[at++];
        const index = leb();
        if (kind === 0) exports.push({ name: exported, ...types[functionTypes[index]] });
      }
    }
    at = end;
  }
  return exports;
}
