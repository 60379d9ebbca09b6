"""The CORS layer (DESIGN §7): which rule covers a request, and the headers that rule earns it.

For every request that carries an `Origin` header:

1. The rule. Enabled rules only, compiled once per change of the "cors" counter (invalidation.py), so
   an edit made on any worker applies from the next request everywhere. A rule's path glob and the
   request path are compared without their leading slash, in time linear in the path's length. Of the
   rules whose glob matches the path AND whose origins admit the request's origin, the longest glob
   decides (on a tie, the one with fewer `*`, then the older rule); rules are never merged. A rule that
   does not admit the origin has no effect on it: a rule added for one app on `api/v2/demo/*` never
   cuts the admin SPA's `api/v2/*` rule off, while a narrower rule that does admit the origin narrows
   it. The request path is the versioned one: `/api/x` is matched as `/api/v2/x`. No rule covers the
   path: the response is left without any CORS header.
2. A preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered here, before the transport
   and network guards and before any credential is read: 204 when a rule admits the origin and that
   rule allows the method and every requested header; otherwise 403 in the error envelope, without an
   allow-origin. A rule that allows POST also allows the verb-tunnel headers (`X-HTTP-Method`,
   `X-HTTP-Method-Override`, `X-Method-Override`): the tunnelled verb is checked against the rule's
   methods on the actual request (tunnel.py), since the preflight never sees it.
3. Every other response of a covered path, errors and 500s included, gets `Vary: Origin` (which rule
   decides depends on the origin); when a rule admits the origin and allows the request's method it
   also gets `Access-Control-Allow-Origin` (the request's own origin, never `*`), the credentials flag
   and the exposed headers, so that a browser client can read a 401 or 403.

Requests without an `Origin` header are not CORS requests and skip the layer, at no database cost.
The admin API's tester (cors_explain.py) calls the same rule_set, choose, preflight_refusal and
response_headers, so what it reports is what a browser gets.

The header values come from flask-cors (`serialize_options` once per rule, `get_cors_headers` per
response). The decisions do not: flask-cors picks resources by regex order rather than the longest glob,
still sends the allow-origin with a refused preflight, accepts a preflight whose headers are only partly
allowed, and sends `Vary: Origin` only for some origin lists. It is handed our compiled, anchored
patterns for origins and headers, so its matching agrees with ours.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Request, Response
from flask_cors.core import ACL_REQUEST_HEADER_PRIVATE_NETWORK, get_cors_headers, serialize_options
from sqlmodel import select

from bastion import cors_syntax, current, usage
from bastion.db import session_scope
from bastion.errors import Forbidden
from bastion.invalidation import VersionedCache
from bastion.models import CorsRule

log = logging.getLogger("bastion")

REQUEST_METHOD = "Access-Control-Request-Method"
REQUEST_HEADERS = "Access-Control-Request-Headers"
MEMO_LIMIT = 10_000  # distinct request paths remembered per rule set; record ids make paths unbounded
MEMO_PATH_LIMIT = 512  # longer paths are matched every time rather than remembered
ANSWERS_LIMIT = 256  # actual-request answers remembered per rule; Origin values are the client's choice
_ANY = re.compile(r".*\Z", re.DOTALL)
# The verb-tunnel headers (tunnel.py, which cannot be imported here: it imports this module).
TUNNEL_HEADERS = ("X-HTTP-Method", "X-HTTP-Method-Override", "X-Method-Override")
# Response headers the platform sets for clients to read (api/write_body.py), exposed whenever sent.
PLATFORM_EXPOSED = ("X-Ignored-Fields",)


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready for matching, with its flask-cors options built once."""

    id: int
    path: str
    glob: cors_syntax.Glob
    origins: tuple[re.Pattern, ...]
    methods: frozenset[str]
    headers: frozenset[str]
    any_header: bool
    options: Any
    # The headers of an actual (non-preflight) request depend on nothing but these three; the rule is
    # rebuilt when any rule changes (the "cors" counter), and the answers with it.
    answers: dict[tuple[str, str, str | None], dict[str, str]] = field(default_factory=dict, compare=False)

    def allows_origin(self, origin: str) -> bool:
        """Whether the Origin header value is one of the rule's origins."""
        return any(pattern.match(origin) for pattern in self.origins)

    def refused_headers(self, requested: list[str]) -> list[str]:
        """The requested header names the rule does not allow (compared case-insensitively)."""
        if self.any_header:
            return []
        return [name for name in requested if name.lower() not in self.headers]


def _header_pattern(name: str) -> re.Pattern:
    return _ANY if name == "*" else re.compile(re.escape(name) + r"\Z", re.IGNORECASE)


