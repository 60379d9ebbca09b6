"""The benchmark's suites: the data each runs on, its requests per server, and what it sets up first.

- base: the 100,000-row SQLite table; a page, a filtered page, a page with related records, one record by
  id (issue 3's runs), with bastion_key too (issue 17's full security path, report.KEY_TARGETS).
- million: 1,000,000 rows (built once, cached as bench/results/employees-1000000.db and ANALYZEd): the
  first page; a page at offset 500,000 next to a cursor page at the same place; a filter on the unindexed
  last_name that matches nothing (a full scan); include_count exact and estimated.
- admin1 / admin1000: Bastion's admin lists (roles, apps, services, /api/v2) and a data page, first with
  one role, app and service, then with 1,000 roles and apps and 100 services. Bastion only: the peers have
  no admin API.
- postgres: the 100,000 employees copied into a PostgreSQL database; Bastion next to bare Flask + psycopg
  (sandman2's venv has no PostgreSQL driver).

A scenario names its request for each server that can make it; the others skip it. Before any load every
server's answer is fetched and compared (same ids, the expected number of rows).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import load
import servers
from load import BASTION_TABLE, SCENARIOS, Scenario
from servers import Server

DEEP = 500_000
PAGE = 25
NOBODY = "Nobody"  # a last_name no seeded employee has: the filter reads every row and finds none


@dataclass(frozen=True)
class Suite:
    """One group of scenarios on one data set and one set of servers."""

    name: str
    employees: int
    servers: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    rows: dict[str, int]  # the number of records each scenario answers
    engine: str = "sqlite"
    # Run on Bastion after it started: data the suite needs (more roles) or values it learns (a cursor).
    prepare: Callable[[Server], dict[str, str]] | None = None
    cached: bool = False  # keep the seeded file between runs (it takes a while to build)
    analyze: bool = False
    pairs: tuple[tuple[str, str, float], ...] = field(default=())  # (scenario, baseline, target ratio)


def _table(query: str) -> str:
    return f"{BASTION_TABLE}?{query}"


def _both(name: str, label: str, bastion: str, bare: str, sandman2: str | None = None) -> Scenario:
    paths = {"bastion": bastion, "bare": bare}
    if sandman2 is not None:
        paths["sandman2"] = sandman2
    return Scenario(name, label, paths)


MILLION = (
    _both("m_page", "first 25-row page of 1M", _table(f"limit={PAGE}"), f"/employees?limit={PAGE}",
          f"/employees/?limit={PAGE}"),
    _both("m_offset", f"page at offset {DEEP:,}", _table(f"limit={PAGE}&offset={DEEP}"),
          f"/employees?limit={PAGE}&offset={DEEP}"),
    # Bastion's cursor path is filled in by prepare (the token of the page ending at row DEEP).
    _both("m_cursor", f"cursor page after row {DEEP:,}", "{cursor}", f"/employees?limit={PAGE}&after={DEEP}"),
    _both("m_unindexed", "filter on unindexed last_name (no match)",
          _table("filter=" + quote(f"last_name = '{NOBODY}'") + f"&limit={PAGE}"),
          f"/employees?last_name={NOBODY}&limit={PAGE}", f"/employees/?last_name={NOBODY}&limit={PAGE}"),
    _both("m_count", "page with include_count (exact)", _table(f"limit={PAGE}&include_count=true"),
          f"/employees?limit={PAGE}&include_count=1"),
    Scenario("m_estimate", "page with include_count=estimate",
             {"bastion": _table(f"limit={PAGE}&include_count=estimate")}),
)  # fmt: skip
ADMIN_PATHS = {
    "role": "/api/v2/system/role?limit=25",
    "app": "/api/v2/system/app?limit=25",
    "service": "/api/v2/system/service?limit=25",
    "services": "/api/v2",
    "data": _table(f"limit={PAGE}"),
}


def _admin(size: str) -> tuple[Scenario, ...]:
    return tuple(
        Scenario(f"{name}@{size}", f"{path} ({size})", {"bastion": path})
        for name, path in ADMIN_PATHS.items()
    )


def _postgres() -> tuple[Scenario, ...]:
    """The base requests against the PostgreSQL copy (sandman2 is not set up for PostgreSQL)."""
    return tuple(
        Scenario(
            f"pg_{s.name}", f"PostgreSQL: {s.label}", {k: v for k, v in s.paths.items() if k != "sandman2"}
        )
        for s in SCENARIOS
        if s.name != "related"  # the copy holds employees only
    )


def cursor_at(server: Server, depth: int = DEEP, step: int = 1000) -> dict[str, str]:
    """Walk the cursor to `depth` rows in pages of `step` (the public API only); the page after it."""
    token, seen, last = "", 0, None
    while seen < depth:
        path = _table(f"limit={min(step, depth - seen)}&cursor={quote(token)}")
        status, body = servers.http_json("GET", server.url + path, None, server.headers)
        if status != 200 or not body["resource"]:
            raise RuntimeError(f"cursor walk answered {status} after {seen} rows: {str(body)[:300]}")
        seen += len(body["resource"])
        last, token = body["resource"][-1]["id"], body["meta"]["next"]
    if last != depth:
        raise RuntimeError(f"the cursor walk of {depth} rows ended at id {last}")
    return {"cursor": _table(f"limit={PAGE}&cursor={quote(token)}")}


def grow_admin(server: Server, roles: int = 999, apps: int = 999, services: int = 99) -> dict[str, str]:
    """Add roles, apps and services through the admin API's batch forms (one request per resource)."""
    batches = {
        "role": [{"name": f"bench-role-{i:04d}", "access": []} for i in range(roles)],
        "app": [{"name": f"bench-app-{i:04d}"} for i in range(apps)],
        "service": [
            {"name": f"bench{i:03d}", "config": {"engine": "sqlite", "database": _bench_db(server)}}
            for i in range(services)
        ],
    }
    for resource, items in batches.items():
        if not items:
            continue
        url = f"{server.url}/api/v2/system/{resource}"
        status, body = servers.http_json("POST", url, {"resource": items}, server.headers)
        if status != 201:
            raise RuntimeError(f"creating {len(items)} {resource}s answered {status}: {str(body)[:300]}")
    return {}


