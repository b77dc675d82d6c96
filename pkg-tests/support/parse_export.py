#!/usr/bin/env python3
"""Parses an export with Python's own csv and json modules, for pkg-tests/export.test.mjs.

    parse_export.py csv|jsonl FILE

Prints one JSON line: [{"jobId","name","step","value","timestamp"}], where value is
repr(float(text)) (so "nan", "inf", "-inf" come back as Python spells them) and timestamp is
datetime.fromisoformat(...).timestamp() * 1e6 rounded (microseconds since the epoch).
"""

import csv
import datetime
import json
import sys


def micros(text):
    return round(datetime.datetime.fromisoformat(text).timestamp() * 1_000_000)


def main(kind, path):
    rows = []
    with open(path, newline="") as f:
        if kind == "csv":
            reader = csv.DictReader(f)
            assert reader.fieldnames == ["jobId", "name", "step", "value", "timestamp"], reader.fieldnames
            for r in reader:
                rows.append({"jobId": int(r["jobId"]), "name": r["name"], "step": int(r["step"]), "value": repr(float(r["value"])), "timestamp": micros(r["timestamp"])})
        else:
            for line in f:
                r = json.loads(line)
                rows.append({"jobId": r["jobId"], "name": r["name"], "step": r["step"], "value": repr(float(r["value"])), "timestamp": micros(r["timestamp"])})
    json.dump(rows, sys.stdout)


main(*sys.argv[1:])
