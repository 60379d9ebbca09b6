"""The three requests of the benchmark, their sanity checks, and the wrk runs that load them.

Each scenario names the same query in each server's syntax. Before any load the answers are compared:
every server must return the same records (same ids, filter honoured), so the servers do the same work.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import servers
from servers import Server

LUA_REPORT = Path(__file__).resolve().parent / "wrk_report.lua"
PAGE = 25
DEPARTMENT = 3
BY_ID = 54321
BASTION_TABLE = "/api/v2/bench/_table/employees"
# The related scenario: the page with a belongs_to and a has_many relationship (issue 14: <= 2.5x the page).
RELATED = ("departments_by_department_id", "assignments_by_employee_id")


@dataclass(frozen=True)
class Scenario:
    """One request, spelled for each server."""

    name: str
    label: str
    paths: dict[str, str]


SCENARIOS = (
    Scenario(
        "page",
        f"{PAGE}-row page",
        {
            "bastion": f"{BASTION_TABLE}?limit={PAGE}",
            "bare": f"/employees?limit={PAGE}",
            "sandman2": f"/employees/?limit={PAGE}",
        },
    ),
    Scenario(
        "filter",
        f"filtered {PAGE}-row page (department_id = {DEPARTMENT})",
        {
            # filter=department_id = 3, URL-encoded; sandman2 knows equality only, as column=value.
            "bastion": f"{BASTION_TABLE}?filter=department_id%20%3D%20{DEPARTMENT}&limit={PAGE}",
            "bare": f"/employees?department_id={DEPARTMENT}&limit={PAGE}",
            "sandman2": f"/employees/?department_id={DEPARTMENT}&limit={PAGE}",
        },
    ),
    Scenario(
        "related",
        f"{PAGE}-row page with 2 relationships",
        {
            # sandman2 has no related records; the bare handler runs the same two batched queries.
            "bastion": f"{BASTION_TABLE}?limit={PAGE}&related={','.join(RELATED)}",
            "bare": f"/employees?limit={PAGE}&related=1",
        },
    ),
    Scenario(
        "by_id",
        f"one record by id ({BY_ID})",
        {
            "bastion": f"{BASTION_TABLE}/{BY_ID}",
            "bare": f"/employees/{BY_ID}",
            "sandman2": f"/employees/{BY_ID}",
        },
    ),
)


def path(scenario: Scenario, server: Server) -> str:
    """The scenario's path for a server; every Bastion variant speaks Bastion's syntax."""
    return scenario.paths.get(server.name) or scenario.paths[server.name.split("_")[0]]


def _records(body: Any) -> list[dict]:
    if isinstance(body, dict) and "resource" in body:
        return body["resource"]
    if isinstance(body, dict) and "resources" in body:  # sandman2's list shape
        return body["resources"]
    return [body]


def check_answers(scenario: Scenario, running: list[Server]) -> None:
    """Fetch the scenario once from every server; fail unless all return the same, correct records."""
    seen = {}
    for server in serving(scenario, running):
        status, body = servers.http_json("GET", server.url + path(scenario, server), None, server.headers)
        if status != 200:
            raise RuntimeError(f"{server.name} answered {status} to {scenario.name}: {body}")
        records = _records(body)
        if scenario.name == "filter" and any(r.get("department_id") != DEPARTMENT for r in records):
            raise RuntimeError(f"{server.name} ignored the filter of {scenario.name}")
        if scenario.name == "related" and not all(r.get(RELATED[1]) is not None for r in records):
            raise RuntimeError(f"{server.name} left out the related records of {scenario.name}")
        seen[server.name] = [r.get("id") for r in records]
        if scenario.name == "related":
            # Keys only: the servers spell decimals differently (Bastion: exact strings).
            seen[server.name] = [_related_keys(r) for r in records]
    expected = {"page": PAGE, "filter": PAGE, "related": PAGE, "by_id": 1}[scenario.name]
    for name, ids in seen.items():
        if len(ids) != expected or ids != next(iter(seen.values())):
            raise RuntimeError(f"{scenario.name}: servers disagree: {seen} ({name} differs)")


def _related_keys(record: dict) -> tuple:
    department = record[RELATED[0]]
    assignments = [(a["employee_id"], a["project_id"]) for a in record[RELATED[1]]]
    return record["id"], department and department["id"], assignments


def serving(scenario: Scenario, running: list[Server]) -> list[Server]:
    """The running servers that have a spelling of the scenario."""
    return [server for server in running if server.name.split("_")[0] in scenario.paths]


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian's packages when missing (needs root)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: apt-get install wrk ...", flush=True)
    subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True, timeout=300)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True, timeout=300)
    return shutil.which("wrk") or "wrk"


@dataclass(frozen=True)
class Load:
    """How hard and how long wrk pushes."""

    wrk: str
    duration: int  # whole seconds: wrk takes no fractions
    warmup: int
    connections: int
    threads: int


def run_wrk(load: Load, url: str, headers: dict[str, str], duration: int) -> dict:
    """One wrk run; the summary and latency percentiles printed by wrk_report.lua."""
    command = [load.wrk, "-t", str(load.threads), "-c", str(load.connections), "-d", f"{duration}s"]
    command += ["--timeout", "5s", "-s", str(LUA_REPORT)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=duration + 30, check=False
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"wrk printed no report (exit {result.returncode}):\n{result.stdout}{result.stderr}")