def compile_rule(rule: CorsRule) -> CompiledRule:
    """Compile a saved rule; ValueError if its stored fields break the grammar."""
    path = cors_syntax.check_path(rule.path)
    origins = cors_syntax.check_origins(rule.origins)
    headers = cors_syntax.check_headers(rule.headers)
    if rule.supports_credentials and "*" in origins:
        raise ValueError("'*' in origins together with supports_credentials")
    patterns = tuple(cors_syntax.origin_regex(o) for o in origins)
    methods = cors_syntax.check_methods(rule.methods)
    if "POST" in methods:
        # A POST may tunnel another verb (tunnel.py), which the actual request checks against the
        # rule's methods; the preflight, which never sees that verb, lets the headers through.
        headers = [*headers, *(h for h in TUNNEL_HEADERS if h.lower() not in {x.lower() for x in headers})]
    options = serialize_options(
        {
            "origins": list(patterns),
            "allow_headers": [_header_pattern(h) for h in headers],
            "expose_headers": cors_syntax.check_headers(rule.exposed_headers) or None,
            "methods": methods,
            "max_age": rule.max_age or None,
            "supports_credentials": rule.supports_credentials,
            "send_wildcard": False,
            "vary_header": False,  # Vary: Origin is ours to send, on every covered response
            "always_send": False,
            "automatic_options": False,
            "intercept_exceptions": False,
        }
    )
    return CompiledRule(
        id=rule.id or 0,
        path=path,
        glob=cors_syntax.Glob.compile(path),
        origins=patterns,
        methods=frozenset(methods),
        headers=frozenset(h.lower() for h in headers),
        any_header="*" in headers,
        options=options,
    )


def _specificity(rule: CompiledRule) -> tuple[int, int, int]:
    return cors_syntax.specificity(rule.path, rule.id)


class RuleSet:
    """Enabled rules, most specific first, indexed by the literal start of their glob.

    A lookup tries only the rules whose literal prefix begins the path (one dict probe per distinct
    prefix length), and remembers per path the rules that cover it, most specific first: the set is
    rebuilt on every change, so the memo never outlives the rules it was computed from. The origin is
    checked per request against those few rules; it is not part of the memo's key, so a client cannot
    grow the memo by inventing origins.
    """

    def __init__(self, rules: list[CompiledRule]) -> None:
        self.rules = sorted(rules, key=_specificity)
        self._by_prefix: dict[str, list[int]] = {}
        for index, rule in enumerate(self.rules):
            self._by_prefix.setdefault(rule.glob.first, []).append(index)
        self._lengths = sorted({len(prefix) for prefix in self._by_prefix})
        self._memo: dict[str, tuple[CompiledRule, ...]] = {}

    def covering(self, path: str) -> tuple[CompiledRule, ...]:
        """The rules whose glob matches a request path, most specific first (whatever the origin)."""
        key = cors_syntax.normalize_path(path)
        # One dict operation: another thread may clear the memo between a test and a read.
        remembered = self._memo.get(key)
        if remembered is not None:
            return remembered
        candidates: list[int] = []
        for length in self._lengths:
            if length > len(key):
                break
            candidates.extend(self._by_prefix.get(key[:length], ()))
        found = tuple(self.rules[i] for i in sorted(candidates) if self.rules[i].glob.matches(key))
        if len(key) > MEMO_PATH_LIMIT:
            return found  # matching it again is linear anyway; remembering it would let paths fill memory
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = found
        return found

    def match(self, path: str, origin: str) -> CompiledRule | None:
        """The rule that decides for this origin on this path (DESIGN §7), or None."""
        return choose(self.covering(path), origin)


def choose(covering: tuple[CompiledRule, ...], origin: str) -> CompiledRule | None:
    """Of the rules covering a path (most specific first), the first one that admits the origin."""
    return next((rule for rule in covering if rule.allows_origin(origin)), None)


def build_rule_set(rows: list[CorsRule]) -> RuleSet:
    """Compile the enabled rules; a stored rule that no longer compiles is skipped and logged."""
    compiled = []
    for row in rows:
        if not row.enabled:
            continue
        try:
            compiled.append(compile_rule(row))
        except ValueError as exc:
            log.warning("CORS rule %s (%r) is ignored: %s", row.id, row.path, exc)
    return RuleSet(compiled)


def _load() -> RuleSet:
    with session_scope() as db:
        return build_rule_set(list(db.exec(select(CorsRule).where(CorsRule.enabled == True))))  # noqa: E712


def preflight_refusal(
    rule: CompiledRule | None, path: str, origin: str, method: str, headers: str
) -> str | None:
    """Why a preflight is refused, or None when the deciding rule allows the method and every header.

    `rule` is the rule that decides for this origin (RuleSet.match); None when no rule admits it.
    """
    if rule is None or not rule.allows_origin(origin):
        return f"Origin '{origin}' is not allowed on '{path}'"
    if method.upper() not in rule.methods:
        return f"Method '{method}' is not allowed for cross-origin requests on '{path}'"
    refused = rule.refused_headers([h.strip() for h in headers.split(",") if h.strip()])
    if refused:
        return f"Header(s) {', '.join(refused)} not allowed for cross-origin requests on '{path}'"
    return None


