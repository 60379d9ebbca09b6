"""May they: the one access decision asked by every data path (DESIGN §4).

Every data operation (list, count, get, create, update, bulk update, delete, bulk delete, docs,
_schema, listings, explain) asks decide_for() through one of its keyword-only doors: ensure() grants or
raises, grants_by_verb()/allowed_verbs() tell what a caller may do on a component, table_access() what
docs and _schema may show, reaches() whether a service is listed. A grant carries the row conditions to
AND into the query and the columns that may be read or written. The component grammar lives in
components.py.

Precedence, for the effective role of the request:
1. Sys admins get everything, with no row filters.
2. Otherwise an API key is required. The effective role is the user's role for that app if one is
   assigned, else the app's default role; never a role the user has for another app.
3. Of the role's entries, those naming the service count before those for all services (service null).
   Within a group only the most specific level that matches the component counts: the exact component,
   then `prefix/*` (longest prefix first; `x/*` also matches `x`), then `*`. So a specific entry can
   narrow a broader one. At that level, the first entry listing the verb decides; none means denied.
4. The `api_docs` pseudo-service (component `<svc>` or `*`) takes only entries that name it: an
   all-services entry is never a docs grant (DESIGN §9).

A decision that no placeholder took part in depends on nothing but the role, verb, service and component,
so decide_for() remembers it on the role's snapshot, which a change of the role replaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bastion import components
from bastion.access_index import AccessIndex, RoleSnapshot, current_index
from bastion.components import Component
from bastion.errors import Forbidden, Unauthorized
from bastion.models_access import AccessEntry
from bastion.service_types import HTTP_TYPE
from bastion.verbs import VERBS


@dataclass(frozen=True)
class RowFilter:
    """One row condition of a role entry, its value already resolved ({user.id} etc.).

    `private` marks a value that came from a private lookup: explain and the logs show it masked.
    """

    name: str
    operator: str
    value: Any = None
    private: bool = False
    escape: str | None = None  # the LIKE escape character, when a placeholder's value was escaped


@dataclass(frozen=True)
class Grant:
    """What a caller may do on one component: row conditions and the visible columns."""

    filters: tuple[RowFilter, ...] = ()
    filter_op: str = "AND"
    fields: frozenset[str] | None = None  # None means every column

    def allows_column(self, name: str) -> bool:
        """Whether the caller may read or write the column."""
        return self.fields is None or name in self.fields


FULL_GRANT = Grant()


@dataclass(frozen=True)
class Decision:
    """The outcome and why: the effective role, the deciding entry and the grant (when allowed)."""

    allowed: bool
    reason: str
    role: RoleSnapshot | None = None
    entry: AccessEntry | None = None
    grant: Grant | None = None
    status: int = 403
    extra: dict = field(default_factory=dict)


DOCS_SERVICE = components.DOCS_SERVICE


def denial(verb: str, service: str, component: Component | str) -> Forbidden:
    """The 403 that says what was denied."""
    return Forbidden(f"{verb} on component '{component}' of service '{service}' is not allowed")


def effective_role(index: AccessIndex, user_id: int | None, app_id: int) -> RoleSnapshot | None:
    """The user's role for this app, else the app's default role; never another app's role."""
    role_id = index.user_roles.get((user_id, app_id)) if user_id is not None else None
    if role_id is None:
        app = index.apps.get(app_id)
        role_id = app.role_id if app else None
    return index.roles.get(role_id) if role_id is not None else None


def matching_entries(role: RoleSnapshot, service: str, component: Component | str) -> list[AccessEntry]:
    """The entries at the most specific level that matches, service-named entries first.

    The `api_docs` pseudo-service takes only entries that name it: an all-services entry is no docs grant.
    """
    service = service.lower()
    named = [e for e in role.entries if e.service is not None and e.service.lower() == service]
    if service == DOCS_SERVICE:
        return components.most_specific_docs(named, str(component), lambda e: e.component)
    wanted = components.of(component)
    if wanted is None:
        return []
    general = [e for e in role.entries if e.service is None]
    for group in (named, general):
        level = components.most_specific(group, wanted, lambda e: e.component)
        if level:
            return level
    return []


