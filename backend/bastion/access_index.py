"""A per-worker snapshot of roles, apps, user roles and lookups, rebuilt when any worker changes one.

Every write to a role, app, user, assignment or lookup bumps the "access" counter (invalidation.py) in
the same transaction, so the next request on every worker and host reads a fresh snapshot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask, current_app
from sqlmodel import Session, select

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


class RoleSnapshots:
    """Role snapshots kept across rebuilds: a role whose row is unchanged keeps its snapshot.

    Decoding and validating a role's entries is most of a rebuild's cost with many or large roles, so
    the rows are read with their entries as text and only a row whose text differs from the last
    rebuild's is decoded: the request after a role change pays for that role, not for every role.
    """

    def __init__(self) -> None:
        self._kept: dict[int, tuple[tuple, RoleSnapshot]] = {}

    def read(self, db: Session) -> dict[int, RoleSnapshot]:
        """A snapshot per role, rebuilt only for rows that differ from the last read's."""
        text = sa.cast(Role.access, sa.Text)  # the stored text, never decoded by the driver
        rows = db.exec(select(Role.id, Role.name, Role.is_active, text))
        kept, fresh = self._kept, {}
        for role_id, name, is_active, access in rows:
            row = (name, bool(is_active), access)
            previous = kept.get(role_id)
            if previous is None or previous[0] != row:
                entries = tuple(AccessEntry.model_validate(e) for e in json.loads(access))
                previous = (row, RoleSnapshot(role_id, name, bool(is_active), entries))
            fresh[role_id] = previous
        self._kept = fresh  # deleted roles drop out
        return {role_id: snapshot for role_id, (_, snapshot) in fresh.items()}


def build_index(role_snapshots: RoleSnapshots | None = None) -> AccessIndex:
    """Read every role, app and assignment from the system database."""
    with session_scope() as db:
        apps = list(db.exec(select(App)))
        roles = (role_snapshots or RoleSnapshots()).read(db)
        assignments = list(db.exec(select(UserAppRole)))
        lookups = list(db.exec(select(Lookup)))
    app_snaps = {a.id: AppSnapshot(a.id, a.name, a.role_id, a.is_active) for a in apps}
    return AccessIndex(
        apps_by_key={a.api_key_hash: app_snaps[a.id] for a in apps},
        apps=app_snaps,
        roles=roles,
        user_roles={(x.user_id, x.app_id): x.role_id for x in assignments},
        lookups=build_lookup_index(lookups, current_app.extensions.get("bastion.secrets")),
    )


def init_app(app: Flask) -> None:
    """Give the app its access snapshot cache, which keeps unchanged roles' snapshots across rebuilds."""
    roles = RoleSnapshots()
    app.extensions["bastion.access_index"] = VersionedCache("access", lambda: build_index(roles))


def current_index() -> AccessIndex:
    """The snapshot, rebuilt first if roles, apps, assignments or lookups changed anywhere."""
    return current_app.extensions["bastion.access_index"].get()
