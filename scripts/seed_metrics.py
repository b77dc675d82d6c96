#!/usr/bin/env python3
"""Seed big metric histories fast: rows written straight into the running Dioptra's SQLite
database, exactly as its POST /jobs/{id}/metrics stores them (value, special_value, step, UTC
timestamp), in one transaction. Reads then go through the real REST API. For tests and
benchmarks only: ~100,000 points a second here, against ~100 a second over HTTP.

    python scripts/seed_metrics.py --db PATH --job 17 --names loss,acc --steps 0:50000

The value at a step is seededValue(step) of pkg-tests/support/seeded.mjs:
NaN when step % 1000 == 500, +inf when == 501, -inf when == 502, else ((step * 37) % 1009) / 7 - 50.
Timestamps are 2026-01-01T00:00:00Z plus one millisecond per step. Existing rows of the same
(job, name, step) are overwritten. Prints {"rows": N}.
"""

import argparse
import datetime
import json
import sqlite3
import sys

EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def value(step: int) -> tuple[float, str | None]:
    r = step % 1000
    if r == 500:
        return 0.0, "nan"
    if r == 501:
        return 0.0, "inf"
    if r == 502:
        return 0.0, "-inf"
    return ((step * 37) % 1009) / 7 - 50, None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--job", type=int, required=True)
    ap.add_argument("--names", required=True, help="comma-separated metric names")
    ap.add_argument("--steps", required=True, help="START:END (END excluded)")
    args = ap.parse_args()
    start, end = (int(v) for v in args.steps.split(":"))
    rows = []
    for name in args.names.split(","):
        for step in range(start, end):
            v, special = value(step)
            ts = (EPOCH + datetime.timedelta(milliseconds=step)).strftime("%Y-%m-%d %H:%M:%S.%f")
            rows.append((args.job, name, v, special, step, ts))
    con = sqlite3.connect(args.db, timeout=60)
    with con:
        con.executemany(
            "INSERT OR REPLACE INTO job_metrics (job_resource_id, name, value, special_value, step, timestamp)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    con.close()
    sys.stdout.write(json.dumps({"rows": len(rows)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
