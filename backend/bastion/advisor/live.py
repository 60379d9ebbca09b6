"""Running every check inside a platform app: its settings, its system database, its service engines.

Used by the admin API and by `bastion check`, so both report the same findings from the same registry
(checks.run_checks). Needs an app context: service engines come from the app's EnginePool, which
decrypts a service's secrets only when it builds the engine.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask

from bastion import checks, registry
from bastion.advisor.db_accounts import Accounts
from bastion.advisor.finding import Finding
from bastion.advisor.inventory import Inventory
from bastion.models import Service


def _open(row: dict) -> sa.Engine:
    return registry.open_service(Service(**row)).engine


def findings(app: Flask, now: datetime | None = None, timeout: float | None = None) -> list[Finding]:
    """Every finding, muted ones marked, for the app's configuration (call within its app context)."""
    accounts = Accounts(_open) if timeout is None else Accounts(_open, timeout)
    return checks.run_checks(
        app.config["SETTINGS"],
        app.extensions["bastion.db"],
        workers=checks.gunicorn_workers(),
        now=now,
        accounts=accounts,
    )


def inventory_counts(app: Flask) -> dict[str, int]:
    """Counts of services, roles, apps, users, admins and CORS rules."""
    with app.extensions["bastion.db"].connect() as conn:
        return Inventory.load(conn).counts()
