"""Checks of the settings alone: each takes (settings, workers) and returns its findings.

Part of the one registry in checks.py; these read only the parsed Settings, the gunicorn worker count and
the instance folder's permissions.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import replace

from bastion.advisor.finding import Finding, evidence
from bastion.advisor.http_services import opened_networks
from bastion.config import DEFAULT_PROXY_IPS, ConfigError, Settings, parse_networks

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


# The settings each finding concerns: its evidence in the advisor.
SETTINGS_OF = {
    "app-env-local": ("APP_ENV",),
    "app-debug": ("APP_DEBUG",),
    "app-key-missing": ("APP_KEY",),
    "app-key-weak": ("APP_KEY",),
    "app-old-keys": ("APP_OLD_KEYS",),
    "https-not-required": ("REQUIRE_HTTPS",),
    "no-trusted-proxy": ("TRUSTED_PROXIES",),
    "many-trusted-proxies": ("TRUSTED_PROXIES",),
    "proxy-ips-open": ("TRUSTED_PROXY_IPS",),
    "proxy-ips-unset": ("TRUSTED_PROXY_IPS", "BASTION_BIND"),
    "admin-networks-open": ("ADMIN_ALLOWED_NETWORKS",),
    "admin-networks-loopback": ("ADMIN_ALLOWED_NETWORKS", "TRUSTED_PROXIES"),
    "sqlite-many-workers": ("DATABASE_URL", "BASTION_WORKERS"),
    "long-sessions": ("SESSION_TTL_MINUTES",),
    "instance-env-readable": ("BASTION_INSTANCE",),
    "instance-dir-open": ("BASTION_INSTANCE",),
    "sqlite-roots-unset": ("SQLITE_ROOTS",),
    "http-networks-opened": ("HTTP_SERVICES_ALLOWED_NETWORKS",),
}


def with_settings(finding: Finding) -> Finding:
    """A settings finding with the settings it concerns as its evidence."""
    names = SETTINGS_OF.get(finding.code, ())
    return replace(finding, evidence=tuple(evidence("setting", None, name=n) for n in names))


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
    opened_networks,
)
