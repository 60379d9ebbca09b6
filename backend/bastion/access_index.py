"""A per-worker snapshot of roles, apps and user roles, rebuilt when any worker changes one.

Every write to a role, app, user or assignment bumps the "access" counter (invalidation.py) in the same
transaction, so the next request on every worker and host reads a fresh snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlmodel import select

from bastion.db import session_scope
from bastion.invalidation import VersionedCache
from bastion.models_access import AccessEntry, App, Role, UserAppRole


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
    """Apps by key hash and id, roles by id, and user roles by (user, app)."""

    apps_by_key: dict[str, AppSnapshot]
    apps: dict[int, AppSnapshot]
    roles: dict[int, RoleSnapshot]
    user_roles: dict[tuple[int, int], int]


def build_index() -> AccessIndex:
    """Read every role, app and assignment from the system database."""
    with session_scope() as db:
        apps = list(db.exec(select(App)))
        roles = list(db.exec(select(Role)))
        assignments = list(db.exec(select(UserAppRole)))
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
    )


def init_app(app: Flask) -> None:
    """Give the app its access snapshot cache."""
    app.extensions["bastion.access_index"] = VersionedCache("access", build_index)


def current_index() -> AccessIndex:
    """The snapshot, rebuilt first if roles, apps or assignments changed anywhere."""
    return current_app.extensions["bastion.access_index"].get()
