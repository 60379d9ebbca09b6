"""What a role change costs the next request: steady requests and requests right after a role edit.

    .venv/bin/python bench/role_change.py [--roles 1000] [--entries 20] [--edits 40]

Starts Bastion on the benchmark's SQLite data (the full security path of data_bench's bastion_key: app
key, role with a row filter and columns, Origin under a CORS rule), adds --roles other roles of --entries
entries each, then alternates: one role edit (every other one edits the client's own role, the rest an
unrelated role), one timed request; and times as many steady requests between edits. Prints the medians
and their ratio (issue 17: at most 2x). Times are client-side wall times, so a loaded machine inflates
both; the ratio is from the same run. The server is always stopped.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import load
import platforms
import servers

from bastion.demo_seed import create_demo_database

TABLES = ("departments", "employees", "projects")  # of the demo schema, each with an id column


def timed_get(server: servers.Server, path: str) -> float:
    """Milliseconds for one request of the client (status 200 required)."""
    request = urllib.request.Request(server.url + path, headers=server.headers)  # noqa: S310
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own server)
        response.read()
        if response.status != 200:
            raise RuntimeError(f"answered {response.status}")
    return (time.perf_counter() - started) * 1000


def edit(server: servers.Server, role_id: int, round_: int, entries: list[dict]) -> None:
    """A real change of a role's entries (the description alone would leave the snapshot as it was)."""
    changed = [dict(entries[0], verbs=["GET", "POST"] if round_ % 2 else ["GET"]), *entries[1:]]
    path = f"/api/v2/system/role/{role_id}"
    status, answer = servers.http_json("PATCH", server.url + path, {"access": changed}, server.admin_headers)
    if status != 200:
        raise RuntimeError(f"editing role {role_id} answered {status}: {answer}")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roles", type=int, default=1000, help="other roles (1000)")
    parser.add_argument("--entries", type=int, default=20, help="entries per other role (20)")
    parser.add_argument("--edits", type=int, default=40, help="role edits, each followed by a request (40)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="role-change-"))
    db_path = workdir / "employees.db"
    create_demo_database(str(db_path), employees=10_000, force=True)
    server = platforms.start_bastion_key(workdir, db_path, 2)
    try:
        entries = [
            {
                "service": platforms.SERVICE,
                "component": f"_table/{TABLES[i % len(TABLES)]}",
                "verbs": ["GET"],
                "filters": [{"name": "id", "operator": ">", "value": i}],
            }
            for i in range(args.entries)
        ]
        other = None
        for n in range(args.roles):
            status, role = servers.http_json(
                "POST",
                server.url + "/api/v2/system/role",
                {"name": f"other{n}", "access": entries},
                server.admin_headers,
            )
            if status != 201:
                raise RuntimeError(f"creating a role answered {status}: {role}")
            other = other or role
        _, own = servers.http_json(
            "GET", server.url + "/api/v2/system/role?filter=name%3D'bench-reader'", None, server.admin_headers
        )
        own_role = next(r for r in own["resource"] if r["name"] == "bench-reader")
        path = load.BASTION_TABLE + f"/{load.BY_ID % 10_000}"
        for _ in range(50):
            timed_get(server, path)  # warm every worker
        steady, after = [], []
        for round_ in range(args.edits):
            target = own_role if round_ % 2 else other
            edit(server, target["id"], round_, target["access"] if target is own_role else entries)
            # Each worker rebuilds on its own next request: two requests reach both (round robin-ish).
            after += [timed_get(server, path), timed_get(server, path)]
            steady += [timed_get(server, path) for _ in range(4)][2:]
        s, a = statistics.median(steady), statistics.median(after)
        print(f"{args.roles} other roles of {args.entries} entries, {args.edits} edits:")
        print(f"  steady request      median {s:6.2f} ms")
        print(f"  after a role edit   median {a:6.2f} ms   ratio {a / s:.2f}x (target <= 2x)")
    finally:
        servers.stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
