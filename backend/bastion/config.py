"""Every setting declared once, parsed and validated at start-up (DESIGN §2).

Precedence, highest first: the mapping passed to create_app(), the process environment, the `.env` in
the working directory, then the instance folder's `.env` (where `bastion init` writes APP_KEY).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from flask import Flask, current_app

log = logging.getLogger("bastion")

KEY_HINT = (
    "generate one with `bastion init` or: "
    'python -c "import base64,os;print(base64.b64encode(os.urandom(32)).decode())"'
)


# Forwarded headers are believed from this host only unless TRUSTED_PROXY_IPS names the proxies.
DEFAULT_PROXY_IPS = "127.0.0.0/8,::1"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


def _env_name(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("production", "local"):
        raise ConfigError(f"{name} must be 'production' or 'local', got {raw!r}")
    return value


def decode_key(name: str, raw: str) -> bytes:
    """Decode one base64 32-byte key, naming the variable when it is malformed."""
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{name} is not valid base64; {KEY_HINT}") from None
    if len(key) != 32:
        raise ConfigError(f"{name} must decode to 32 bytes, got {len(key)}; {KEY_HINT}")
    return key


def _key(name: str, raw: str) -> bytes | None:
    return decode_key(name, raw) if raw.strip() else None


def _old_keys(name: str, raw: str) -> tuple[bytes, ...]:
    return tuple(decode_key(name, part) for part in raw.split(",") if part.strip())


def parse_networks(name: str, raw: str) -> tuple:
    try:
        return tuple(ipaddress.ip_network(part.strip()) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} must be a comma list of CIDR networks: {exc}") from None


def _url(name: str, raw: str) -> str:
    value = raw.strip()
    if value and "://" not in value:
        raise ConfigError(
            f"{name} must be a URL such as postgresql+psycopg://user@host/db, got a value without a scheme"
        )
    return value


def _directories(name: str, raw: str) -> tuple[Path, ...]:
    roots = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        if not os.path.isabs(part) or not os.path.isdir(part):
            raise ConfigError(f"{name} must list absolute paths of existing directories, got {part!r}")
        roots.append(Path(os.path.realpath(part)))
    return tuple(roots)


def _bounded(low: int, high: int | None, problem: str) -> Callable[[str, str], int]:
    """A parser of a whole number from low to high (None: no upper bound), else "<name> must be <problem>"."""

    def parse(name: str, raw: str) -> int:
        value = _positive_int(name, raw)
        if value < low or (high is not None and value > high):
            raise ConfigError(f"{name} must be {problem}, got {raw!r}")
        return value

    return parse


_days = _bounded(1, None, "at least 1 (day)")
_minutes = _bounded(1, 7 * 24 * 60, "from 1 to 10080 minutes")
_port_number = _bounded(1, 65535, "a port from 1 to 65535")


def _text(name: str, raw: str) -> str:
    return raw.strip()


def _folder(name: str, raw: str) -> Path:
    try:
        return Path(raw.strip() or DEFAULT_INSTANCE).expanduser().resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # a NUL, a name too long, a symlink loop
        raise ConfigError(f"{name}: not a usable folder ({exc})") from None


def _secret_text(name: str, raw: str) -> str:
    return raw  # a password keeps its spaces


def _port(name: str, raw: str) -> int | None:
    return None if not raw.strip() else _port_number(name, raw)


def _mail_tls(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("starttls", "ssl", "none"):
        raise ConfigError(f"{name} must be starttls, ssl or none, got {raw!r}")
    return value


def _address(name: str, raw: str) -> str:
    value = raw.strip()
    # An address, optionally with a display name: "Bastion <no-reply@example.com>".
    bare = value.rsplit("<", 1)[-1].rstrip(">").strip()
    if value and ("@" not in bare or any(c in value for c in "\r\n")):
        raise ConfigError(f"{name} must be an e-mail address such as no-reply@example.com, got {raw!r}")
    return value


def _web_url(name: str, raw: str) -> str:
    value = raw.strip().rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL such as https://admin.example.com, got {raw!r}")
    return value


@dataclass(frozen=True)
class Setting:
    """One declared setting: its variable name, default, parser and help."""

    name: str
    default: str | None
    parse: Callable[[str, str], Any]
    help: str


# The instance folder when BASTION_INSTANCE is unset, relative to the working directory.
DEFAULT_INSTANCE = "./instance"

SETTINGS = (
    Setting("APP_ENV", "production", _env_name, "production or local"),
    Setting("APP_DEBUG", "false", _bool, "when true, error bodies carry a stack trace"),
    Setting("APP_KEY", "", _key, "base64 of 32 random bytes; encrypts stored secrets"),
    Setting("APP_OLD_KEYS", "", _old_keys, "comma list of retired keys, still accepted for decryption"),
    Setting("DATABASE_URL", "", _url, "system database; default sqlite:///<instance>/bastion.db"),
    Setting("REDIS_URL", "", _url, "rate-limit store; pushes cache changes (non-PostgreSQL system DB)"),
    Setting("SESSION_TTL_MINUTES", "1440", _positive_int, "session token lifetime"),
    Setting(
        "SESSION_REFRESH_TTL_MINUTES", "20160", _positive_int, "window in which a token may be refreshed"
    ),
    Setting("ADMIN_ALLOWED_NETWORKS", "", parse_networks, "CIDR list allowed to reach /api/v2/system/*"),
    Setting("TRUSTED_PROXIES", "0", _positive_int, "number of reverse proxies in front (ProxyFix)"),
    Setting(
        "TRUSTED_PROXY_IPS",
        DEFAULT_PROXY_IPS,
        parse_networks,
        "addresses/CIDRs of those proxies; X-Forwarded-* from any other peer is ignored",
    ),
    Setting("REQUIRE_HTTPS", None, _bool, "refuse API requests that did not arrive over HTTPS"),
    Setting("BASTION_INSTANCE", DEFAULT_INSTANCE, _folder, "instance folder: SQLite system DB, .env, logs"),
    Setting(
        "SQLITE_ROOTS",
        "",
        _directories,
        "comma list of directories SQLite service files must resolve inside; empty: anywhere",
    ),
    Setting(
        "SYSTEM_DB_GRACE_SECONDS", "60", _positive_int, "serve cached credentials this long in an outage"
    ),
    Setting("AUDIT_RETENTION_DAYS", "365", _days, "days audit events are kept by `bastion audit prune`"),
    Setting("MAIL_HOST", "", _text, "SMTP server for confirmation, reset and invitation e-mails"),
    Setting("MAIL_PORT", "", _port, "SMTP port; empty: 587 (starttls), 465 (ssl) or 25 (none)"),
    Setting("MAIL_USERNAME", "", _text, "SMTP login; empty: no login"),
    Setting("MAIL_PASSWORD", "", _secret_text, "SMTP password (never logged)"),
    Setting("MAIL_FROM", "", _address, "sender address of Bastion's e-mails"),
    Setting("MAIL_TLS", "starttls", _mail_tls, "starttls, ssl or none"),
    Setting("SPA_URL", "", _web_url, "the SPA's URL, where e-mailed links lead the user to type their code"),
    Setting("CODE_TTL_MINUTES", "30", _minutes, "lifetime of an e-mailed confirmation, reset or invite code"),
    Setting(
        "HTTP_SERVICES_ALLOWED_NETWORKS",
        "",
        parse_networks,
        "CIDR list that remote HTTP services may reach although not public (an internal API); empty: none",
    ),
)
KNOWN_NAMES = frozenset(s.name for s in SETTINGS)


@dataclass(frozen=True)
class Settings:
    """The parsed settings of one app."""

    app_env: str
    app_debug: bool
    app_key: bytes | None
    app_old_keys: tuple[bytes, ...]
    database_url: str
    redis_url: str
    session_ttl_minutes: int
    session_refresh_ttl_minutes: int
    admin_allowed_networks: tuple
    trusted_proxies: int
    trusted_proxy_ips: tuple
    require_https: bool
    bastion_instance: Path
    system_db_grace_seconds: int = 60
    warnings: tuple[str, ...] = field(default=())
    sqlite_roots: tuple[Path, ...] = field(default=())
    audit_retention_days: int = 365
    mail_host: str = ""
    mail_port: int | None = None
    mail_username: str = ""
    mail_password: str = field(default="", repr=False)
    mail_from: str = ""
    mail_tls: str = "starttls"
    spa_url: str = ""
    code_ttl_minutes: int = 30
    http_services_allowed_networks: tuple = field(default=())

    @property
    def is_production(self) -> bool:
        """Whether the safe production defaults apply."""
        return self.app_env == "production"


def mail_missing_setting(settings: Settings) -> str | None:
    """The first setting e-mail cannot do without (MAIL_HOST, MAIL_FROM, SPA_URL), or None."""
    for name in ("MAIL_HOST", "MAIL_FROM", "SPA_URL"):
        if not getattr(settings, name.lower()):
            return name
    return None


def _read_env_file(path: Path) -> dict[str, str]:
    """The settings of a .env file (none without one); a file that cannot be read stops with its name."""
    try:
        if not path.is_file():
            return {}
        return {k: v for k, v in dotenv_values(path).items() if v is not None}
    except (OSError, ValueError) as exc:  # not UTF-8, a name too long or with a NUL, no permission
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        shown = str(path) if len(str(path)) <= 100 else str(path)[:97] + "..."
        raise ConfigError(f"cannot read the settings file {shown!r}: {reason}") from None


def _merge_sources(overrides: Mapping[str, Any] | None) -> tuple[dict[str, str], list[str]]:
    overrides = {k: str(v) for k, v in (overrides or {}).items()}
    cwd_env = _read_env_file(Path(".env"))
    first = {**cwd_env, **os.environ, **overrides}
    instance = Path(first.get("BASTION_INSTANCE", DEFAULT_INSTANCE)).expanduser()
    try:
        instance_env = _read_env_file(instance / ".env")
    except ConfigError as exc:
        raise ConfigError(f"BASTION_INSTANCE: {exc}") from None
    warnings = [
        f"unknown setting {name} in {instance / '.env'}" for name in instance_env if name not in KNOWN_NAMES
    ]
    return {**instance_env, **cwd_env, **os.environ, **overrides}, warnings


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Parse every setting; raise ConfigError naming the first bad variable."""
    unknown = [k for k in (overrides or {}) if k not in KNOWN_NAMES]
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]}")
    raw, warnings = _merge_sources(overrides)
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        text = raw.get(setting.name, setting.default)
        # An empty value means "the default" for settings whose default depends on others.
        unset = text is None or (setting.default is None and not text.strip())
        values[setting.name.lower()] = None if unset else setting.parse(setting.name, text)
    instance = values["bastion_instance"]
    if values["require_https"] is None:
        values["require_https"] = values["app_env"] == "production"
    if not values["database_url"]:
        values["database_url"] = f"sqlite:///{instance / 'bastion.db'}"
    if values["app_env"] == "production" and values["app_key"] is None:
        raise ConfigError(f"APP_KEY is required when APP_ENV=production; {KEY_HINT}")
    for warning in warnings:
        log.warning(warning)
    return Settings(**values, warnings=tuple(warnings))


def current_settings(app: Flask | None = None) -> Settings:
    """The settings of `app`, or of the current app; create_app stores them, everything else asks here."""
    return (app or current_app._get_current_object()).config["SETTINGS"]
