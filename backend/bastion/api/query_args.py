"""Query-string arguments of the admin lists (audit, sessions): paging, counts, times; 400 naming each."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import request

from bastion.errors import ValidationError

MAX_PAGE = 1000
TRUE_WORDS = ("1", "true", "yes")
FALSE_WORDS = ("", "0", "false", "no")


def whole(name: str, default: int | None, low: int, high: int) -> int | None:
    """A whole-number argument within [low, high], or its default when absent."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise ValidationError({name: f"must be a whole number from {low} to {high}"})
    return int(raw)


def flag(name: str) -> bool:
    """A true/false argument; anything else is a 400."""
    raw = request.args.get(name, "").strip().lower()
    if raw not in TRUE_WORDS + FALSE_WORDS:
        raise ValidationError({name: "must be true or false"})
    return raw in TRUE_WORDS


def moment(name: str) -> datetime | None:
    """An ISO 8601 time argument (UTC when it names no zone)."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError({name: "must be an ISO 8601 time such as 2026-11-30T12:00:00Z"}) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def text(name: str, max_length: int = 255) -> str | None:
    """A text argument, trimmed; empty means not given."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return None
    if len(raw) > max_length:
        raise ValidationError({name: f"must be at most {max_length} characters"})
    return raw.strip()


def paging() -> tuple[int, int, bool]:
    """limit (default 50), offset and include_count."""
    return whole("limit", 50, 1, MAX_PAGE), whole("offset", 0, 0, 2**31 - 1), flag("include_count")


def refuse_unknown(known: set[str]) -> None:
    """A 400 naming any argument the list does not understand, rather than silently ignoring it."""
    unknown = sorted(set(request.args) - known - {"api_key", "session_token"})
    if unknown:
        raise ValidationError({name: "unknown parameter" for name in unknown})
