#!/usr/bin/env python3
"""A tiny CLI over Dioptra's own Python client, for cross-client tests.

Run with the Dioptra venv's python. Environment: DIOPTRA_ADDRESS, DIOPTRA_USERNAME,
DIOPTRA_PASSWORD.

    pyclient.py history JOB NAME           all points of one metric, in server order:
                                           [{"name","value","step","timestamp"[,"repr"]}, ...]
    pyclient.py latest JOB                 latest value of each metric: [{"name","value"[,"repr"]}]
    pyclient.py append JOB NAME VALUE [STEP]
                                           VALUE is parsed with float() ("nan", "inf", "-inf",
                                           "0.1", "-0.0", "5e-324" ...); prints the server's
                                           answer {"name","value"[,"repr"]}

Output is JSON on stdout. Values: NaN/+inf/-inf are printed as the strings "nan"/"inf"/"-inf";
finite values as JSON numbers written with Python's repr (shortest exact round trip), plus a
field "repr" holding repr(float(value)) so that a JS test can compare exactly.
On failure: a message on stderr and exit status 1.
"""

from __future__ import annotations

import json
import math
import os
import sys

from dioptra.client import connect_json_dioptra_client

PAGE_LENGTH = 1000


def fmt_value(v) -> dict:
    """Normalise one metric value (float/int, or the server's "nan"/"inf"/"-inf" strings)."""
    f = float(v)  # float("nan"), float("inf"), float("-inf") accept the server's strings
    if math.isnan(f):
        return {"value": "nan"}
    if math.isinf(f):
        return {"value": "inf" if f > 0 else "-inf"}
    return {"value": f, "repr": repr(f)}


def fmt_metric(m: dict, keys: tuple[str, ...]) -> dict:
    out = {k: m[k] for k in keys if k in m}
    out.update(fmt_value(m["value"]))
    return out


def connect():
    missing = [k for k in ("DIOPTRA_ADDRESS", "DIOPTRA_USERNAME", "DIOPTRA_PASSWORD") if not os.environ.get(k)]
    if missing:
        raise SystemExit(f"pyclient.py: missing environment variable(s): {', '.join(missing)}")
    client = connect_json_dioptra_client(os.environ["DIOPTRA_ADDRESS"])
    client.auth.login(username=os.environ["DIOPTRA_USERNAME"], password=os.environ["DIOPTRA_PASSWORD"])
    return client


def cmd_history(client, job: str, name: str):
    # In dioptra 1.2.2 the snapshots endpoint treats `index` as a PAGE NUMBER
    # (history[index*pageLength:(index+1)*pageLength]), so page 0, 1, 2, ... until a short page.
    points: list[dict] = []
    index = 0
    total = None
    while True:
        page = client.jobs.get_metrics_snapshots_by_id(job, name, index=index, page_length=PAGE_LENGTH)
        data = page.get("data", [])
        if total is None:
            total = page.get("totalNumResults")
        points.extend(data)
        if len(data) < PAGE_LENGTH:
            break
        index += 1
    if isinstance(total, int) and total != len(points):
        raise RuntimeError(
            f"history of {name!r} on job {job}: got {len(points)} points but the server reports "
            f"totalNumResults={total} (has the server's paging changed?)"
        )
    return [fmt_metric(p, ("name", "value", "step", "timestamp")) for p in points]


def cmd_latest(client, job: str):
    return [fmt_metric(m, ("name", "value")) for m in client.jobs.get_metrics_by_id(job)]


def cmd_append(client, job: str, name: str, value: str, step: str | None = None):
    v = float(value)
    s = int(step) if step is not None else None
    res = client.jobs.append_metric_by_id(job, name, v, s)
    return fmt_metric(res, ("name", "value", "step", "timestamp"))


USAGE = "usage: pyclient.py history JOB NAME | latest JOB | append JOB NAME VALUE [STEP]"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__ if argv else USAGE, file=sys.stderr)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    arity = {"history": (2, 2), "latest": (1, 1), "append": (3, 4)}
    if cmd not in arity or not (arity[cmd][0] <= len(rest) <= arity[cmd][1]):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        client = connect()
        result = {"history": cmd_history, "latest": cmd_latest, "append": cmd_append}[cmd](client, *rest)
        client.close()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - report anything to the calling test
        print(f"pyclient.py {cmd}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(result, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
