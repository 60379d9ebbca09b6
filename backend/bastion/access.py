"""May they: the one access decision asked by every data path (DESIGN §4).

Every data operation (list, count, get, create, update, bulk update, delete, bulk delete, docs,
_schema) calls decide(); a denial raises, a grant carries the row conditions to AND into the query and
the columns that may be read or written.

Precedence, for the effective role of the request:
1. Sys admins get everything, with no row filters.
2. Otherwise an API key is required. The effective role is the user's role for that app if one is
   assigned, else the app's default role; never a role the user has for another app.
3. Of the role's entries, those naming the service count before those for all services (service null).
   Within a group only the most specific level that matches the component counts: the exact component,
   then `prefix/*` (longest prefix first; `x/*` also matches `x`), then `*`. So a specific entry can
   narrow a broader one. At that level, the first entry listing the verb decides; none means denied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bastion.access_index import AccessIndex, RoleSnapshot
from bastion.errors import Forbidden, Unauthorized
from bastion.models_access import AccessEntry


@dataclass(frozen=True)
class RowFilter:
    """One row condition of a role entry, its value already resolved ({user.id} etc.)."""

    name: str
    operator: str
    value: Any = None


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


def denial(verb: str, service: str, component: str) -> Forbidden:
    """The 403 that says what was denied."""
    return Forbidden(f"{verb} on component '{component}' of service '{service}' is not allowed")


def effective_role(index: AccessIndex, user_id: int | None, app_id: int) -> RoleSnapshot | None:
    """The user's role for this app, else the app's default role; never another app's role."""
    role_id = index.user_roles.get((user_id, app_id)) if user_id is not None else None
    if role_id is None:
        app = index.apps.get(app_id)
        role_id = app.role_id if app else None
    return index.roles.get(role_id) if role_id is not None else None


def _most_specific(entries: list[AccessEntry], component: str) -> list[AccessEntry]:
    wanted = component.lower()
    exact = [e for e in entries if e.component.lower() == wanted]
    if exact:
        return exact
    prefixed = []
    for entry in entries:
        comp = entry.component.lower()
        if comp.endswith("/*") and (wanted == comp[:-2] or wanted.startswith(comp[:-1])):
            prefixed.append((len(comp), entry))
    if prefixed:
        longest = max(length for length, _ in prefixed)
        return [e for length, e in prefixed if length == longest]
    return [e for e in entries if e.component == "*"]


def matching_entries(role: RoleSnapshot, service: str, component: str) -> list[AccessEntry]:
    """The entries at the most specific level that matches, service-named entries first."""
    named = [e for e in role.entries if e.service is not None and e.service.lower() == service.lower()]
    general = [e for e in role.entries if e.service is None]
    for group in (named, general):
        level = _most_specific(group, component)
        if level:
            return level
    return []


PLACEHOLDER = re.compile(r"\{(user\.id|user\.email|app\.id)\}")


class UnresolvedPlaceholder(Exception):
    """A row filter names {user.*} but the request has no signed-in user."""


def _resolve(value: Any, context: dict[str, Any]) -> Any:
    if not isinstance(value, str) or not PLACEHOLDER.search(value):
        return value
    names = PLACEHOLDER.findall(value)
    if any(context.get(n) is None for n in names):
        raise UnresolvedPlaceholder(value)
    whole = PLACEHOLDER.fullmatch(value)
    if whole:
        return context[whole.group(1)]
    return PLACEHOLDER.sub(lambda m: str(context[m.group(1)]), value)


def grant_for(entry: AccessEntry, context: dict[str, Any]) -> Grant:
    """The grant of one entry, its placeholders resolved for the caller."""
    filters = tuple(RowFilter(f.name, f.operator, _resolve(f.value, context)) for f in entry.filters)
    fields = frozenset(entry.fields) if entry.fields is not None else None
    return Grant(filters=filters, filter_op=entry.filter_op, fields=fields)


def evaluate(role: RoleSnapshot | None, verb: str, service: str, component: str, context: dict) -> Decision:
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
        return Decision(False, "the entry's row filter needs a signed-in user", role, entry)
    return Decision(True, "allowed by the entry", role, entry, grant)


def decide_for(identity: Any, index: AccessIndex, verb: str, service: str, component: str) -> Decision:
    """The full decision for an identity (user and/or app)."""
    if identity.is_admin:
        return Decision(True, "sys admin", grant=FULL_GRANT)
    if identity.app is None:
        status = 401
        reason = "an API key is required" if identity.user else "no credentials were sent"
        return Decision(False, reason, status=status)
    user = identity.user
    role = effective_role(index, user.id if user else None, identity.app.id)
    context = {
        "user.id": user.id if user else None,
        "user.email": user.email if user else None,
        "app.id": identity.app.id,
    }
    return evaluate(role, verb, service, component, context)


def decide(identity: Any, index: AccessIndex, verb: str, service: str, component: str) -> Grant:
    """Grant or raise: 401 without usable credentials, 403 naming what was denied."""
    decision = decide_for(identity, index, verb, service, component)
    if decision.allowed:
        return decision.grant
    if decision.status == 401:
        raise Unauthorized(f"Authentication required: {decision.reason}")
    raise denial(verb, service, component)


def reachable_services(identity: Any, index: AccessIndex, services: list[str]) -> list[str]:
    """The services the caller has any entry granting any verb for."""
    if identity.is_admin:
        return services
    if identity.app is None:
        return []
    user_id = identity.user.id if identity.user else None
    role = effective_role(index, user_id, identity.app.id)
    if role is None or not role.is_active:
        return []
    entries = [e for e in role.entries if e.verbs]
    if any(e.service is None for e in entries):
        return services
    named = {e.service.lower() for e in entries}
    return [s for s in services if s.lower() in named]
