"""The one registry of checks behind `bastion check` and the admin API's advisor (issues 8 and 16).

Every check reads the parsed Settings, the gunicorn worker count, and where it must the system database
(advisor/inventory.py) or the databases behind the services (advisor/db_accounts.py), and returns
Findings (advisor/finding.py). The settings checks live here; the others in advisor/. Severities:

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

import ipaddress
import json
import os
import stat
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bastion.advisor import cors_rules, keys, people
from bastion.advisor.cors_rules import glob_reaches_admin
from bastion.advisor.db_accounts import Accounts, check_services
from bastion.advisor.finding import SEVERITIES, Finding, sort_key
from bastion.advisor.inventory import Inventory
from bastion.config import DEFAULT_PROXY_IPS, ConfigError, Settings, parse_networks
from bastion.models_advisor import AdvisorMute

__all__ = ["SEVERITIES", "Accounts", "Finding", "glob_reaches_admin", "run_checks"]
LONG_SESSION_MINUTES = 7 * 24 * 60
DEFAULT_PROXY_NETWORKS = parse_networks("TRUSTED_PROXY_IPS", DEFAULT_PROXY_IPS)


def gunicorn_workers(environ: Mapping[str, str] = os.environ) -> int:
    """The worker count deploy/gunicorn.conf.py starts: BASTION_WORKERS, else 2 x usable CPUs + 1."""
    raw = environ.get("BASTION_WORKERS", "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(f"BASTION_WORKERS must be a positive integer, got {raw!r}")
        return int(raw)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cpus * 2 + 1


def gunicorn_bind(environ: Mapping[str, str] = os.environ) -> str:
    """The address deploy/gunicorn.conf.py binds: BASTION_BIND, else 127.0.0.1:8000."""
    return environ.get("BASTION_BIND", "127.0.0.1:8000").strip()


def bind_is_local(bind: str) -> bool:
    """Whether a gunicorn bind address is reachable from this host only (loopback or a UNIX socket)."""
    if bind.startswith("unix:"):
        return True
    host = bind.rpartition(":")[0] if ":" in bind else bind
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name or an inherited socket (fd://): it may be on any interface


def networks_cover_everything(networks: Iterable) -> bool:
    """Whether some IP version's addresses are all covered by the networks together (0.0.0.0/1 + 128/1)."""
    for version, whole in ((4, ipaddress.ip_network("0.0.0.0/0")), (6, ipaddress.ip_network("::/0"))):
        mine = [net for net in networks if net.version == version]
        if mine and list(ipaddress.collapse_addresses(mine)) == [whole]:
            return True
    return False


def key_weakness(key: bytes) -> str | None:
    """Why a 32-byte key was evidently not drawn at random, or None when nothing shows."""
    steps = {(b - a) % 256 for a, b in zip(key, key[1:], strict=False)}
    if len(set(key)) < 16:
        return f"it has only {len(set(key))} distinct bytes out of {len(key)}"
    if len(steps) == 1:
        return "its bytes form a counting sequence"
    if all(0x20 <= b < 0x7F for b in key):
        return "every byte is printable text, as in a typed passphrase"
    return None


# Checks of the settings alone. Each takes (settings, workers) and returns its findings.


def _environment(s: Settings, _workers: int) -> Iterable[Finding]:
    if not s.is_production:
        yield Finding(
            "app-env-local",
            "high",
            "APP_ENV=local: the production safeguards are off (APP_KEY and HTTPS are not required).",
            "set APP_ENV=production",
        )
    if s.app_debug:
        yield Finding(
            "app-debug",
            "high",
            "APP_DEBUG is on: error bodies carry stack traces to any client.",
            "set APP_DEBUG=false",
        )


def _app_key(s: Settings, _workers: int) -> Iterable[Finding]:
    fix = (
        "run `bastion generate-key`, move the old key to APP_OLD_KEYS and the new one to APP_KEY, "
        "then `bastion rotate-key`"
    )
    if s.app_key is None:
        yield Finding("app-key-missing", "high", "APP_KEY is not set: stored secrets cannot be sealed.", fix)
    elif (why := key_weakness(s.app_key)) is not None:
        yield Finding("app-key-weak", "high", f"APP_KEY looks hand-made: {why}.", fix)
    if s.app_old_keys:
        yield Finding(
            "app-old-keys",
            "low",
            f"APP_OLD_KEYS still holds {len(s.app_old_keys)} retired key(s).",
            "finish the rotation with `bastion rotate-key`, then empty APP_OLD_KEYS",
        )


def _transport(s: Settings, _workers: int) -> Iterable[Finding]:
    if not s.require_https:
        yield Finding(
            "https-not-required",
            "high",
            "REQUIRE_HTTPS is off: API keys, tokens and passwords may travel in plain text.",
            "set REQUIRE_HTTPS=true (the default in production) and terminate TLS in nginx",
        )
    elif s.trusted_proxies == 0:
        yield Finding(
            "no-trusted-proxy",
            "medium",
            "TRUSTED_PROXIES=0 while HTTPS is required: behind nginx every client has the proxy's address, "
            "so ADMIN_ALLOWED_NETWORKS and login throttling judge 127.0.0.1 instead of the client.",
            "behind one nginx set TRUSTED_PROXIES=1",
        )
    if s.trusted_proxies > 1:
        yield Finding(
            "many-trusted-proxies",
            "medium",
            f"TRUSTED_PROXIES={s.trusted_proxies}: unless that many proxies really sit in front, "
            "clients can choose their own address with X-Forwarded-For.",
            "set TRUSTED_PROXIES to the exact number of reverse proxies in front of gunicorn",
        )


