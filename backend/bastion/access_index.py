"""A per-worker snapshot of roles, apps, user roles and lookups, rebuilt when any worker changes one.

Every write to a role, app, user, assignment or lookup bumps the "access" counter (invalidation.py) in
the same transaction, so the next request on every worker and host reads a fresh snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlmodel import select

from bastion.db import session_scope
from bastion.invalidation import VersionedCache
from bastion.lookup_index import LookupIndex, build_lookup_index
from bastion.models_access import AccessEntry, App, Role, UserAppRole
from bastion.models_self_service import Lookup


@dataclass(frozen=True)
class AppSnapshot:
    """What the access decision needs of an app."""

    id: int
    name: str
    role_id: int | None
    is_active: bool


@dataclass(frozen=True)
class RoleSnapshot:
    """What the access decision needs of a role."""

    id: int
    name: str
    is_active: bool
    entries: tuple[AccessEntry, ...]


@dataclass(frozen=True)
class AccessIndex:
    """Apps by key hash and id, roles by id, user roles by (user, app), and lookups by owner."""

    apps_by_key: dict[str, AppSnapshot]
    apps: dict[int, AppSnapshot]
    roles: dict[int, RoleSnapshot]
    user_roles: dict[tuple[int, int], int]
    lookups: LookupIndex = field(default_factory=LookupIndex)


def build_index() -> AccessIndex:
    """Read every role, app and assignment from the system database."""
    with session_scope() as db:
        apps = list(db.exec(select(App)))
        roles = list(db.exec(select(Role)))
        assignments = list(db.exec(select(UserAppRole)))
        lookups = list(db.exec(select(Lookup)))
    app_snaps = {a.id: AppSnapshot(a.id, a.name, a.role_id, a.is_active) for a in apps}
    return AccessIndex(
        apps_by_key={a.api_key_hash: app_snaps[a.id] for a in apps},
        apps=app_snaps,
        roles={
            r.id: RoleSnapshot(
                r.id, r.name, r.is_active, tuple(AccessEntry.model_validate(e) for e in r.access)
            )
            for r in roles
        },
        user_roles={(x.user_id, x.app_id): x.role_id for x in assignments},
        lookups=build_lookup_index(lookups, current_app.extensions.get("bastion.secrets")),
    )


def init_app(app: Flask) -> None:
    """Give the app its access snapshot cache."""
    app.extensions["bastion.access_index"] = VersionedCache("access", build_index)


def current_index() -> AccessIndex:
    """The snapshot, rebuilt first if roles, apps, assignments or lookups changed anywhere."""
    return current_app.extensions["bastion.access_index"].get()
