#!/usr/bin/env python3
"""Where the .wasm's code goes: function body sizes by crate/module, from a build with names.

Usage (after `node scripts/build.mjs`, which leaves wasm-bindgen's output in target/bindgen):
  node_modules/.bin/wasm-opt -Oz --one-caller-inline-max-function-size=0 --converge -g \
      --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-multivalue --enable-mutable-globals \
      target/bindgen/web/dioptra_metrics_bg.wasm -o /tmp/named.wasm
  python3 scripts/wasm-profile.py /tmp/named.wasm [TOP_FUNCTIONS]

Prints the code and data section sizes, the largest functions, and the code per group
(`dioptra_metrics::core::queue`, `alloc::collections`, `chrono`, ...). Sizes are raw bytes.
"""
import collections
import re
import sys


def leb(b, i):
    result, shift = 0, 0
    while True:
        x = b[i]
        i += 1
        result |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return result, i


def sections(data):
    i = 8
    while i < len(data):
        sid = data[i]
        size, i = leb(data, i + 1)
        yield sid, i, size
        i += size


def function_imports(data, off):
    count, j = leb(data, off)
    n = 0
    for _ in range(count):
        for _ in range(2):  # module and field names
            length, j = leb(data, j)
            j += length
        kind = data[j]
        j += 1
        if kind == 0:  # function: a type index
            n += 1
            _, j = leb(data, j)
        elif kind == 1:  # table: element type, limits
            j += 1
            flags, j = leb(data, j)
            _, j = leb(data, j)
            if flags & 1:
                _, j = leb(data, j)
        elif kind == 2:  # memory: limits
            flags, j = leb(data, j)
            _, j = leb(data, j)
            if flags & 1:
                _, j = leb(data, j)
        elif kind == 3:  # global: type, mutability
            j += 2
    return n


def function_names(data, off, size):
    names = {}
    length, j = leb(data, off)
    if data[j : j + length] != b"name":
        return names
    j += length
    end = off + size
    while j < end:
        sub = data[j]
        sub_size, j = leb(data, j + 1)
        if sub == 1:
            count, k = leb(data, j)
            for _ in range(count):
                index, k = leb(data, k)
                length, k = leb(data, k)
                names[index] = data[k : k + length].decode("utf8", "replace")
                k += length
        j += sub_size
    return names


def group(name):
    name = re.sub(r"\[[0-9a-f]+\]", "", name)
    m = re.match(r"^<*([a-z_0-9]+)(?:::([a-z_0-9]+))?(?:::([a-z_0-9]+))?", name)
    if not m:
        return name[:30]
    parts = [p for p in m.groups() if p]
    if parts[0] == "dioptra_metrics":
        return "::".join(parts[:3])
    if parts[0] in ("core", "alloc", "std"):
        return "::".join(parts[:2])
    return parts[0]


def main():
    data = open(sys.argv[1], "rb").read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    names, bodies, imported = {}, [], 0
    for sid, off, size in sections(data):
        if sid == 0:
            names.update(function_names(data, off, size))
        elif sid == 2:
            imported = function_imports(data, off)
        elif sid == 10:
            count, j = leb(data, off)
            for n in range(count):
                body_size, k = leb(data, j)
                bodies.append((body_size, imported + n))
                j = k + body_size
        elif sid == 11:
            print(f"data section: {size} B")
    print(f"code: {sum(s for s, _ in bodies)} B in {len(bodies)} functions")
    rows = sorted(((s, names.get(i, f"#{i}")) for s, i in bodies), reverse=True)
    print(f"--- the {top} largest functions")
    for s, n in rows[:top]:
        print(f"{s:7} {n[:140]}")
    per_group = collections.Counter()
    for s, n in rows:
        per_group[group(n)] += s
    print("--- code per group")
    for g, s in per_group.most_common(50):
        print(f"{s:7} {g}")


if __name__ == "__main__":
    main()
