"""A per-worker snapshot of roles, apps, user roles and lookups, rebuilt when any worker changes one.

Two parts, each rebuilt when its counters move (invalidation.py), in the transaction of the change:
- the role snapshots, on the "roles" or the "access" counter: a role's create or edit bumps "roles", so
  the request after it reads that role (RoleSnapshots), not the apps, assignments and lookups;
- the rest (apps, user roles, lookups), on "access": every write to an app, user, assignment or lookup,
  and a role's deletion (its apps lose it, its assignments go with it).
Any "access" bump rebuilds both, so a writer that bumps only "access" is never served a stale role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask, current_app
from sqlmodel import Session

from bastion import current
from bastion.db import session_scope
from bastion.invalidation import VersionedCache, current_version
from bastion.lookup_index import LookupIndex, build_lookup_index
from bastion.models_access import AccessEntry, App, Role, UserAppRole
from bastion.models_self_service import Lookup

CHUNK = 500  # role ids per IN list when a rebuild reads changed roles


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
    # The decisions of this role that no caller's placeholder took part in (access.decide_for): a role's
    # change replaces its snapshot (RoleSnapshots), and this memo with it.
    decisions: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class AccessIndex:
    """Apps by key hash and id, roles by id, user roles by (user, app), and lookups by owner."""

    apps_by_key: dict[str, AppSnapshot]
    apps: dict[int, AppSnapshot]
    roles: dict[int, RoleSnapshot]
    user_roles: dict[tuple[int, int], int]
    lookups: LookupIndex = field(default_factory=LookupIndex)


class RoleSnapshots:
    """Role snapshots kept across rebuilds: a rebuild reads only the roles written since the last one.

    Every write of a role stamps its revision from the "roles" counter, in commit order
    (models_access.role_stamp), so the roles above the highest revision seen are exactly the roles
    created or edited since. The role count and the sum of all revisions, read first, check that this
    accounts for every row: a deletion lowers the count, and a revision moved any other way (a worker
    still on the code before migration 0015, whose edits add one to a revision; a hand edit) leaves a
    sum the snapshots do not add up to. Then the rebuild lists every id and revision and reads the roles
    whose revision it does not hold.
    """

    def __init__(self) -> None:
        self._revisions: dict[int, int] = {}
        self._snapshots: dict[int, RoleSnapshot] = {}
        self._total = 0  # the sum of self._revisions
        self._seen: int | None = None  # roles above this revision are read again

    def read(self, db: Session, counter: int) -> dict[int, RoleSnapshot]:
        """A snapshot per role, read and decoded again only for roles written since the last read.

        counter is the "roles" counter as this request read it: every role committed after that read
        has a higher revision, so nothing above it is ever taken as seen.
        """
        if self._seen is not None:
            changed = self._read_changes(db, counter)
            if changed is not None:
                return changed
        return self._read_listing(db, counter)

    def _read_changes(self, db: Session, counter: int) -> dict[int, RoleSnapshot] | None:
        """The snapshots with the roles written since the last read; None when they do not account for
        every row (a deletion, or a revision moved other than by a stamp)."""
        connection = db.connection()
        # The totals first: a role deleted before them is missing from them, whatever is created after.
        count, high, low = connection.execute(ROLE_TOTALS).one()
        total = (high or 0) * SPLIT + (low or 0)
        rows = connection.execute(CHANGED_ROLES, {"seen": self._seen}).all()
        snapshots, revisions, changed_total = self._snapshots, self._revisions, self._total
        if rows:
            snapshots, revisions = dict(snapshots), dict(revisions)
            for role in rows:
                snapshots[role.id] = _snapshot(role)
                changed_total += role.revision - revisions.get(role.id, 0)
                revisions[role.id] = role.revision
        if len(snapshots) != count or changed_total != total:
            return None
        self._snapshots, self._revisions, self._total = snapshots, revisions, changed_total
        highest = max((role.revision for role in rows), default=self._seen)
        self._seen = min(max(self._seen, highest), counter)
        return snapshots

    def _read_listing(self, db: Session, counter: int) -> dict[int, RoleSnapshot]:
        """List every role's revision and read the roles whose revision moved or that are new."""
        revisions = _revisions(db)
        # Only the listing's own revisions: a role written after it has a higher one and is read next time.
        seen = min(max(revisions.values(), default=0), counter)
        if revisions == self._revisions:
            self._seen = seen
            return self._snapshots
        # Set operations on the two listings run in C: a Python loop over a thousand roles showed.
        stale = [role_id for role_id, _ in revisions.items() - self._revisions.items()]
        snapshots = dict(self._snapshots)
        for role_id in snapshots.keys() - revisions.keys():
            del snapshots[role_id]  # deleted roles drop out
        read = set()
        for role in _rows(db, stale, everything=len(stale) > len(revisions) // 2):
            read.add(role.id)
            snapshots[role.id] = _snapshot(role)
            # The revision read with the row: a write after the listing shows up at the next rebuild.
            revisions[role.id] = role.revision
        for role_id in set(stale) - read:
            snapshots.pop(role_id, None)  # deleted between the listing and the read
            del revisions[role_id]
        self._revisions, self._snapshots, self._seen = revisions, snapshots, seen
        self._total = sum(revisions.values())
        return snapshots


def _snapshot(role: sa.Row) -> RoleSnapshot:
    entries = tuple(AccessEntry.model_validate(e) for e in role.access)
    return RoleSnapshot(role.id, role.name, bool(role.is_active), entries)


def _revisions(db: Session) -> dict[int, int]:
    """Every role's revision, by id, in the session's transaction."""
    # The driver's own cursor: with a thousand roles, building SQLAlchemy rows (ORM or Core) for this
    # listing cost more than the rest of a rebuild. A fixed statement without parameters.
    cursor = db.connection().connection.dbapi_connection.cursor()
    try:
        cursor.execute("SELECT id, revision FROM role")
        return dict(cursor.fetchall())
    finally:
        cursor.close()


# Built once: Core statements on the session's connection skip the ORM's row handling and, being the
# same objects each time, the per-execution cache-key walk that showed in a rebuild's profile.
_ROLES = Role.__table__
_ROLE_COLUMNS = (_ROLES.c.id, _ROLES.c.revision, _ROLES.c.name, _ROLES.c.is_active, _ROLES.c.access)
ALL_ROLES = sa.select(*_ROLE_COLUMNS)
SOME_ROLES = ALL_ROLES.where(_ROLES.c.id.in_(sa.bindparam("ids", expanding=True)))
CHANGED_ROLES = ALL_ROLES.where(_ROLES.c.revision > sa.bindparam("seen"))
# The sum of revisions in two halves, each summed exactly by every engine (SQLite's sum() refuses to
# overflow 64 bits, and a revision from before migration 0015 may be as large as 2**62).
SPLIT = 2**32
ROLE_TOTALS = sa.select(
    sa.func.count(), sa.func.sum(_ROLES.c.revision // SPLIT), sa.func.sum(_ROLES.c.revision % SPLIT)
)
_APPS = App.__table__
APPS = sa.select(_APPS.c.id, _APPS.c.name, _APPS.c.role_id, _APPS.c.is_active, _APPS.c.api_key_hash)
_ASSIGNMENTS = UserAppRole.__table__
ASSIGNMENTS = sa.select(_ASSIGNMENTS.c.user_id, _ASSIGNMENTS.c.app_id, _ASSIGNMENTS.c.role_id)
_LOOKUPS = Lookup.__table__
LOOKUPS = sa.select(_LOOKUPS.c.owner, _LOOKUPS.c.name, _LOOKUPS.c.value, _LOOKUPS.c.private)


def _rows(db: Session, ids: list[int], everything: bool) -> list:
    """The roles of ids (a role deleted meanwhile is left out); all roles when most are wanted anyway."""
    connection = db.connection()
    if everything:
        wanted = set(ids)
        return [row for row in connection.execute(ALL_ROLES) if row.id in wanted]
    found = []
    for start in range(0, len(ids), CHUNK):  # bounded IN lists: every engine's parameter limit holds
        found += connection.execute(SOME_ROLES, {"ids": ids[start : start + CHUNK]}).all()
    return found


@dataclass(frozen=True)
class _Rest:
    """The apps, user roles and lookups of a snapshot: everything but the roles."""

    apps_by_key: dict[str, AppSnapshot]
    apps: dict[int, AppSnapshot]
    user_roles: dict[tuple[int, int], int]
    lookups: LookupIndex


def _read_roles(role_snapshots: RoleSnapshots) -> dict[int, RoleSnapshot]:
    counter = current_version("roles")
    with session_scope() as db:
        return role_snapshots.read(db, counter)


def _read_rest() -> _Rest:
    with session_scope() as db:
        connection = db.connection()
        apps = connection.execute(APPS).all()
        assignments = connection.execute(ASSIGNMENTS).all()
        lookups = connection.execute(LOOKUPS).all()
    app_snaps = {a.id: AppSnapshot(a.id, a.name, a.role_id, bool(a.is_active)) for a in apps}
    return _Rest(
        apps_by_key={a.api_key_hash: app_snaps[a.id] for a in apps},
        apps=app_snaps,
        user_roles={(x.user_id, x.app_id): x.role_id for x in assignments},
        lookups=build_lookup_index(lookups, current_app.extensions.get("bastion.secrets")),
    )


class AccessIndexCache:
    """The snapshot of a worker: its two parts, each rebuilt on its own counters, joined when one moved."""

    def __init__(self) -> None:
        role_snapshots = RoleSnapshots()
        self._roles = VersionedCache("roles", lambda: _read_roles(role_snapshots), "access")
        self._rest = VersionedCache("access", _read_rest)
        self._joined: tuple[_Rest, dict[int, RoleSnapshot], AccessIndex] | None = None

    def get(self) -> AccessIndex:
        """The snapshot, with each part rebuilt first if its counters moved anywhere."""
        rest, roles = self._rest.get(), self._roles.get()
        joined = self._joined
        if joined is None or joined[0] is not rest or joined[1] is not roles:
            index = AccessIndex(rest.apps_by_key, rest.apps, roles, rest.user_roles, rest.lookups)
            joined = self._joined = (rest, roles, index)
        return joined[2]


def init_app(app: Flask) -> None:
    """Give the app its access snapshot cache, which keeps unchanged roles' snapshots across rebuilds."""
    app.extensions["bastion.access_index"] = AccessIndexCache()


def current_index() -> AccessIndex:
    """The snapshot, rebuilt first if roles, apps, assignments or lookups changed anywhere.

    Kept for the rest of the request: its counters are read once per request (invalidation.py), so every
    check of a request (the key guard, then the view's decisions) uses this one snapshot.
    """
    state = current.state()
    index = state.get("access_index")
    if index is None:
        index = state.access_index = current.extensions()["bastion.access_index"].get()
    return index
