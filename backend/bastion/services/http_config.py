"""The config of a remote HTTP service: its checks, where its secrets sit, and where it sends them.

Secrets sit in `auth` (value, password or token, by kind) and in fixed `headers` marked secret. A slot
names one: ("auth", "token"), or ("headers", <lower-case header name>), so a header keeps its secret
across a reorder. Sealing, masking and the resend rule are data_services', over these slots.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bastion import http_targets
from bastion.docs.upstream_doc import DocumentRefused, check_document, parse_document
from bastion.secrets import MASK
from bastion.service_types import (
    DEFAULT_FORWARD_HEADERS,
    HTTP_AUTH_KINDS,
    HTTP_FIELDS,
    HTTP_TIMEOUT_RANGE,
    MAX_RESPONSE_BYTES_LIMIT,
)

Slot = tuple[str, str]
# The secret of each auth kind, and the plain fields it needs.
AUTH_SECRET = {"header": "value", "query": "value", "basic": "password", "bearer": "token"}
AUTH_PLAIN = {"header": ("name",), "query": ("name",), "basic": ("username",), "bearer": ()}
TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP header name (RFC 9110 token)
# Headers the platform decides itself (credentials go in `auth`): no fixed header may set them.
PLATFORM_SET = frozenset(
    {"authorization", "proxy-authorization", "cookie", "host", "content-length", "transfer-encoding"}
    | {"accept-encoding", "connection", "keep-alive", "te", "trailer", "upgrade", "forwarded"}
    | {"x-forwarded-for"}
)
# And never passed on from a caller: those, the platform's own API key header, headers that would make the
# upstream serve another verb or path than the one the role allowed (the platform's tunnel headers, which it
# only reads on a POST, and IIS/Symfony's URL rewrites), and what only the platform may say about the
# client and the hop (who it is, how it came, through what).
NEVER_FORWARDED = (
    PLATFORM_SET
    | {"x-api-key", "x-http-method", "x-http-method-override", "x-method-override", "x-original-method"}
    | {"x-original-url", "x-rewrite-url", "x-real-ip", "x-client-ip", "true-client-ip", "via", "expect"}
    | {"max-forwards", "client-ip", "cf-connecting-ip"}
)
PLATFORM_PREFIXES = ("x-dreamfactory-", "x-bastion-", "x-forwarded-", "proxy-")


def secret_slots(config: dict) -> list[Slot]:
    """The slots of the secrets this config has (set or not), by its auth kind and secret headers."""
    slots: list[Slot] = []
    auth = config.get("auth")
    if isinstance(auth, dict) and auth.get("kind") in AUTH_SECRET:
        slots.append(("auth", AUTH_SECRET[auth["kind"]]))
    for header in config.get("headers") or []:
        if isinstance(header, dict) and header.get("secret") and isinstance(header.get("name"), str):
            slots.append(("headers", header["name"].lower()))
    return slots


def _header(config: dict, name: str) -> dict | None:
    headers = config.get("headers") if isinstance(config.get("headers"), list) else []
    found = [h for h in headers if isinstance(h, dict) and str(h.get("name", "")).lower() == name]
    return found[0] if found else None


def slot_value(config: dict, slot: Slot) -> Any:
    """The value at a slot, or None."""
    if slot[0] == "auth":
        auth = config.get("auth")
        return auth.get(slot[1]) if isinstance(auth, dict) else None
    header = _header(config, slot[1])
    return header.get("value") if header else None


def with_slot(config: dict, slot: Slot, value: Any) -> dict:
    """A copy of the config with the slot set (None removes an auth secret)."""
    config = dict(config)
    if slot[0] == "auth":
        auth = {k: v for k, v in dict(config.get("auth") or {}).items() if k != slot[1]}
        config["auth"] = auth if value is None else {**auth, slot[1]: value}
        return config
    config["headers"] = [
        {**h, "value": value} if isinstance(h, dict) and str(h.get("name", "")).lower() == slot[1] else h
        for h in config.get("headers") or []
    ]
    return config


def target(config: dict) -> tuple:
    """Where the config sends its secrets: the base URL (normalised) and the auth kind and names."""
    auth = config.get("auth") if isinstance(config.get("auth"), dict) else {}
    base = str(config.get("base_url") or "").strip().rstrip("/")
    try:
        parsed = http_targets.parse_base_url(base)
        base = f"{parsed.scheme}://{parsed.host.lower()}:{parsed.port}{parsed.path}"
    except http_targets.TargetRefused:
        pass
    return base, auth.get("kind", "none"), auth.get("name"), auth.get("username")


def _is_int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _auth_problems(auth: Any) -> dict[str, str]:
    if not isinstance(auth, dict):
        return {"config.auth": "must be an object with a 'kind'"}
    kind = auth.get("kind")
    if kind not in HTTP_AUTH_KINDS:
        return {"config.auth.kind": f"must be one of: {', '.join(HTTP_AUTH_KINDS)}"}
    wanted = {"kind", *AUTH_PLAIN.get(kind, ()), *([AUTH_SECRET[kind]] if kind in AUTH_SECRET else [])}
    errors = {f"config.auth.{k}": f"not used by auth kind '{kind}'" for k in auth if k not in wanted}
    for name in (*AUTH_PLAIN.get(kind, ()), *([AUTH_SECRET[kind]] if kind in AUTH_SECRET else [])):
        if not isinstance(auth.get(name), str) or not auth[name].strip():
            errors[f"config.auth.{name}"] = f"required for auth kind '{kind}'"
    if kind == "header" and isinstance(auth.get("name"), str) and not TOKEN.match(auth["name"]):
        errors["config.auth.name"] = "must be a header name (letters, digits and -)"
    return errors


def _headers_problems(headers: Any) -> dict[str, str]:
    if not isinstance(headers, list):
        return {"config.headers": "must be a list of {name, value, secret}"}
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for i, header in enumerate(headers):
        where = f"config.headers[{i}]"
        if not isinstance(header, dict) or set(header) - {"name", "value", "secret"}:
            errors[where] = "must be an object with name, value and secret"
            continue
        name, value = header.get("name"), header.get("value")
        if not isinstance(name, str) or not TOKEN.match(name):
            errors[f"{where}.name"] = "must be a header name (letters, digits and -)"
        elif name.lower() in seen:
            errors[f"{where}.name"] = "is given twice"
        elif name.lower() in PLATFORM_SET:
            errors[f"{where}.name"] = "is set by the platform; use auth for credentials"
        if not isinstance(value, str) or "\n" in value or "\r" in value:
            errors[f"{where}.value"] = "must be text on one line"
        elif value == MASK and not header.get("secret"):
            # A secret header turned plain keeps no stored value: the mask itself would be sent.
            errors[f"{where}.value"] = "is the mask: type the value, or keep the header secret"
        if not isinstance(header.get("secret", False), bool):
            errors[f"{where}.secret"] = "must be true or false"
        seen.add(str(name).lower())
    return errors


def _forward_problems(names: Any) -> dict[str, str]:
    if not isinstance(names, list) or not all(isinstance(n, str) and TOKEN.match(n) for n in names):
        return {"config.forward_headers": "must be a list of header names"}
    refused = [n for n in names if not forwardable(n)]
    if refused:
        return {
            "config.forward_headers": f"'{refused[0]}' is never forwarded "
            "(credentials, hop-by-hop, verb or URL overrides, or the client's address)"
        }
    return {}


def forwardable(name: str) -> bool:
    """Whether a client header may ever be passed on: never credentials, cookies, the platform's own,
    hop-by-hop ones, verb or URL overrides, or claims about the client's address."""
    lowered = name.lower()
    return lowered not in NEVER_FORWARDED and not lowered.startswith(PLATFORM_PREFIXES)


