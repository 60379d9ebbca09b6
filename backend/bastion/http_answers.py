"""What of a remote HTTP service's answer reaches the client: its headers, its redirect, never its secrets.

A remote API's answer is passed on, but the platform's origin and the service's credentials are the
platform's to keep:
- Headers are an allow-list (KEPT_ANSWER_HEADERS): a remote API must not make a browser act on the
  platform's origin.
- A header that carries a URL (Location, Content-Location, Link) names the platform's path for the same
  resource, or is dropped (http_links): never the upstream's host or a way around the platform. A
  redirect is never followed.
- The service's own secrets (its auth value, password or token, its secret fixed headers), under each
  spelling an answer could quote them in (as sent, URL-, JSON- or HTML-escaped, the basic-auth pair in
  base64), are replaced by the mask in the body and the headers: an echo endpoint, or an error page
  quoting the request's URL or headers, must not hand a caller the credential the platform keeps for
  it. Secrets shorter than MIN_REDACTED characters are not looked for (they would mask ordinary text).
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

import urllib3

from bastion import http_links
from bastion.secrets import MASK
from bastion.services.http_config import secret_slots, slot_value

# An answer's headers are passed on only when they describe the body or its caching, or are an API's own
# `X-...` or rate-limit headers: a remote API must not make a browser act on the platform's origin (set or
# clear its cookies and storage, send its error reports or credentials elsewhere, refresh or redirect it
# off-site, preload, pin, open a login prompt, loosen CORS or framing). An allow-list, so that a header
# browsers learn next year is dropped too. Hop-by-hop headers (RFC 9110 §7.6.1, and any the upstream's
# `Connection` names) and the length (recomputed) never pass; nor `Warning`, whose agent field names
# the upstream's host (and which RFC 9111 retired).
KEPT_ANSWER_HEADERS = frozenset(
    {"content-type", "content-language", "content-disposition", "content-encoding", "content-range"}
    | {"accept-ranges", "etag", "last-modified", "expires", "age", "retry-after", "allow", "vary", "date"}
    | http_links.URL_HEADERS
)
KEPT_ANSWER_PREFIXES = ("x-", "ratelimit")
# `X-` headers that browsers act on, or that the platform sets itself.
DROPPED_X_HEADERS = frozenset(
    {"x-frame-options", "x-xss-protection", "x-dns-prefetch-control", "x-content-type-options"}
    | {"x-permitted-cross-domain-policies", "x-download-options", "x-sourcemap", "x-ua-compatible"}
    | {"x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-request-id", "x-ignored-fields"}
)
DROPPED_X_PREFIXES = ("x-forwarded-", "x-dreamfactory-", "x-bastion-", "x-webkit-")
HOP_BY_HOP = frozenset({"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"})
MIN_REDACTED = 4


def _kept_answer_header(name: str) -> bool:
    """Whether an upstream's answer header may reach the client (KEPT_ANSWER_HEADERS)."""
    if name in KEPT_ANSWER_HEADERS:
        return True
    if not name.startswith(KEPT_ANSWER_PREFIXES):
        return False
    return name not in DROPPED_X_HEADERS and not name.startswith(DROPPED_X_PREFIXES)


def answer_headers(answer: urllib3.BaseHTTPResponse, rebase: http_links.Rebase) -> list[tuple[str, str]]:
    """The upstream's answer headers the client may see, their URLs on the platform (`rebase`)."""
    listed = answer.headers.getlist("connection")
    named = {part.strip().lower() for value in listed for part in value.split(",")}
    kept = []
    for name, value in answer.headers.items():
        lowered = name.lower()
        if lowered in HOP_BY_HOP or lowered in named or not _kept_answer_header(lowered):
            continue
        if lowered in http_links.URL_HEADERS:
            # The upstream's own URLs name its host, or lead around the platform; never passed as written.
            value = http_links.rebased_header(lowered, value, rebase)
            if value is None:
                continue
        kept.append((name, value))
    return kept


def secret_spellings(config: Mapping[str, Any]) -> tuple[bytes, ...]:
    """Every spelling of the opened config's secrets an answer could quote, longest first."""
    values = [slot_value(dict(config), slot) for slot in secret_slots(dict(config))]
    auth = config.get("auth") if isinstance(config.get("auth"), Mapping) else {}
    if auth.get("kind") == "basic" and auth.get("password"):
        values.append(base64.b64encode(f"{auth.get('username', '')}:{auth['password']}".encode()).decode())
    found: set[str] = set()
    for value in values:
        if not isinstance(value, str) or len(value) < MIN_REDACTED:
            continue
        for form in (value, quote(value, safe=""), quote(value), quote_plus(value), json.dumps(value)[1:-1]):
            found |= {form, html.escape(form), json.dumps(form)[1:-1]}
    return tuple(sorted((f.encode() for f in found), key=len, reverse=True))


def redacted(data: bytes, spellings: tuple[bytes, ...]) -> bytes:
    """The body with every spelling of a secret replaced by the mask."""
    for spelling in spellings:
        if spelling in data:
            data = data.replace(spelling, MASK.encode())
    return data


def redacted_json(value: Any, spellings: tuple[bytes, ...]) -> Any:
    """A parsed JSON value (an upstream's OpenAPI document) with every spelling of a secret masked in its
    keys, its strings and its numbers (a key of digits may be written as one): masked once parsed, so that
    no `\\u` escape hides a secret and the mask cannot break the JSON around it."""
    if not spellings:
        return value
    if isinstance(value, str):
        return redacted(value.encode(), spellings).decode()
    if isinstance(value, dict):
        return {redacted_json(k, spellings): redacted_json(v, spellings) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted_json(item, spellings) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = str(value).encode()
        return MASK if redacted(text, spellings) != text else value
    return value


def redacted_headers(headers: list[tuple[str, str]], spellings: tuple[bytes, ...]) -> list[tuple[str, str]]:
    """The headers with every spelling of a secret in their values replaced by the mask."""
    if not spellings:
        return headers
    return [(name, redacted(value.encode("latin-1"), spellings).decode("latin-1")) for name, value in headers]
