#!/usr/bin/env python3
"""Exports every point of some metrics of a job to CSV with Dioptra's own Python client, the
way 1.2.2 must be paged (the counterpart of `dioptra-metrics export` in bench/cli.mjs).

Run with the Dioptra venv's python. Environment: DIOPTRA_ADDRESS, DIOPTRA_USERNAME,
DIOPTRA_PASSWORD.

    python_export.py JOB OUT.csv NAME [NAME ...]

For each NAME, pages 0, 1, 2, ... of get_metrics_snapshots_by_id with page_length 1000 (1.2.2
reads `index` as a page number) until a short page, each row written with the csv module as it
comes (jobId,name,step,value,timestamp). Prints one JSON line: {"seconds", "points"}, timing
the whole process's work after the import (login included, as the CLI's figure includes it).
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time

from dioptra.client import connect_json_dioptra_client


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: python_export.py JOB OUT.csv NAME [NAME ...]", file=sys.stderr)
        return 2
    job, out, names = argv[0], argv[1], argv[2:]
    t0 = time.perf_counter()
    client = connect_json_dioptra_client(os.environ["DIOPTRA_ADDRESS"])
    client.auth.login(username=os.environ["DIOPTRA_USERNAME"], password=os.environ["DIOPTRA_PASSWORD"])
    points = 0
    with open(out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["jobId", "name", "step", "value", "timestamp"])
        for name in names:
            index = 0
            while True:
                page = client.jobs.get_metrics_snapshots_by_id(job, name, index=index, page_length=1000)
                data = page.get("data", [])
                for p in data:
                    writer.writerow([job, p["name"], p["step"], p["value"], p["timestamp"]])
                points += len(data)
                if len(data) < 1000:
                    break
                index += 1
    seconds = time.perf_counter() - t0
    client.close()
    sys.stdout.write(json.dumps({"seconds": seconds, "points": points}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