def _openapi_problem(value: Any, allowed: Iterable) -> str | None:
    """What is wrong with `openapi`: a document pasted (upstream_doc's bounds), or a URL the service may
    not fetch (the base URL's address rules)."""
    try:
        if value is None:
            return None
        if isinstance(value, dict):
            check_document(value)
        elif isinstance(value, str) and value.lstrip().startswith("{"):
            parse_document(value)
        elif isinstance(value, str):
            http_targets.check_base_url(value.split("?", 1)[0], allowed)
        else:
            return "must be a URL or an OpenAPI JSON object"
    except DocumentRefused as exc:
        return f"as a document, {exc}"
    except http_targets.TargetRefused as exc:
        return f"as a URL, {exc}"
    return None


def problems(config: dict, allowed: Iterable) -> dict[str, str]:
    """Everything wrong with an HTTP service's config, by field; the base URL's addresses included."""
    known = {f["name"] for f in HTTP_FIELDS}
    errors = {f"config.{k}": "unknown field" for k in config if k not in known}
    errors |= _auth_problems(config.get("auth", {"kind": "none"}))
    errors |= _headers_problems(config.get("headers", []))
    errors |= _forward_problems(config.get("forward_headers", list(DEFAULT_FORWARD_HEADERS)))
    if not _is_int_in(config.get("timeout", HTTP_TIMEOUT_RANGE[0]), *HTTP_TIMEOUT_RANGE):
        low, high = HTTP_TIMEOUT_RANGE
        errors["config.timeout"] = f"must be a whole number of seconds from {low} to {high}"
    if not _is_int_in(config.get("max_response_bytes", 1), 1, MAX_RESPONSE_BYTES_LIMIT):
        errors["config.max_response_bytes"] = f"must be a whole number from 1 to {MAX_RESPONSE_BYTES_LIMIT}"
    if problem := _openapi_problem(config.get("openapi"), allowed):
        errors["config.openapi"] = problem
    if config.get("docs", "follow_role") not in ("follow_role", "disabled"):
        errors["config.docs"] = "must be one of: follow_role, disabled"
    try:
        http_targets.check_base_url(config.get("base_url"), allowed)
    except http_targets.TargetRefused as exc:
        errors["config.base_url"] = str(exc)
    return errors