# Remembered per role snapshot (decide_for); service and component names come from request URLs.
DECISIONS_LIMIT = 1024
PLACEHOLDER = re.compile(r"\{(user\.id|user\.email|app\.id|lookup\.[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})\}")
LOOKUP_PREFIX = "lookup."


class UnresolvedPlaceholder(Exception):
    """A row filter names {user.*} without a signed-in user, or a {lookup.<name>} nobody defines."""


def _value(name: str, context: dict[str, Any]) -> Any:
    if name.startswith(LOOKUP_PREFIX):
        find = context.get("lookup")
        return find(name.removeprefix(LOOKUP_PREFIX)) if find else None
    return context.get(name)


def _resolve(value: Any, context: dict[str, Any]) -> Any:
    if not isinstance(value, str) or not PLACEHOLDER.search(value):
        return value
    resolved = {name: _value(name, context) for name in PLACEHOLDER.findall(value)}
    if any(v is None for v in resolved.values()):
        raise UnresolvedPlaceholder(value)
    whole = PLACEHOLDER.fullmatch(value)
    if whole:
        return resolved[whole.group(1)]
    return PLACEHOLDER.sub(lambda m: str(resolved[m.group(1)]), value)


def _is_private(value: Any, context: dict[str, Any]) -> bool:
    if not isinstance(value, str) or "{" + LOOKUP_PREFIX not in value:
        return False
    private = context.get("lookup_private")
    names = [n.removeprefix(LOOKUP_PREFIX) for n in PLACEHOLDER.findall(value) if n.startswith(LOOKUP_PREFIX)]
    return bool(private) and any(private(name) for name in names)


LIKE_ESCAPE = "/"
LIKE_SPECIAL = re.compile(r"[%_/]")


def _escape_like(text: str) -> str:
    return LIKE_SPECIAL.sub(lambda m: LIKE_ESCAPE + m.group(0), text)


def _resolve_pattern(pattern: str, context: dict[str, Any]) -> str:
    """A `like` pattern with each placeholder's value escaped; the pattern's own `/` escaped too."""
    pieces, at = [], 0
    for found in PLACEHOLDER.finditer(pattern):
        # The pattern's own wildcards stay wildcards; only the escape character is made literal.
        pieces.append(pattern[at : found.start()].replace(LIKE_ESCAPE, LIKE_ESCAPE * 2))
        pieces.append(_escape_like(str(_resolve(found.group(0), context))))
        at = found.end()
    pieces.append(pattern[at:].replace(LIKE_ESCAPE, LIKE_ESCAPE * 2))
    return "".join(pieces)


def _resolve_items(text: str, context: dict[str, Any]) -> tuple[Any, ...]:
    """An `in` list's items, each resolved on its own: a caller's value never splits into several items.

    A lookup (set by an admin) that is the whole item may still hold a comma-separated list, as it could
    in DreamFactory's filter text.
    """
    items: list[Any] = []
    for item in (part.strip() for part in text.split(",")):
        value = _resolve(item, context)
        whole = PLACEHOLDER.fullmatch(item)
        if whole and whole.group(1).startswith(LOOKUP_PREFIX) and isinstance(value, str):
            items.extend(part.strip() for part in value.split(","))
        else:
            items.append(value)
    return tuple(items)  # a grant is hashed as part of a compiled read's key


def _row_filter(spec: Any, context: dict[str, Any]) -> RowFilter:
    value, escape = spec.value, None
    templated = isinstance(value, str) and PLACEHOLDER.search(value) is not None
    operator = " ".join(str(spec.operator).lower().split())  # as data.operators.normalize does
    if templated and operator == "like":
        value, escape = _resolve_pattern(value, context), LIKE_ESCAPE
    elif templated and operator in ("in", "not in"):
        value = _resolve_items(value, context)
    else:
        value = _resolve(value, context)
    return RowFilter(spec.name, spec.operator, value, _is_private(spec.value, context), escape)


