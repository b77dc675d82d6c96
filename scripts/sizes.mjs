// The weight of each entry point of the built package: the files a runtime loads when it
// imports that entry (the entry and every sibling file it names, followed transitively, the
// .wasm included), raw and gzipped one by one as a server sends them. Used by the size report
// of scripts/build.mjs, the budget test (pkg-tests/size.test.mjs) and the bench.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";

/** A relative file name in quotes (or after `${__dirname}/`): an import, a require, a URL. */
const SIBLING = /["'`/]((?:\.\.?\/)?[\w-]+(?:\/[\w-]+)*\.(?:mjs|cjs|js|wasm))["'`]/g;

/** The wasm's bytes inlined in JavaScript (the fallback of entries that fetch the .wasm). */
const INLINED = /\/wasm\/inline\.c?js$/;

/** Raw and gzipped (level 9) bytes of one file. */
function fileSize(path) {
  const body = readFileSync(path);
  return { raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
}

/** The files (absolute paths) that loading `entry` reads: itself and the siblings it names. */
function closure(entry) {
  const seen = new Set();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    if (file.endsWith(".wasm")) continue;
    const text = readFileSync(file, "utf8");
    for (const [, name] of text.matchAll(SIBLING)) {
      const path = resolve(dirname(file), name);
      if (existsSync(path) && statSync(path).isFile()) todo.push(path);
    }
  }
  return [...seen].sort();
}

/**
 * The JavaScript entry points that package.json's "exports" names (types left out), as
 * `{ entry: "./dist/index.cjs", conditions: '"." node/default' }` (the subpath, then the conditions).
 */
function entryPoints(root) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const found = new Map();
  const walk = (value, path) => {
    if (typeof value === "string") {
      if (/\.(?:m?js|cjs)$/.test(value) && !path.includes("types")) {
        const [subpath, ...conditions] = path;
        if (!found.has(value)) found.set(value, `"${subpath}" ${conditions.join("/") || "default"}`);
      }
    } else if (value && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) walk(inner, [...path, key]);
    }
  };
  walk(pkg.exports, []);
  return [...found].map(([entry, conditions]) => ({ entry, conditions }));
}

/**
 * Each entry point's weight: `{ entry, conditions, files: [{ file, raw, gzip }], raw, gzip }`,
 * file names relative to the package root, totals summed over the files.
 */
function entrySizes(root) {
  return entryPoints(root).map(({ entry, conditions }) => {
    // The bytes inlined in JS (wasm/inline.js) are a fallback where the .wasm cannot be
    // fetched: an entry that reaches the .wasm loads them only then, so they are not counted.
    const reached = closure(resolve(root, entry));
    const direct = reached.some((path) => path.endsWith(".wasm"));
    const loaded = direct ? reached.filter((path) => !INLINED.test(path)) : reached;
    const files = loaded.map((path) => ({ file: relative(root, path), ...fileSize(path) }));
    const sum = (key) => files.reduce((total, f) => total + f[key], 0);
    return { entry, conditions, files, raw: sum("raw"), gzip: sum("gzip") };
  });
}

/** The size report as printed lines. */
function sizeReport(root) {
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`.padStart(10);
  const lines = ["Entry points (files loaded, each gzipped alone as a server sends it):"];
  for (const e of entrySizes(root)) {
    lines.push(`  ${e.entry} (${e.conditions}): ${kb(e.raw)} raw ${kb(e.gzip)} gzip`);
    for (const f of e.files) lines.push(`      ${f.file.padEnd(34)} ${kb(f.raw)} ${kb(f.gzip)}`);
  }
  return lines;
}

export { entrySizes, fileSize, sizeReport };
