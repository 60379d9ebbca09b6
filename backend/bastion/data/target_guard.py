"""No data service opens the platform's own database, configuration or code: judged twice.

1. When a service is saved or tested, problems() judges its config without connecting: the SQLite path
   (target_files), the driver options and the server (target_servers). The caller answers 400. The same
   judgement refuses (403) to build an engine for a config saved before these checks existed.
2. Every time a data engine opens a DBAPI connection (first use, pool growth, reconnects, the raw
   connections of read plans), the pool listener from connect_events() judges the connection itself,
   before SQLAlchemy or Bastion runs a statement on it: the file SQLite really opened, or the server's
   own answer about who it is. A refusal closes the connection and raises TargetRefused (403).

The second check is the one that holds when a path changes meaning after it was saved: a /proc
descriptor number, a symlink or hard link made later, a DNS name that moved.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, has_app_context

from bastion.config import current_settings
from bastion.data import target_files, target_servers
from bastion.data.target_files import SystemTargets
from bastion.errors import ApiError, Forbidden


class TargetRefused(Forbidden):
    """A data service's connection reaches something no service may open."""


class TargetUnusable(ApiError):
    """A data service's SQLite file is not a database: the service is misconfigured, not the caller."""

    code = 503


def current_targets() -> SystemTargets | None:
    """The running app's protected targets (built on first use), or None outside an app."""
    if not has_app_context():
        return None
    extensions = current_app.extensions
    if "bastion.targets" not in extensions:
        extensions["bastion.targets"] = SystemTargets.from_settings(current_settings())
    return extensions["bastion.targets"]


def problems(config: Mapping[str, Any], targets: SystemTargets | None) -> dict[str, str]:
    """Per-field reasons (database, host, options) why a validated config may not be used."""
    errors = _refusals(config, targets)
    path = str(config.get("database") or "")
    if (
        config.get("engine") == "sqlite"
        and "database" not in errors
        and (problem := target_files.content_problem(path))
    ):
        errors["database"] = problem
    return errors


def _refusals(config: Mapping[str, Any], targets: SystemTargets | None) -> dict[str, str]:
    """What the config alone says no service may reach: protected files, the system server, options."""
    engine = config.get("engine")
    errors: dict[str, str] = {}
    if problem := target_servers.options_problem(str(engine), config.get("options")):
        errors["options"] = problem
    if engine == "sqlite":
        if problem := target_files.path_problem(str(config.get("database") or ""), targets):
            errors["database"] = problem
        return errors
    if problem := target_servers.host_problem(str(config.get("host") or "")):
        errors["host"] = problem
    if problem := target_servers.database_problem(str(config.get("database") or "")):
        errors["database"] = problem
    if not errors and targets is not None and target_servers.is_system_server(config, targets.database_url):
        errors["database"] = target_servers.SYSTEM_SERVER
    return errors


def _refuse(config: Mapping[str, Any], targets: SystemTargets | None) -> None:
    if refused := _refusals(config, targets):
        field, problem = next(iter(refused.items()))
        raise TargetRefused(f"cannot be used: {field} {problem}")


def connect_events(config: Mapping[str, Any]) -> list[tuple[Callable[..., None], str]]:
    """create_engine's pool_events: a listener that judges each new DBAPI connection of this config.

    Raises TargetRefused at once when the config alone is refused, so that it never reaches the driver.
    """
    targets = current_targets()
    system = target_servers.SystemIdentity(targets.database_url) if targets is not None else None
    subject = f"Service '{config['service']}'" if config.get("service") else "This service"
    try:
        _refuse(config, targets)
    except TargetRefused as exc:
        raise TargetRefused(f"{subject} {exc.message}") from None

    def judge(dbapi_connection: Any, _record: Any) -> None:
        try:
            judge_connection(dbapi_connection, config, targets, system)
        except (TargetRefused, TargetUnusable) as exc:
            dbapi_connection.close()
            raise type(exc)(f"{subject} {exc.message}") from None
        except BaseException:
            dbapi_connection.close()
            raise

    # Pool listeners given at construction run before the dialect's own first-connect statements.
    return [(judge, "connect")]


def judge_connection(
    dbapi_connection: Any,
    config: Mapping[str, Any],
    targets: SystemTargets | None,
    system: target_servers.SystemIdentity | None,
) -> None:
    """Raise TargetRefused (or TargetUnusable) when a freshly opened connection may not be used."""
    engine = str(config.get("engine"))
    _refuse(config, targets)  # again: a file or a name may mean something else by now
    if engine == "sqlite":
        _judge_sqlite(dbapi_connection, str(config["database"]), targets)
    elif system is not None and system.engine == engine:
        reported = target_servers.server_identity(dbapi_connection, engine)
        if system.matches(engine, reported):
            raise TargetRefused("points at the platform's own database (its server says so)")


def _judge_sqlite(dbapi_connection: Any, path: str, targets: SystemTargets | None) -> None:
    opened = _opened_file(dbapi_connection)
    if not opened:
        raise TargetRefused("cannot be used: database does not open a file")
    try:
        held, named = os.stat(opened), os.stat(path)
    except OSError as exc:
        raise TargetRefused(f"cannot be used: database cannot be checked ({exc.strerror})") from None
    if target_files.identity(held) != target_files.identity(named):
        raise TargetRefused("cannot be used: database changed while it was being opened")
    if problem := target_files.file_problem(held, targets):
        raise TargetRefused(f"cannot be used: database {problem}")
    try:
        # The first read of the header: a text file fails here, before any request's statement.
        dbapi_connection.execute("PRAGMA schema_version").fetchone()
    except sqlite3.OperationalError:
        raise  # locked or busy: the outage translation answers 503 with Retry-After, the file is fine
    except sqlite3.DatabaseError:
        raise TargetUnusable("cannot be used: its database file is not a SQLite database") from None


def _opened_file(dbapi_connection: Any) -> str:
    """The file SQLite's main database really is, as the connection itself reports it."""
    rows = dbapi_connection.execute("PRAGMA database_list").fetchall()
    return next((str(row[2] or "") for row in rows if row[1] == "main"), "")
