"""A SQLite service's file: outside SQLITE_ROOTS, missing or empty, or writable while no role writes it.

Judged on the file itself, without opening it. "Writable" is the file's mode bits, not os.access: a
platform running as root would otherwise never be told.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from bastion.advisor.finding import Finding, evidence
from bastion.advisor.inventory import Inventory
from bastion.config import Settings
from bastion.data.service_warnings import sqlite_file_problem


def check(settings: Settings, service, inv: Inventory) -> Iterable[Finding]:
    """The findings for the file this service opens."""
    path = os.path.realpath(str((service["config"] or {}).get("database") or ""))
    svc = evidence("service", service["id"], name=service["name"], path=path)
    route, key = f"/services/{service['id']}/edit", f"service:{service['id']}"
    roots = [os.path.realpath(r) for r in settings.sqlite_roots]
    if roots and not any(Path(path).is_relative_to(r) for r in roots):
        yield Finding(
            "db-sqlite-outside-roots",
            "high",
            f"Service '{service['name']}' serves {path}, outside SQLITE_ROOTS ({', '.join(roots)}); it was "
            "saved before the roots were set, or they changed since.",
            "move the file into one of SQLITE_ROOTS and point the service's database at it, or delete "
            "the service",
            (svc,),
            route,
            key,
        )
    yield from _unusable(service, svc)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return
    if mode & 0o222 and not inv.role_writes_service(service["name"]):
        yield Finding(
            "db-sqlite-writable",
            "low",
            f"Service '{service['name']}' serves {path}, which is writable, while no Bastion role "
            "writes this service.",
            f"make the file read-only for the platform: chmod a-w {path} (SQLite then opens it "
            "read-only; a process running as root should not serve it)",
            (svc | {"mode": oct(mode)},),
            route,
            key,
        )


def _unusable(service, svc: dict) -> Iterable[Finding]:
    """The warning a save of the service answered (api/services.py), while it is still true."""
    if problem := sqlite_file_problem(str((service["config"] or {}).get("database") or "")):
        yield Finding(
            "db-sqlite-unusable",
            "medium",
            f"Service '{service['name']}': config.database: {problem}.",
            "put the database file there, or point the service's database at the right file",
            (svc,),
            f"/services/{service['id']}/edit",
            f"service:{service['id']}",
        )
