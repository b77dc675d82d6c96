#!/usr/bin/env python3
"""Writes a long metric history straight into the test server's SQLite database, in one
transaction: a 50,000-point history in a second, where the REST API takes minutes (about
100 POSTs a second). Only for seeding what a READ test then reads through the real server.

    bulk-points.py DB JOB NAME COUNT

Steps 0..COUNT-1 of metric NAME of job JOB (replacing what it had), each with the value of
pkg-tests/support/points.mjs valueOf(name, step) (NaN, inf and -inf among them, stored as the
server stores them: value 0.0 and special_value "nan"/"inf"/"-inf") and timestamps 1 ms apart
in step order, written as the server writes them ("YYYY-MM-DD HH:MM:SS.ffffff", UTC).
Prints {"job", "name", "count"} as JSON.
"""

from __future__ import annotations

import datetime
import json
import math
import sqlite3
import sys


def value_of(name: str, step: int) -> float:
    """The same value as points.mjs valueOf (the same IEEE operations in the same order)."""
    if step % 97 == 11:
        return math.nan
    if step % 97 == 12:
        return -math.inf if len(name) % 2 else math.inf
    return (step + len(name) / 10) / 3


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    db, job, name, count = argv[0], int(argv[1]), argv[2], int(argv[3])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    rows = []
    for step in range(count):
        v = value_of(name, step)
        special = None if math.isfinite(v) else str(v)
        ts = (start + datetime.timedelta(milliseconds=step)).strftime("%Y-%m-%d %H:%M:%S.%f")
        rows.append((job, name, 0.0 if special else v, special, step, ts))
    con = sqlite3.connect(db, timeout=30)
    with con:
        con.execute("DELETE FROM job_metrics WHERE job_resource_id = ? AND name = ?", (job, name))
        con.executemany(
            "INSERT INTO job_metrics (job_resource_id, name, value, special_value, step, timestamp) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    con.close()
    print(json.dumps({"job": job, "name": name, "count": count}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
