#!/usr/bin/env python3
"""Seed a fresh Dioptra REST API with a user, the resources a job needs, and jobs.

Run with the Dioptra venv's python (it uses Dioptra's own Python client):

    python scripts/seed.py --address http://127.0.0.1:PORT --username tester --password PW \
        --experiment main:3 --experiment pool:60 --experiment many:25

Prints ONE JSON line on stdout:

    {"username": "tester", "password": "PW", "group": 1, "queue": 1, "plugin": 1,
     "entrypoint": 1, "experiments": {"main": {"id": 1, "jobIds": [1, 2, 3]}, ...}}

Every job is created with POST /experiments/{id}/jobs (entrypoint, queue, values
{"name": "v"}); no worker runs them, they stay queued, which is all metrics need.
"""

from __future__ import annotations

import argparse
import json
import sys

from dioptra.client import connect_json_dioptra_client

PLUGIN_SOURCE = '''\
from dioptra import pyplugs


@pyplugs.register
def hello_world(name: str) -> str:
    return f"Hello, {name}!"
'''

TASK_GRAPH = "message:\n  hello_world:\n    name: $name\n"


def parse_experiment(text: str) -> tuple[str, int]:
    name, sep, count = text.rpartition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME:NJOBS, got {text!r}")
    try:
        n = int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f"NJOBS must be an integer in {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"NJOBS must be >= 0 in {text!r}")
    return name, n


def find_param_type_id(client, group_id: int, name: str) -> int:
    page = client.plugin_parameter_types.get(group_id=group_id, page_length=100)
    for item in page["data"]:
        if item["name"] == name:
            return item["id"]
    raise RuntimeError(f"built-in plugin parameter type {name!r} not found in group {group_id}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--address", required=True, help="server root, e.g. http://127.0.0.1:5000")
    ap.add_argument("--username", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--email", default=None, help="defaults to USERNAME@example.org")
    ap.add_argument(
        "--experiment",
        action="append",
        type=parse_experiment,
        default=[],
        metavar="NAME:NJOBS",
        help="an experiment NAME holding NJOBS jobs (repeatable)",
    )
    args = ap.parse_args(argv)

    names = [name for name, _ in args.experiment]
    if len(set(names)) != len(names):
        ap.error("experiment names must be distinct")

    client = connect_json_dioptra_client(args.address)
    client.users.create(
        username=args.username,
        email=args.email or f"{args.username}@example.org",
        password=args.password,
    )
    client.auth.login(username=args.username, password=args.password)

    groups = client.groups.get(page_length=100)["data"]
    if not groups:
        raise RuntimeError("the new user belongs to no group")
    group_id = groups[0]["id"]
    string_type_id = find_param_type_id(client, group_id, "string")

    queue = client.queues.create(group_id=group_id, name="metrics_tests", description="dioptra-metrics tests")
    plugin = client.plugins.create(group_id=group_id, name="hello_plugin", description="dioptra-metrics tests")
    client.plugins.files.create(
        plugin_id=plugin["id"],
        filename="hello.py",
        contents=PLUGIN_SOURCE,
        function_tasks=[
            {
                "name": "hello_world",
                "inputParams": [{"name": "name", "parameterType": string_type_id, "required": True}],
                "outputParams": [{"name": "message", "parameterType": string_type_id}],
            }
        ],
    )
    entrypoint = client.entrypoints.create(
        group_id=group_id,
        name="hello_entrypoint",
        task_graph=TASK_GRAPH,
        description="dioptra-metrics tests",
        parameters=[{"name": "name", "defaultValue": "World", "parameterType": "string"}],
        queues=[queue["id"]],
        plugins=[plugin["id"]],
    )

    experiments: dict[str, dict] = {}
    for name, njobs in args.experiment:
        exp = client.experiments.create(group_id=group_id, name=name, entrypoints=[entrypoint["id"]])
        job_ids = []
        for _ in range(njobs):
            job = client.experiments.jobs.create(
                exp["id"],
                entrypoint_id=entrypoint["id"],
                queue_id=queue["id"],
                values={"name": "v"},
            )
            job_ids.append(job["id"])
        experiments[name] = {"id": exp["id"], "jobIds": job_ids}

    client.close()
    out = {
        "username": args.username,
        "password": args.password,
        "group": group_id,
        "queue": queue["id"],
        "plugin": plugin["id"],
        "entrypoint": entrypoint["id"],
        "experiments": experiments,
    }
    sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
