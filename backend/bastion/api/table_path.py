"""The table name (and record id) of a data-API URL, read so that a `/` inside a name survives.

WSGI servers hand the application a decoded PATH_INFO, where `/_table/a%2Fb` and `/_table/a/b` look the
same. The raw request target (gunicorn's and Werkzeug's RAW_URI, mod_wsgi's REQUEST_URI) keeps `%2F`, so
the segments after `_table`/`_schema` are split there and decoded one by one. Without a raw target (or
when it does not decode to the routed path, e.g. behind a rewriting proxy) the routed path is split at
its first `/`.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import request

from bastion.errors import NotFound


def _raw_tail(routed: str) -> list[str] | None:
    """The raw segments after `<service>/_table` (or `_schema`), when they decode to the routed tail."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        return None
    segments = urlsplit(raw).path.split("/")[1:]
    start = 2 if len(segments) > 1 and unquote(segments[1]) == "v2" else 1
    tail = segments[start + 2 :]
    if "/".join(unquote(s) for s in tail) != routed:
        return None
    return [unquote(s) for s in tail]


def split(routed: str) -> tuple[str, str | None]:
    """(table, record id or None) of the URL part after `_table/`."""
    parts = _raw_tail(routed)
    if parts is None:
        parts = routed.split("/", 1)
    if len(parts) > 2 or not all(parts):
        raise NotFound(f"No such resource: '{routed}'")
    return parts[0], parts[1] if len(parts) > 1 else None


def split_schema(routed: str) -> tuple[str, list[str]]:
    """(table, the segments after it) of the URL part after `_schema/`: none, or DreamFactory's
    `_field[/<field>]`, `_related[/<relationship>]` or `<field>`."""
    parts = _raw_tail(routed)
    if parts is None:
        parts = routed.split("/")
    if len(parts) > 3 or not all(parts):
        raise NotFound(f"No such resource: '{routed}'")
    return parts[0], parts[1:]