def grant_for(entry: AccessEntry, context: dict[str, Any]) -> Grant:
    """The grant of one entry, its placeholders resolved for the caller."""
    filters = tuple(_row_filter(f, context) for f in entry.filters)
    fields = frozenset(entry.fields) if entry.fields is not None else None
    return Grant(filters=filters, filter_op=entry.filter_op, fields=fields)


def evaluate(
    role: RoleSnapshot | None, verb: str, service: str, component: Component | str, context: dict
) -> Decision:
    """Decide for a known effective role; shared by requests and explain."""
    if role is None:
        return Decision(False, "no role applies to this app and user")
    if not role.is_active:
        return Decision(False, f"role '{role.name}' is inactive", role)
    level = matching_entries(role, service, component)
    entry = next((e for e in level if verb in e.verbs), None)
    if entry is None:
        why = (
            "no entry of the role matches" if not level else "the most specific matching entry lacks the verb"
        )
        return Decision(False, why, role, level[0] if level else None)
    try:
        grant = grant_for(entry, context)
    except UnresolvedPlaceholder:
        why = "the entry's row filter needs a signed-in user or a lookup that is not set"
        return Decision(False, why, role, entry)
    return Decision(True, "allowed by the entry", role, entry, grant)


def decide_for(
    identity: Any, index: AccessIndex, verb: str, service: str, component: Component | str
) -> Decision:
    """The full decision for an identity (user and/or app)."""
    if identity.is_admin:
        return Decision(True, "sys admin", grant=FULL_GRANT)
    if identity.app is None:
        return Decision(False, _missing_credentials(identity), status=401)
    user = identity.user
    user_id = user.id if user else None
    role = effective_role(index, user_id, identity.app.id)
    key = (verb, service, component)
    if role is not None:
        known = role.decisions.get(key)
        if known is not None:
            return known
    context = {
        "user.id": user_id,
        "user.email": user.email if user else None,
        "app.id": identity.app.id,
        # Resolved only when an entry's filter names a lookup (and private ones only then opened).
        "lookup": lambda name: index.lookups.resolve(name, user_id, role.id if role else None),
        "lookup_private": lambda name: index.lookups.is_private(name, user_id, role.id if role else None),
    }
    decision = evaluate(role, verb, service, component, context)
    if role is not None and _context_free(decision):
        if len(role.decisions) >= DECISIONS_LIMIT:
            role.decisions.clear()  # forgetting costs one evaluation per key
        role.decisions[key] = decision
    return decision


def _context_free(decision: Decision) -> bool:
    """Whether any caller with the same role gets this decision: no placeholder of its entry resolved."""
    entry = decision.entry
    return entry is None or not any(
        isinstance(spec.value, str) and PLACEHOLDER.search(spec.value) for spec in entry.filters
    )


def _raise(decision: Decision, verb: str, service: str, component: Component | str) -> None:
    if decision.status == 401:
        raise Unauthorized(f"Authentication required: {decision.reason}")
    raise denial(verb, service, component)


def ensure(
    *, identity: Any, verb: str, service: str, component: Component | str, index: AccessIndex | None = None
) -> Grant:
    """The grant for one request, or raise: 401 without usable credentials, 403 naming what was denied."""
    decision = decide_for(identity, index or current_index(), verb, service, component)
    if not decision.allowed:
        _raise(decision, verb, service, component)
    return decision.grant


def ensure_caller(*, identity: Any) -> None:
    """Raise 401 unless the caller is an admin or has an app (a role can apply); cheap, before any I/O."""
    if not identity.is_admin and identity.app is None:
        raise Unauthorized(f"Authentication required: {_missing_credentials(identity)}")


def _missing_credentials(identity: Any) -> str:
    return "an API key is required" if identity.user else "no credentials were sent"


