#!/usr/bin/env python3
"""Reads a metric's whole history with Dioptra's own Python client, the way 1.2.2 must be paged.

Run with the Dioptra venv's python. Environment: DIOPTRA_ADDRESS, DIOPTRA_USERNAME,
DIOPTRA_PASSWORD.

    python_history.py JOB NAME PAGE_LENGTH

Dioptra 1.2.2's snapshots endpoint reads `index` as a PAGE NUMBER, so this asks for pages
0, 1, 2, ... until a short or empty page. Only that loop is timed (not the interpreter start,
the import or the login). Prints one JSON line: {"seconds": ..., "points": ..., "requests": ...}.
"""

from __future__ import annotations

import json
import os
import sys
import time

from dioptra.client import connect_json_dioptra_client


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python_history.py JOB NAME PAGE_LENGTH", file=sys.stderr)
        return 2
    job, name, page_length = argv[0], argv[1], int(argv[2])
    client = connect_json_dioptra_client(os.environ["DIOPTRA_ADDRESS"])
    client.auth.login(username=os.environ["DIOPTRA_USERNAME"], password=os.environ["DIOPTRA_PASSWORD"])

    points = 0
    requests = 0
    index = 0
    t0 = time.perf_counter()
    while True:
        page = client.jobs.get_metrics_snapshots_by_id(job, name, index=index, page_length=page_length)
        requests += 1
        n = len(page.get("data", []))
        points += n
        if n < page_length:
            break
        index += 1
    seconds = time.perf_counter() - t0

    client.close()
    sys.stdout.write(json.dumps({"seconds": seconds, "points": points, "requests": requests}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
