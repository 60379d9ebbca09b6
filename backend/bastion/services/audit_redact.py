"""What an audit event may show of a row: JSON-safe values, secrets as the mask, hashes never.

A field is secret when its name ends in `_hash` (shown under the name without the suffix, as the mask)
or names a password, secret, token or private key; inside JSON (a service's config, say) the same names
and every sealed value are masked too. The mask only says that a secret was set or changed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bastion.secrets import MASK, is_sealed

SECRET_WORDS = ("password", "secret", "token", "api_key", "private")
# Bookkeeping columns: they change on their own (logins, use, refresh), and say nothing about a change.
IGNORED_FIELDS = frozenset(
    {"created_at", "updated_at", "last_login_at", "last_used_at", "last_used_from", "last_seen_at", "version"}
    | {"query_key_count", "query_key_at", "last_admitted_at"}
)


def is_secret(name: str) -> bool:
    """Whether a field or JSON key of this name holds a secret."""
    lowered = name.lower()
    return lowered.endswith("_hash") or any(word in lowered for word in SECRET_WORDS)


def public_name(name: str) -> str:
    """The name a field is shown under: `password_hash` is shown as `password`."""
    return name.removesuffix("_hash")


def clean(value: Any) -> Any:
    """A JSON-safe copy of a value with secret keys and sealed strings masked."""
    if isinstance(value, dict):
        return {str(k): (mask(v) if is_secret(str(k)) else clean(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, str) and is_sealed(value):
        return MASK
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def mask(value: Any) -> Any:
    """The mask for a secret that is set, the empty value itself otherwise."""
    return MASK if value not in (None, "", b"") else value


def shown(name: str, value: Any) -> tuple[str, Any]:
    """A field as an event shows it: its public name and its value, masked when secret."""
    return public_name(name), (mask(value) if is_secret(name) else clean(value))