def rule_set() -> RuleSet:
    """The enabled rules of the current app, rebuilt first if any rule changed anywhere."""
    return current.extensions()["bastion.cors"].get()


def _covering_rules(asked: Request, state: Any) -> tuple[CompiledRule, ...]:
    # Asked by the preflight layer and again for the response: matched once per request (state is `g`).
    found = state.get("cors_rules")
    if found is None:
        found = state.cors_rules = rule_set().covering(asked.path)
    return found


def response_headers(
    covering: tuple[CompiledRule, ...], origin: str, method: str, request_headers: Any, preflight: bool | None
) -> dict[str, str]:
    """The CORS headers a response gets: `Vary: Origin` on a covered path, and when the deciding rule
    admits the origin and allowed the preflight (or, for an actual request, the method) the allow-origin,
    credentials, exposed headers, and for a preflight the methods, headers and max age."""
    return _decided(covering, origin, method, request_headers, preflight)[1]


def _decided(
    covering: tuple[CompiledRule, ...], origin: str, method: str, request_headers: Any, preflight: bool | None
) -> tuple[CompiledRule | None, dict[str, str]]:
    """The rule admitting the origin (None when none does) and the headers of response_headers()."""
    if not covering:
        return None, {}
    rule = choose(covering, origin)
    if rule is None:
        return None, {"Vary": "Origin"}
    if not (preflight if preflight is not None else method in rule.methods):
        return rule, {"Vary": "Origin"}
    if preflight is not None or method == "OPTIONS":
        return rule, _computed(rule, method, request_headers)
    key = (origin, method, request_headers.get(ACL_REQUEST_HEADER_PRIVATE_NETWORK))
    answer = rule.answers.get(key)
    if answer is None:
        answer = _computed(rule, method, request_headers)
        if len(rule.answers) < ANSWERS_LIMIT:
            rule.answers[key] = answer
    return rule, answer


def _computed(rule: CompiledRule, method: str, request_headers: Any) -> dict[str, str]:
    found = get_cors_headers(rule.options, request_headers, method)
    return {"Vary": "Origin", **{name: str(value) for name, value in found.items()}}


def _answer_preflight() -> Response | None:
    asked = current.asked()
    if asked.method != "OPTIONS":
        return None
    origin = current.header(asked, "Origin")
    if not origin or REQUEST_METHOD not in asked.headers:
        return None
    state = current.state()
    refusal = preflight_refusal(
        choose(_covering_rules(asked, state), origin),
        asked.path,
        origin,
        asked.headers[REQUEST_METHOD],
        asked.headers.get(REQUEST_HEADERS, ""),
    )
    state.cors_preflight = refusal is None
    if refusal is not None:
        raise Forbidden(f"CORS preflight refused: {refusal}")
    answer = Response(status=204)
    del answer.headers["Content-Type"]
    return answer


def _add_headers(response: Response) -> Response:
    asked = current.asked()
    origin = current.header(asked, "Origin")
    if not origin:
        return response
    state = current.state()
    covering = _covering_rules(asked, state)
    admitting, found = _decided(covering, origin, asked.method, asked.headers, state.get("cors_preflight"))
    if admitting is not None:
        usage.rule_admitted(admitting.id, response)
    if found:
        _put(response, found)
    return response


def _put(response: Response, found: dict[str, str]) -> None:
    """Set the CORS headers found for the response, with one scan of the headers it already has."""
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    for name, value in found.items():
        if name == "Vary":
            # A Vary the view set is merged with ours (werkzeug parses and rewrites it); else one add.
            if "vary" in present:
                response.vary.add(value)
            else:
                headers.add(name, value)
        elif name.lower() in present:
            headers[name] = value
        else:
            headers.add(name, value)
    if any(name.lower() in present for name in PLATFORM_EXPOSED):
        _expose_platform_headers(response)


def _expose_platform_headers(response: Response) -> None:
    """Let a page read the headers the platform adds to answers it may read (X-Ignored-Fields)."""
    if "Access-Control-Allow-Origin" not in response.headers:
        return
    listed = response.headers.get("Access-Control-Expose-Headers", "")
    exposed = [h.strip() for h in listed.split(",") if h.strip()]
    known = {h.lower() for h in exposed}
    extra = [h for h in PLATFORM_EXPOSED if h in response.headers and h.lower() not in known]
    if extra:
        response.headers["Access-Control-Expose-Headers"] = ", ".join(exposed + extra)


def init_app(app: Flask) -> None:
    """Give the app its rule cache; hook in before the guards and authentication (init order matters)."""
    app.extensions["bastion.cors"] = VersionedCache("cors", _load)
    app.before_request(_answer_preflight)
    app.after_request(_add_headers)