def _bench_db(server: Server) -> str:
    status, body = servers.http_json(
        "GET", server.url + "/api/v2/system/service?filter=name%20%3D%20bench", None, server.headers
    )
    if status != 200 or not body["resource"]:
        raise RuntimeError(f"the bench service is missing ({status})")
    return body["resource"][0]["config"]["database"]


def _grow_to_one(server: Server) -> dict[str, str]:
    return grow_admin(server, roles=1, apps=1, services=0)


_ADMIN_ONE = {f"{name}@1": 1 for name in ADMIN_PATHS} | {"data@1": PAGE}
_ADMIN_MANY = {"role@1000": 25, "app@1000": 25, "service@1000": 25, "services@1000": 100, "data@1000": PAGE}
_MILLION_ROWS = dict.fromkeys(("m_page", "m_offset", "m_cursor", "m_count", "m_estimate"), PAGE)
SUITES = {
    "base": Suite(
        "base",
        100_000,
        ("bastion", "bastion_key", "bare", "sandman2"),
        SCENARIOS,
        {"page": PAGE, "filter": PAGE, "related": PAGE, "by_id": 1},
    ),
    "million": Suite(
        "million",
        1_000_000,
        ("bastion", "bare", "sandman2"),
        MILLION,
        _MILLION_ROWS | {"m_unindexed": 0},
        prepare=cursor_at,
        cached=True,
        analyze=True,
        pairs=tuple((name, "m_page", 1.3) for name in ("m_offset", "m_cursor", "m_count", "m_estimate")),
    ),
    "admin1": Suite("admin1", 100_000, ("bastion",), _admin("1"), _ADMIN_ONE, prepare=_grow_to_one),
    "admin1000": Suite(
        "admin1000",
        100_000,
        ("bastion",),
        _admin("1000"),
        _ADMIN_MANY,
        prepare=grow_admin,
        pairs=tuple((f"{name}@1000", f"{name}@1", 1.5) for name in ADMIN_PATHS),
    ),
    "postgres": Suite(
        "postgres",
        100_000,
        ("bastion", "bare"),
        _postgres(),
        {"pg_page": PAGE, "pg_filter": PAGE, "pg_by_id": 1},
        engine="postgresql",
    ),
}
ORDER = ("base", "million", "admin1", "admin1000", "postgres")


def chosen(text: str) -> list[Suite]:
    """The suites a --suite value names: one name, a comma list, or all."""
    names = list(ORDER) if text == "all" else [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SUITES]
    if unknown or not names:
        raise ValueError(f"--suite: unknown {unknown}; choose from all, {', '.join(ORDER)}")
    return [SUITES[n] for n in names]


def analyze(db_path: Path) -> None:
    """Give SQLite its row statistics (sqlite_stat1), which include_count=estimate reads."""
    with sqlite3.connect(db_path) as connection:
        connection.execute("ANALYZE")


def check_answers(suite: Suite, scenario: Scenario, running: list[Server]) -> None:
    """Every server that makes the request answers the same ids, as many as the suite expects."""
    if scenario in SCENARIOS:
        load.check_answers(scenario, running)  # the base requests have their own, closer checks
        return
    seen = {}
    for server in running:
        path = scenario.paths.get(server.name)
        if path is None:
            continue
        status, body = servers.http_json("GET", server.url + path, None, server.headers)
        if status != 200:
            raise RuntimeError(f"{server.name} answered {status} to {scenario.name}: {str(body)[:300]}")
        if isinstance(body, dict) and ("resource" in body or "resources" in body):
            records = body.get("resource", body.get("resources"))
        else:
            records = [body]
        seen[server.name] = [r.get("id", r.get("name")) if isinstance(r, dict) else r for r in records]
    expected = suite.rows[scenario.name]
    first = next(iter(seen.values()))
    for name, ids in seen.items():
        if len(ids) != expected or ids != first:
            raise RuntimeError(
                f"{scenario.name}: {name} answered {ids[:5]}... ({len(ids)} rows, {expected} expected)"
            )
