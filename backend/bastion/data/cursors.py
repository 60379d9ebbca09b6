"""Cursor tokens of the data API: where a keyset page ends, signed so that a client cannot forge one.

A token is ``base64url(JSON payload) "." base64url(HMAC-SHA256)``. The payload is versioned (``"v": 1``)
and holds the JSON form of the last row's sort values (order fields, then key) and a digest of the query
it belongs to: table, fields, filter and its placeholder values, order, id_field and as_list. A token
sent with another query is a 400, so a client cannot apply one query's position to another's sort
columns. The HMAC key is derived from APP_KEY (as services/codes.py does for its hashes), so a token's
values are only ever ones Bastion wrote (without APP_KEY, allowed outside production only, the key is
public and a client could forge a position, which is no more than a filter on the sort fields would
give it); they are still converted to the column's type and bound as
parameters like any other value (data/keyset.py). A token reveals the values of fields the caller may
read anyway (keyset refuses a cursor when the key is hidden); it is opaque by contract, not by secrecy.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from bastion.errors import BadRequest

VERSION = 1
NAME = "cursor"  # the query parameter; DreamFactory defines none of this name (data/options.py)
# A token travels in the URL, whose request line gunicorn caps at 8190 bytes: one that could not come
# back is refused when it would be written, not when it is sent.
MAX_TOKEN = 4096


def signing_key(app_key: bytes | None) -> bytes:
    """The HMAC key of cursor tokens, derived from APP_KEY so that it is never the key itself."""
    return hashlib.sha256(b"bastion-cursor:" + (app_key or b"")).digest()


def query_digest(*parts: Any) -> str:
    """A short digest of what a token is bound to; repr() of frozen dataclasses and tuples is stable."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def encode(key: bytes, query: str, values: list[Any]) -> str:
    """The token of a position: the last row's JSON sort values, bound to the query's digest."""
    payload = json.dumps({"v": VERSION, "q": query, "after": values}, separators=(",", ":")).encode()
    token = f"{_b64(payload)}.{_b64(_mac(key, payload))}"
    if len(token) > MAX_TOKEN:
        raise BadRequest(
            f"The sort values of this page are too long for a '{NAME}' token: order by shorter fields "
            "(the key is always added) or page with 'offset'"
        )
    return token


def decode(key: bytes, query: str, token: str) -> list[Any]:
    """The sort values of a token this query wrote; 400 when it is malformed, forged or another query's."""
    payload = _verified(key, token)
    try:
        data = json.loads(payload)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("v") != VERSION or not isinstance(data.get("after"), list):
        raise _invalid()
    if data.get("q") != query:
        raise BadRequest(
            f"Parameter '{NAME}' belongs to another query: keep the same table, fields, filter, order "
            "and id_field while paging, or start again without a cursor value",
            {"parameter": NAME},
        )
    return data["after"]


def _verified(key: bytes, token: str) -> bytes:
    head, dot, tail = token.partition(".")
    try:
        payload, mac = _unb64(head), _unb64(tail)
    except (ValueError, binascii.Error):
        raise _invalid() from None
    if not dot or not hmac.compare_digest(mac, _mac(key, payload)):
        raise _invalid()
    return payload


def _mac(key: bytes, payload: bytes) -> bytes:
    # hmac.digest is the one-shot C path: a page pays for it on every request.
    return hmac.digest(key, payload, "sha256")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _invalid() -> BadRequest:
    return BadRequest(
        f"Parameter '{NAME}' is not a cursor this server issued: send the value of meta.next unchanged",
        {"parameter": NAME},
    )
