#!/usr/bin/env python3
"""Logs metric points one after another with Dioptra's own Python client.

Run with the Dioptra venv's python. Environment: DIOPTRA_ADDRESS, DIOPTRA_USERNAME,
DIOPTRA_PASSWORD.

    python_append.py JOB STEPS NAME [NAME ...]

For step in 0..STEPS-1, for each NAME: append_metric_by_id(JOB, NAME, value, step), the same
values as bench.mjs (value(name_index, step)). Only that loop is timed (not the interpreter
start, the import or the login). Prints one JSON line: {"seconds": ..., "points": ...}.
"""

from __future__ import annotations

import json
import os
import sys
import time

from dioptra.client import connect_json_dioptra_client


def value(k: int, step: int) -> float:
    # keep in step with value() in bench.mjs
    return (k + 1) / (step + 1)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: python_append.py JOB STEPS NAME [NAME ...]", file=sys.stderr)
        return 2
    job, steps, names = argv[0], int(argv[1]), argv[2:]
    client = connect_json_dioptra_client(os.environ["DIOPTRA_ADDRESS"])
    client.auth.login(username=os.environ["DIOPTRA_USERNAME"], password=os.environ["DIOPTRA_PASSWORD"])

    points = 0
    t0 = time.perf_counter()
    for step in range(steps):
        for k, name in enumerate(names):
            client.jobs.append_metric_by_id(job, name, value(k, step), step)
            points += 1
    seconds = time.perf_counter() - t0

    client.close()
    sys.stdout.write(json.dumps({"seconds": seconds, "points": points}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
