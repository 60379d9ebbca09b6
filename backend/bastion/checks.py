"""The one registry of checks behind `bastion check` and the admin API's advisor (issues 8 and 16).

Every check reads the parsed Settings, the gunicorn worker count, and where it must the system database
(advisor/inventory.py) or the databases behind the services (advisor/db_accounts.py), and returns
Findings (advisor/finding.py). The checks live in advisor/, the migrations check and the order here:

- high: secrets, stored credentials or the admin API are exposed, or the platform does not run with its
  production safeguards. `bastion check` exits 1 when any finding is high.
- medium: a defence is weaker than it should be (unrestricted admin networks, per-worker throttling).
- low: housekeeping (an unfinished key rotation, stale admin accounts).
- info: something the advisor could not check (a service's server did not answer).

Muted findings (advisor_mute) stay in the report, marked, and no longer count towards the exit code.
No flask imports: the CLI and the API hand in Settings, a system-database engine and, to check the
services' accounts, how to open a service's engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bastion.advisor import cors_rules, http_services, keys, people, registration
from bastion.advisor.cors_rules import glob_reaches_admin
from bastion.advisor.db_accounts import Accounts, check_services
from bastion.advisor.finding import SEVERITIES, Finding, sort_key
from bastion.advisor.inventory import Inventory
from bastion.advisor.settings_checks import (
    SETTINGS_CHECKS,
    bind_is_local,
    gunicorn_bind,
    gunicorn_workers,
    key_weakness,
    networks_cover_everything,
    with_settings,
)
from bastion.config import Settings
from bastion.models_advisor import AdvisorMute

__all__ = [
    "SETTINGS_CHECKS",
    "SEVERITIES",
    "Accounts",
    "Finding",
    "bind_is_local",
    "glob_reaches_admin",
    "gunicorn_bind",
    "gunicorn_workers",
    "key_weakness",
    "networks_cover_everything",
    "run_checks",
]

# Checks of the system database. Each takes (settings, connection, now) and returns its findings.


def _migrations(s: Settings, conn: sa.Connection, _now: datetime) -> Iterable[Finding]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from bastion.migrate import alembic_config

    current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config(s.database_url)).get_current_head()
    if current != head:
        yield Finding(
            "migrations-pending",
            "high",
            f"The system database is at revision {current or 'none'}, the code expects {head}.",
            "run `bastion db upgrade` before starting the platform",
        )


# Checks of the system database's content. Each takes (settings, inventory, now) and returns findings.
CONTENT_CHECKS = (
    *cors_rules.CHECKS,
    *keys.CHECKS,
    *people.CHECKS,
    *registration.CHECKS,
    *http_services.CHECKS,
)


def _mutes(conn: sa.Connection) -> dict[str, dict]:
    from bastion.services.advisor import mute_public

    rows = conn.execute(sa.select(AdvisorMute.__table__)).mappings()
    return {r["finding_id"]: mute_public(AdvisorMute(**r)) for r in rows}


def _database_findings(
    settings: Settings, engine: Engine, now: datetime, accounts: Accounts | None
) -> tuple[list[Finding], dict[str, dict]]:
    try:
        with engine.connect() as conn:
            findings = list(_migrations(settings, conn, now))
            if findings:
                return findings, {}  # the other checks would read tables that may not exist yet
            inventory = Inventory.load(conn)
            findings = [f for check in CONTENT_CHECKS for f in check(settings, inventory, now)]
            mutes = _mutes(conn)
    except SQLAlchemyError as exc:
        # The driver's text can carry a URL with credentials: name the failure, not the details.
        message = f"The system database could not be read ({type(exc).__name__})."
        fix = "check DATABASE_URL and that the database is up, then `bastion db upgrade`"
        return [Finding("database-unreadable", "high", message, fix)], {}
    if accounts is not None:
        findings += check_services(settings, inventory, accounts)
    return findings, mutes


def run_checks(
    settings: Settings,
    engine: Engine,
    *,
    workers: int,
    now: datetime | None = None,
    accounts: Accounts | None = None,
) -> list[Finding]:
    """Every finding for this configuration, muted ones marked, the most severe first.

    Without `accounts` the services' databases are not asked (their findings need the platform's engines).
    """
    findings = [with_settings(f) for check in SETTINGS_CHECKS for f in check(settings, workers)]
    found, mutes = _database_findings(settings, engine, now or datetime.now(UTC), accounts)
    findings = [f.with_mute(mutes.get(f.id)) for f in findings + found]
    return sorted(findings, key=sort_key)


def _counts(findings: list[Finding]) -> dict[str, int]:
    """Unmuted findings per severity; info only when there is some."""
    live = [f for f in findings if f.muted is None]
    counts = {level: sum(f.severity == level for f in live) for level in SEVERITIES}
    if not counts["info"]:
        del counts["info"]
    return counts


def _describe(evidence: dict) -> str:
    name = evidence.get("name") or evidence.get("path") or evidence.get("email") or ""
    number = f"#{evidence['id']}" if evidence.get("id") is not None else ""
    return " ".join(str(part) for part in (evidence["type"], number, name) if part)


def render_text(findings: list[Finding]) -> str:
    """The human report: a summary line, then each finding with its fix."""
    verdict = "not ready" if exit_status(findings) else "ready"
    summary = ", ".join(f"{n} {level}" for level, n in _counts(findings).items())
    lines = [f"bastion check: {verdict} for production ({summary})"]
    for f in findings:
        lines += ["", f"[{f.severity.upper()}] {f.code}: {f.message}", f"    fix: {f.fix}"]
        if objects := [e for e in f.evidence if e["type"] != "setting"]:
            lines.append("    concerns: " + ", ".join(_describe(e) for e in objects))
        if f.muted is not None:
            lines.append(f"    muted by {f.muted['by']['email'] or 'the CLI'}: {f.muted['reason']}")
    return "\n".join(lines)


def as_dict(f: Finding) -> dict:
    """A finding in the CLI's JSON report; id, evidence, route and mute only when they say something
    (a settings finding's message names its settings already)."""
    out = {"code": f.code, "severity": f.severity, "message": f.message, "fix": f.fix}
    objects = [e for e in f.evidence if e["type"] != "setting"]
    extra = {"id": f.id if f.key else None, "evidence": objects, "route": f.route, "muted": f.muted}
    return out | {k: v for k, v in extra.items() if v}


def render_json(findings: list[Finding]) -> str:
    """The machine report: ready (no unmuted high finding), counts per severity and the findings."""
    report = {
        "ready": exit_status(findings) == 0,
        "counts": _counts(findings),
        "findings": [as_dict(f) for f in findings],
    }
    return json.dumps(report, indent=2)


def exit_status(findings: list[Finding]) -> int:
    """1 when any unmuted finding is high, else 0."""
    return 1 if any(f.severity == "high" and f.muted is None for f in findings) else 0
