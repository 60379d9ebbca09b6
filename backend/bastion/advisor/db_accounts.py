"""The database accounts behind the SQL services, by asking each database itself, each within a timeout.

The caller hands in how to open a service's engine (the platform's EnginePool through registry.py, so
secrets are decrypted only to build the engine, and the target guard judges every connection). Each
service is checked on a thread of its own and waited for at most ACCOUNT_TIMEOUT seconds: a server that
does not answer, refuses the account or the guard refuses it is one info finding, never an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import sqlalchemy as sa

from bastion.advisor import db_mysql, db_postgres, db_sqlite
from bastion.advisor.finding import Finding, evidence
from bastion.advisor.inventory import Inventory
from bastion.config import Settings

log = logging.getLogger("bastion")
ACCOUNT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Accounts:
    """How to reach the services: open(service row) -> Engine, and the per-service timeout in seconds."""

    open: Callable[[dict], sa.Engine]
    timeout: float = ACCOUNT_TIMEOUT


def _unreachable(service, why: str) -> Finding:
    return Finding(
        "db-account-unchecked",
        "info",
        f"The database account of service '{service['name']}' could not be checked: {why}.",
        "check that the service's server is up and its connection settings are right (Test connection)",
        (evidence("service", service["id"], name=service["name"]),),
        f"/services/{service['id']}/edit",
        f"service:{service['id']}",
    )


def _ask(engine: sa.Engine, service, inv: Inventory) -> list[Finding]:
    checker = db_postgres if engine.dialect.name == "postgresql" else db_mysql
    with engine.connect() as conn, conn.begin():
        return list(checker.check(conn, service, inv))


def check_services(settings: Settings, inv: Inventory, accounts: Accounts) -> list[Finding]:
    """Every finding about the services' accounts and files."""
    services = [s for s in inv.services if s["is_active"] and s["type"] == "sql"]
    findings: list[Finding] = []
    pending = []
    pool = ThreadPoolExecutor(max_workers=max(1, min(8, len(services))), thread_name_prefix="advisor")
    try:
        for service in services:
            if (service["config"] or {}).get("engine") == "sqlite":
                findings += db_sqlite.check(settings, service, inv)
                continue
            try:
                engine = accounts.open(dict(service))
            except Exception as exc:  # the guard's refusal, an undecryptable secret, a bad config
                findings.append(_unreachable(service, getattr(exc, "message", None) or type(exc).__name__))
                continue
            pending.append((service, pool.submit(_ask, engine, service, inv)))
        deadline = time.monotonic() + accounts.timeout
        for service, future in pending:
            findings += _result(service, future, max(0.0, deadline - time.monotonic()), accounts.timeout)
    finally:
        # A server that hangs past the timeout must not hold the answer: leave its thread behind.
        pool.shutdown(wait=False, cancel_futures=True)
    return findings


def _result(service, future, left: float, timeout: float) -> list[Finding]:
    try:
        return future.result(timeout=left)
    except FutureTimeout:
        return [_unreachable(service, f"no answer within {timeout:g} seconds")]
    except Exception as exc:
        # The driver's text may carry a host or a user name: log it, answer with its kind only.
        log.warning("advisor: account check of service %s failed: %s", service["name"], type(exc).__name__)
        return [_unreachable(service, getattr(exc, "message", None) or type(exc).__name__)]
