"""What the CORS layer would answer a browser: verdict, deciding rule and headers, from cors.py itself.

The tester of /api/v2/system/cors/explain asks the app's live rule set (cors.rule_set) and the very
functions the layer runs on each request (choose, preflight_refusal, response_headers), so what it says
is what a browser gets; there is no second implementation of DESIGN §7 here.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import Headers

from bastion import cors, cors_syntax
from bastion.errors import ValidationError


def _versioned(path: str) -> str:
    """The path as the layer sees it: with a leading slash, and `/api/x` served as `/api/v2/x`."""
    path = "/" + path.strip().lstrip("/")
    if path == "/api" or (path.startswith("/api/") and not path.startswith("/api/v2")):
        path = "/api/v2" + path[4:]
    return path


def parse_query(args: Any) -> tuple[str, str, str, list[str]]:
    """origin, path, method and header names from the query, or a 400 naming the bad parameter."""
    errors: dict[str, str] = {}
    origin = (args.get("origin") or "").strip()
    try:
        if cors_syntax.check_origin(origin) == "*" or "://*." in origin:
            errors["origin"] = "give one concrete origin such as https://app.example.com, not a pattern"
    except ValueError as exc:
        errors["origin"] = str(exc) if origin else "is required, e.g. https://app.example.com"
    path = (args.get("path") or "").strip()
    if not path:
        errors["path"] = "is required, e.g. /api/v2/hr/_table/employees"
    method = (args.get("method") or "GET").strip().upper()
    try:
        cors_syntax.check_methods([method])
    except ValueError as exc:
        errors["method"] = str(exc)
    names: list[str] = []
    try:
        names = cors_syntax.check_headers([h for h in (args.get("headers") or "").split(",") if h.strip()])
    except ValueError as exc:
        errors["headers"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return origin, path, method, names


def _rule(rule: cors.CompiledRule | None) -> dict | None:
    return None if rule is None else {"id": rule.id, "path": rule.path}


def explain(origin: str, path: str, method: str, header_names: list[str]) -> dict:
    """The verdict for a cross-origin request and its preflight, as the CORS layer would give them."""
    path = _versioned(path)
    covering = cors.rule_set().covering(path)
    rule = cors.choose(covering, origin)
    requested = ", ".join(header_names)
    refusal = cors.preflight_refusal(rule, path, origin, method, requested)
    asked = Headers({"Origin": origin, cors.REQUEST_METHOD: method})
    if requested:
        asked[cors.REQUEST_HEADERS] = requested
    preflight = cors.response_headers(covering, origin, "OPTIONS", asked, refusal is None)
    actual = cors.response_headers(covering, origin, method, Headers({"Origin": origin}), None)
    return {
        "origin": origin,
        "path": path,
        "method": method,
        "headers": header_names,
        "allowed": refusal is None,
        "reason": refusal or f"rule {rule.id} ({rule.path}) admits the origin, method and headers",
        "rule": _rule(rule),
        "covering": [
            {"id": r.id, "path": r.path, "admits_origin": r.allows_origin(origin)} for r in covering
        ],
        "preflight": {"status": 204 if refusal is None else 403, "headers": preflight},
        "actual": {"headers": actual},
    }