def grants_by_verb(
    *, identity: Any, service: str, component: Component | str, index: AccessIndex | None = None
) -> dict[str, Grant]:
    """The grant of each verb allowed on a component, each decided exactly like a real request."""
    index = index or current_index()
    grants = {}
    for verb in VERBS:
        decision = decide_for(identity, index, verb, service, component)
        if decision.allowed:
            grants[verb] = decision.grant
    return grants


def allowed_verbs(
    *, identity: Any, service: str, component: Component | str, index: AccessIndex | None = None
) -> list[str]:
    """The verbs the caller may use on a component."""
    return list(grants_by_verb(identity=identity, service=service, component=component, index=index))


def _named_components(identity: Any, index: AccessIndex, service: str) -> list[str]:
    role = effective_role(index, identity.user.id if identity.user else None, identity.app.id)
    if role is None:
        return []
    wanted = service.lower()
    return [e.component for e in role.entries if e.service is None or e.service.lower() == wanted]


def named_components(*, identity: Any, service: str, index: AccessIndex | None = None) -> list[str]:
    """The components the caller's role names for a service (its own entries and all-services ones)."""
    if identity.is_admin or identity.app is None:
        return []
    return _named_components(identity, index or current_index(), service)


def reaches(
    *,
    identity: Any,
    service: str,
    kind: str,
    tables_only: bool = False,
    index: AccessIndex | None = None,
) -> bool:
    """Whether some verb is allowed on some component of the service (on some `_table/<t>`, or path
    of an HTTP service, when tables_only: what a role-built API document is made of).

    `kind` is the service's type: an HTTP service is probed on its paths only, a database service on
    its tables and schemas only. Every component the role can tell apart is probed through the one
    decision (components.probes), so this needs no reflection of the service's schema.
    """
    if identity.is_admin:
        return True
    if identity.app is None:
        return False
    index = index or current_index()
    paths = kind == HTTP_TYPE
    probes = components.probes(_named_components(identity, index, service), paths=paths)
    if tables_only:
        # A remote HTTP service's document is made of its paths, a database service's of its tables.
        made_of = components.PATH if paths else components.TABLE
        probes = [p for p in probes if p.resource == made_of and p.table]
    return any(allowed_verbs(identity=identity, service=service, component=p, index=index) for p in probes)


def has_docs_grant(*, identity: Any, service: str, index: AccessIndex | None = None) -> bool:
    """Whether the caller may read a service's full document: admins, or an entry naming `api_docs`."""
    if identity.is_admin:
        return True
    if identity.app is None:
        return False
    return decide_for(identity, index or current_index(), "GET", DOCS_SERVICE, service).allowed


@dataclass(frozen=True)
class TableAccess:
    """What a caller may do with one table: a grant per allowed verb, and its `_schema` grant (or None)."""

    verbs: dict[str, Grant]
    schema: Grant | None


def _union(grants: Iterable[Grant]) -> frozenset[str] | None:
    fields: set[str] = set()
    for grant in grants:
        if grant.fields is None:
            return None
        fields |= grant.fields
    return frozenset(fields)


def table_access(
    *, identity: Any, service: str, table: str, folds: bool = True, index: AccessIndex | None = None
) -> TableAccess:
    """The verbs on `_table/<t>` and what `_schema/<t>` may show: only columns some verb may use.

    Metadata follows data: a table no verb reaches has no schema for the caller, and the schema's columns
    are those of its own grant that some verb on the table may also see.
    """
    index = index or current_index()
    verbs = grants_by_verb(
        identity=identity, service=service, component=components.table(table, folds), index=index
    )
    decision = decide_for(identity, index, "GET", service, components.schema(table, folds))
    if not verbs or not decision.allowed:
        return TableAccess(verbs, None)
    seen = _union(verbs.values())
    own = decision.grant.fields
    fields = own if seen is None else (seen if own is None else own & seen)
    return TableAccess(verbs, Grant(decision.grant.filters, decision.grant.filter_op, fields))
