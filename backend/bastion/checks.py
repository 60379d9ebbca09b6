"""`bastion check`: how ready the running configuration is for production (issue 8).

Every check reads the parsed Settings, the gunicorn worker count, and where it must the system database,
and returns Findings. Severities:

- high: secrets, stored credentials or the admin API are exposed, or the platform does not run with its
  production safeguards. `bastion check` exits 1 when any finding is high.
- medium: a defence is weaker than it should be (unrestricted admin networks, per-worker throttling).
- low: housekeeping (an unfinished key rotation, stale admin accounts).

No flask imports: the CLI hands in Settings and a system-database engine.
"""

from __future__ import annotations

import ipaddress
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bastion import cors_syntax
from bastion.config import DEFAULT_PROXY_IPS, ConfigError, Settings, mail_missing_setting, parse_networks
from bastion.models import CorsRule, User
from bastion.models_self_service import RegistrationSetting

SEVERITIES = ("high", "medium", "low")
ADMIN_LOGIN_DAYS = 90
LONG_SESSION_MINUTES = 7 * 24 * 60
ADMIN_PREFIXES = ("api/v2/system/", "api/system/")  # the admin API and its unversioned alias
DEFAULT_PROXY_NETWORKS = parse_networks("TRUSTED_PROXY_IPS", DEFAULT_PROXY_IPS)


@dataclass(frozen=True)
class Finding:
    """One problem: a stable code, its severity, what is wrong and how to fix it."""

    code: str
    severity: str
    message: str
    fix: str


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


def glob_reaches_admin(glob: str) -> bool:
    """Whether a CORS path glob matches any path of the admin API, versioned or not.

    A glob's paths all start with its literal head, and its first `*` may stand for anything after it;
    so it reaches a path under an admin prefix exactly when head and prefix agree as far as both go (a
    glob without `*` must itself be such a path). Compared case-insensitively, to err towards a finding.
    """
    normalized = cors_syntax.normalize_path(glob.strip()).lower()
    head = cors_syntax.glob_prefix(normalized)
    starred = "*" in normalized
    for prefix in ADMIN_PREFIXES:
        if head.startswith(prefix) or head == prefix[:-1] or (starred and prefix.startswith(head)):
            return True
    return False


def _cors_rules(s: Settings, conn: sa.Connection, _now: datetime) -> Iterable[Finding]:
    table = CorsRule.__table__
    rows = conn.execute(sa.select(table.c.path, table.c.origins).where(table.c.enabled == sa.true()))
    for path, origins in rows:
        origins = [o.strip() for o in origins or []]
        if "*" in origins:
            admin = glob_reaches_admin(path)
            yield Finding(
                "cors-any-origin",
                "high" if admin else "medium",
                f"The CORS rule for {path} allows any origin ('*')"
                + (", the admin API included." if admin else "."),
                "list the exact origins instead, e.g. `bastion cors add --origin https://admin.example.com`",
            )
        plain = [o for o in origins if o.startswith("http://")]
        if plain and s.is_production:
            yield Finding(
                "cors-plain-http-origin",
                "medium",
                f"The CORS rule for {path} allows plain-HTTP origin(s) {', '.join(plain)} "
                "(`bastion init` defaults to a local development origin).",
                "replace them with the admin host's https:// origin (PATCH /api/v2/system/cors/<id>)",
            )


def _admins(_s: Settings, conn: sa.Connection, now: datetime) -> Iterable[Finding]:
    table = User.__table__
    active = table.c.is_sys_admin == sa.true(), table.c.is_active == sa.true()
    logins = [row[0] for row in conn.execute(sa.select(table.c.last_login_at).where(*active))]
    if not logins:
        yield Finding(
            "no-admin",
            "medium",
            "There is no active admin: nobody can manage the platform.",
            "run `bastion create-admin --email ... --name ...`",
        )
        return
    since = now - timedelta(days=ADMIN_LOGIN_DAYS)
    # SQLite hands timezone-aware columns back naive; they were stored in UTC.
    recent = [t for t in logins if t is not None and (t if t.tzinfo else t.replace(tzinfo=UTC)) >= since]
    if not recent:
        yield Finding(
            "admins-idle",
            "low",
            f"None of the {len(logins)} active admin(s) logged in during the last {ADMIN_LOGIN_DAYS} days.",
            "deactivate admin accounts nobody uses; keep one that someone watches",
        )


def _registration_mail(s: Settings, conn: sa.Connection, _now: datetime) -> Iterable[Finding]:
    """Open registration with confirmation needs e-mail (issue 15): without it, registering answers 503."""
    table = RegistrationSetting.__table__
    row = conn.execute(sa.select(table.c.enabled, table.c.skip_confirmation)).first()
    missing = mail_missing_setting(s)
    if row is not None and row.enabled and not row.skip_confirmation and missing:
        yield Finding(
            "registration-without-mail",
            "medium",
            f"Open registration is on but e-mail is not configured ({missing} is missing): "
            "nobody can register.",
            "set MAIL_HOST, MAIL_FROM and SPA_URL (see .env.example), or turn registration off",
        )


CONTENT_CHECKS = (_cors_rules, _admins, _registration_mail)


def _database_findings(settings: Settings, engine: Engine, now: datetime) -> list[Finding]:
    try:
        with engine.connect() as conn:
            findings = list(_migrations(settings, conn, now))
            if findings:
                return findings  # the other checks would read tables that may not exist yet
            return [f for check in CONTENT_CHECKS for f in check(settings, conn, now)]
    except SQLAlchemyError as exc:
        # The driver's text can carry a URL with credentials: name the failure, not the details.
        message = f"The system database could not be read ({type(exc).__name__})."
        fix = "check DATABASE_URL and that the database is up, then `bastion db upgrade`"
        return [Finding("database-unreadable", "high", message, fix)]


def run_checks(
    settings: Settings, engine: Engine, *, workers: int, now: datetime | None = None
) -> list[Finding]:
    """Every finding for this configuration, the most severe first."""
    findings = [f for check in SETTINGS_CHECKS for f in check(settings, workers)]
    findings += _database_findings(settings, engine, now or datetime.now(UTC))
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))


def _counts(findings: list[Finding]) -> dict[str, int]:
    return {level: sum(f.severity == level for f in findings) for level in SEVERITIES}


def render_text(findings: list[Finding]) -> str:
    """The human report: a summary line, then each finding with its fix."""
    verdict = "not ready" if exit_status(findings) else "ready"
    summary = ", ".join(f"{n} {level}" for level, n in _counts(findings).items())
    lines = [f"bastion check: {verdict} for production ({summary})"]
    for f in findings:
        lines += ["", f"[{f.severity.upper()}] {f.code}: {f.message}", f"    fix: {f.fix}"]
    return "\n".join(lines)


def render_json(findings: list[Finding]) -> str:
    """The machine report: ready (no high finding), counts per severity and the findings."""
    report = {
        "ready": exit_status(findings) == 0,
        "counts": _counts(findings),
        "findings": [asdict(f) for f in findings],
    }
    return json.dumps(report, indent=2)


def exit_status(findings: list[Finding]) -> int:
    """1 when any finding is high, else 0."""
    return 1 if any(f.severity == "high" for f in findings) else 0
