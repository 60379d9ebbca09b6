"""The audit trail: every change to a system table is recorded in the transaction that makes it.

Nothing has to remember to call it. A listener on every ORM session notes, at each flush, the rows added,
changed or deleted in any system table except UNAUDITED ones; just before the commit it writes one event
per resource changed in the transaction (a user and their app roles are one change), so the change and
its event are committed or rolled back together. Bookkeeping columns (audit_redact.IGNORED_FIELDS) alone
make no event: a login's last_login_at is recorded as the login. What no row shows (a login, a failed
login, a logout, a session ended) is added with record().

Who acts: the actor bound with acting_as() (the CLI), else what the web layer's
provider says (the request's admin, its address and request id), else "system".
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from bastion.models import utcnow
from bastion.models_audit import AuditEvent
from bastion.services.audit_redact import IGNORED_FIELDS, clean, shown

# Tables whose rows are not resources an admin edits: logins, throttle counts, cache counters, the
# trail itself, and user app roles (shown on their user's event, see note_field()).
UNAUDITED = frozenset({"session_token", "throttle_event", "cache_version", "audit_event", "user_app_role"})
# An update that changes only these fields gets its own action name.
SECRET_ONLY_ACTIONS = (
    (frozenset({"password_hash"}), "set_password"),
    (frozenset({"api_key_hash", "key_fingerprint"}), "rotate_key"),
)
PENDING = "bastion.audit.pending"
_numbers = itertools.count()


@dataclass(frozen=True)
class Actor:
    """Who makes a change and from where; email is "cli" or "system" when no account acts."""

    id: int | None
    email: str | None
    address: str | None = None
    request_id: str | None = None


CLI = Actor(id=None, email="cli")
SYSTEM = Actor(id=None, email="system")
_bound: ContextVar[Actor | None] = ContextVar("bastion_audit_actor", default=None)
_provider: list[Callable[[], Actor | None]] = []


def set_provider(provider: Callable[[], Actor | None]) -> None:
    """Register how the web layer names the current request's actor (called once per process)."""
    _provider[:] = [provider]


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Bind an actor for the changes made inside the block."""
    token = _bound.set(actor)
    try:
        yield
    finally:
        _bound.reset(token)


def current_actor() -> Actor:
    """The bound actor, else the request's, else "system"."""
    bound = _bound.get()
    if bound is not None:
        return bound
    found = _provider[0]() if _provider else None
    return found or SYSTEM


@dataclass
class Pending:
    """One event being gathered in a transaction."""

    action: str
    resource_type: str
    resource_id: str | None
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    raw_changed: set = field(default_factory=set)
    actor: Actor | None = None


def _pending(db: OrmSession) -> dict[tuple, Pending]:
    return db.info.setdefault(PENDING, {})


def resource_type_of(row: Any) -> str:
    """The resource type an event names: admin or user for accounts, else the table's name."""
    table = type(row).__tablename__
    if table == "user":
        return "admin" if getattr(row, "is_sys_admin", False) else "user"
    return table


def _identity(row: Any) -> str | None:
    key = sa.inspect(row).mapper.primary_key_from_instance(row)
    return None if any(part is None for part in key) else ",".join(str(part) for part in key)


def _snapshot(row: Any) -> dict:
    mapper = sa.inspect(row).mapper
    keys = {c.key for c in mapper.primary_key} | IGNORED_FIELDS  # the id is the event's resource_id
    fields = (shown(a.key, getattr(row, a.key)) for a in mapper.column_attrs if a.key not in keys)
    return {name: value for name, value in fields if value is not None and value != ""}


def _changes(row: Any) -> tuple[dict, dict, set]:
    before, after, raw = {}, {}, set()
    state = sa.inspect(row)
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if attr.key in IGNORED_FIELDS or not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        raw.add(attr.key)
        name, before[name] = shown(attr.key, old)
        after[name] = shown(attr.key, new)[1]
    return before, after, raw


def _merge(db: OrmSession, key: tuple, incoming: Pending) -> None:
    pending = _pending(db)
    known = pending.get(key)
    if known is None:
        pending[key] = incoming
        return
    # A resource created or deleted in the transaction stays so, whatever else was noted about it.
    if incoming.action == "delete" or (incoming.action == "create" and known.action == "update"):
        known.action = incoming.action
    if known.action != "create":  # a resource created in the transaction had no "before"
        for name, value in incoming.before.items():
            known.before.setdefault(name, value)
    known.after.update(incoming.after)
    known.raw_changed |= incoming.raw_changed


def _track(db: OrmSession, row: Any, action: str) -> None:
    if getattr(type(row), "__tablename__", None) in UNAUDITED or not hasattr(type(row), "__tablename__"):
        return
    if action == "update":
        before, after, raw = _changes(row)
        if not raw:
            return
    elif action == "create":
        before, after, raw = {}, _snapshot(row), set()
    else:
        before, after, raw = _snapshot(row), {}, set()
    kind, ident = resource_type_of(row), _identity(row)
    _merge(db, (kind, ident), Pending(action, kind, ident, before, after, raw))


def note_field(db: OrmSession, kind: str, row_id: int, name: str, before: Any, after: Any) -> None:
    """Add a field the row itself does not hold (a user's app roles) to that resource's event."""
    if before == after:
        return
    change = Pending("update", kind, str(row_id), {name: clean(before)}, {name: clean(after)}, {name})
    _merge(db, (kind, str(row_id)), change)


def record(
    db: OrmSession,
    action: str,
    resource_type: str,
    resource_id: Any = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    actor: Actor | None = None,
) -> None:
    """Add an event that no row change shows (a login, a logout, a refusal) to the transaction."""
    ident = None if resource_id is None else str(resource_id)
    event_ = Pending(action, resource_type, ident, clean(before or {}), clean(after or {}), actor=actor)
    _pending(db)[("record", next(_numbers))] = event_


def _action(pending: Pending) -> str:
    if pending.action != "update":
        return pending.action
    for fields, name in SECRET_ONLY_ACTIONS:
        if pending.raw_changed and pending.raw_changed <= fields:
            return name
    if pending.before == pending.after and pending.raw_changed:
        return "reseal"  # only sealed secrets changed (bastion rotate-key)
    return "update"


def _cut(text: str | None, length: int) -> str | None:
    # Cut to the column's size: a strict MySQL would otherwise refuse the event, and the change with it.
    return None if text is None else text[:length]


def _event(pending: Pending, actor: Actor) -> AuditEvent:
    who = pending.actor or actor
    return AuditEvent(
        at=utcnow(),
        actor_id=who.id,
        actor_email=_cut(who.email, 255),
        address=_cut(who.address or actor.address, 64),
        request_id=_cut(who.request_id or actor.request_id, 64),
        action=_cut(_action(pending), 32),
        resource_type=_cut(pending.resource_type, 32),
        resource_id=_cut(pending.resource_id, 64),
        before=pending.before or None,
        after=pending.after or None,
    )


@event.listens_for(OrmSession, "after_flush")
def _after_flush(db: OrmSession, _context: Any) -> None:
    for row in db.new:
        _track(db, row, "create")
    for row in db.dirty:
        _track(db, row, "update")
    for row in db.deleted:
        _track(db, row, "delete")


@event.listens_for(OrmSession, "before_commit")
def _before_commit(db: OrmSession) -> None:
    db.flush()  # changes added but not yet flushed are noted now, not lost
    pending = db.info.pop(PENDING, None)
    if not pending:
        return
    actor = current_actor()
    db.add_all([_event(p, actor) for p in pending.values()])
    db.flush()


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(db: OrmSession) -> None:
    db.info.pop(PENDING, None)