def _proxy_addresses(s: Settings, _workers: int) -> Iterable[Finding]:
    if s.trusted_proxies and networks_cover_everything(s.trusted_proxy_ips):
        yield Finding(
            "proxy-ips-open",
            "high",
            "TRUSTED_PROXY_IPS admits every address: any client chooses its own address and scheme with "
            "X-Forwarded-For / X-Forwarded-Proto, past REQUIRE_HTTPS, ADMIN_ALLOWED_NETWORKS and throttling.",
            "set TRUSTED_PROXY_IPS to the reverse proxies' own addresses, e.g. 10.0.0.5",
        )
    bind = gunicorn_bind()
    if s.trusted_proxies and not bind_is_local(bind) and s.trusted_proxy_ips == DEFAULT_PROXY_NETWORKS:
        yield Finding(
            "proxy-ips-unset",
            "medium",
            f"gunicorn listens on {bind}, beyond this host, and TRUSTED_PROXY_IPS is left at loopback: "
            "a proxy on another host is not believed (every client seems to be the proxy), and clients "
            "reaching gunicorn directly are judged on their own address.",
            "set TRUSTED_PROXY_IPS to the address of the proxy in front, or bind gunicorn to 127.0.0.1",
        )


def _admin_networks(s: Settings, _workers: int) -> Iterable[Finding]:
    fix = "set ADMIN_ALLOWED_NETWORKS to the admins' networks, e.g. 10.20.0.0/16"
    networks = s.admin_allowed_networks
    if not networks or networks_cover_everything(networks):
        yield Finding(
            "admin-networks-open",
            "medium",
            "The admin API (/api/v2/system/*, admin login) is reachable from any address.",
            fix,
        )
    elif s.trusted_proxies == 0 and any(ipaddress.ip_address("127.0.0.1") in net for net in networks):
        yield Finding(
            "admin-networks-loopback",
            "medium",
            "ADMIN_ALLOWED_NETWORKS admits 127.0.0.1 and TRUSTED_PROXIES=0: every request relayed by a "
            "local nginx comes from 127.0.0.1 and is let in.",
            "set TRUSTED_PROXIES=1 so the client's own address is judged",
        )


def _workers(s: Settings, workers: int) -> Iterable[Finding]:
    if workers > 1 and s.database_url.startswith("sqlite"):
        yield Finding(
            "sqlite-many-workers",
            "medium",
            f"The system database is SQLite and gunicorn starts {workers} workers: every write waits for "
            "the others, and a second host cannot share it.",
            "use PostgreSQL or MariaDB in DATABASE_URL, or set BASTION_WORKERS=1",
        )


def _sessions(s: Settings, _workers: int) -> Iterable[Finding]:
    if s.session_ttl_minutes > LONG_SESSION_MINUTES:
        yield Finding(
            "long-sessions",
            "low",
            f"SESSION_TTL_MINUTES={s.session_ttl_minutes}: a stolen token stays valid for over a week.",
            "set SESSION_TTL_MINUTES to a day (1440) or less; clients refresh their tokens",
        )


def _instance_files(s: Settings, _workers: int) -> Iterable[Finding]:
    env_file = s.bastion_instance / ".env"
    if env_file.is_file() and stat.S_IMODE(env_file.stat().st_mode) & 0o077:
        yield Finding(
            "instance-env-readable",
            "high",
            f"{env_file} holds APP_KEY and other users may read it.",
            f"chmod 600 {env_file}",
        )
    if s.bastion_instance.is_dir() and stat.S_IMODE(s.bastion_instance.stat().st_mode) & 0o077:
        yield Finding(
            "instance-dir-open",
            "medium",
            f"The instance folder {s.bastion_instance} (system database, .env) is open to other users.",
            f"chmod 700 {s.bastion_instance}",
        )


def _sqlite_roots(s: Settings, _workers: int) -> Iterable[Finding]:
    if s.is_production and not s.sqlite_roots:
        yield Finding(
            "sqlite-roots-unset",
            "medium",
            "SQLITE_ROOTS is empty: an admin may register a SQLite service over any database file this "
            "process can read (the platform's own files are refused, everything else is not).",
            "set SQLITE_ROOTS to the directories that hold the SQLite databases to serve, e.g. /srv/data",
        )


SETTINGS_CHECKS = (
    _environment,
    _app_key,
    _transport,
    _proxy_addresses,
    _admin_networks,
    _workers,
    _sessions,
    _instance_files,
    _sqlite_roots,
)


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
CONTENT_CHECKS = (*cors_rules.CHECKS, *keys.CHECKS, *people.CHECKS)


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
    findings = [f for check in SETTINGS_CHECKS for f in check(settings, workers)]
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


def render_text(findings: list[Finding]) -> str:
    """The human report: a summary line, then each finding with its fix."""
    verdict = "not ready" if exit_status(findings) else "ready"
    summary = ", ".join(f"{n} {level}" for level, n in _counts(findings).items())
    lines = [f"bastion check: {verdict} for production ({summary})"]
    for f in findings:
        lines += ["", f"[{f.severity.upper()}] {f.code}: {f.message}", f"    fix: {f.fix}"]
        if f.muted is not None:
            lines.append(f"    muted by {f.muted['by']['email'] or 'the CLI'}: {f.muted['reason']}")
    return "\n".join(lines)


def as_dict(f: Finding) -> dict:
    """A finding in the CLI's JSON report; id, evidence, route and mute only when they say something."""
    out = {"code": f.code, "severity": f.severity, "message": f.message, "fix": f.fix}
    extra = {"id": f.id if f.key else None, "evidence": list(f.evidence), "route": f.route, "muted": f.muted}
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
