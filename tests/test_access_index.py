"""The access snapshot after a role change: the changed role is rebuilt, the others are kept as they were."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from sqlmodel import select

from bastion import access_index
from bastion.access_index import current_index
from bastion.db import session_scope
from bastion.invalidation import bump
from bastion.models_access import Role

ENTRY = {"service": "hr", "component": "_table/notes", "verbs": ["GET"]}


def _index(app):
    with app.test_request_context():
        return current_index()


def _change(app, role_name: str, **fields) -> None:
    with app.app_context(), session_scope() as db:
        role = db.exec(select(Role).where(Role.name == role_name)).one()
        for key, value in fields.items():
            setattr(role, key, value)
        db.add(role)
        bump(db, "access")


def test_a_role_change_rebuilds_that_role_only_and_every_change_shows(app):
    with app.app_context(), session_scope() as db:
        x, y = Role(name="x", access=[ENTRY]), Role(name="y", access=[ENTRY])
        db.add_all([x, y])
        db.flush()
        ids = {"x": x.id, "y": y.id}
        bump(db, "access")
    before = _index(app)
    _change(app, "x", access=[ENTRY | {"verbs": ["GET", "POST"]}])
    after = _index(app)
    assert after is not before
    assert after.roles[ids["y"]] is before.roles[ids["y"]]  # kept, not decoded or validated again
    assert after.roles[ids["x"]] is not before.roles[ids["x"]]
    assert after.roles[ids["x"]].entries[0].verbs == ["GET", "POST"]
    _change(app, "y", is_active=False)
    assert _index(app).roles[ids["y"]].is_active is False
    _change(app, "y", name="renamed")
    assert _index(app).roles[ids["y"]].name == "renamed"
    with app.app_context(), session_scope() as db:
        db.delete(db.get(Role, ids["y"]))
        bump(db, "access")
    assert ids["y"] not in _index(app).roles


def _statements(app, action) -> list[str]:
    """The SQL statements the system database ran during action()."""
    seen: list[str] = []
    engine = app.extensions["bastion.db"]

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def _listings(monkeypatch) -> list[int]:
    """Counts the rebuilds' listings of every role's revision (read on the driver's cursor, which the
    engine's statement events do not see)."""
    calls: list[int] = []
    listing = access_index._revisions
    monkeypatch.setattr(access_index, "_revisions", lambda db: calls.append(1) or listing(db))
    return calls


def test_every_write_stamps_a_higher_revision_and_a_rebuild_reads_only_the_roles_above(app, monkeypatch):
    with app.app_context(), session_scope() as db:
        roles = [Role(name=f"r{i}", access=[ENTRY]) for i in range(4)]
        db.add_all(roles)
        db.flush()
        ids = [r.id for r in roles]
        revisions = [r.revision for r in roles]
        bump(db, "access")
    assert len(set(revisions)) == 4  # one stamp per row, even inside one flush
    _index(app)
    _change(app, "r1", access=[ENTRY | {"verbs": ["GET", "PATCH"]}])
    _change(app, "r1", is_active=False)
    with app.app_context(), session_scope() as db:
        stamped = {role_id: db.get(Role, role_id).revision for role_id in ids}
    assert stamped[ids[1]] > max(revisions) and stamped[ids[0]] == revisions[0]
    listings = _listings(monkeypatch)
    statements = _statements(app, lambda: _index(app))
    # One read of entries, of the roles above the highest revision seen; no listing of every role.
    full_reads = [s for s in statements if "role.access" in s and "FROM role" in s]
    assert len(full_reads) == 1 and "role.revision >" in full_reads[0], statements
    assert listings == []
    rebuilt = _index(app).roles[ids[1]]
    assert rebuilt.is_active is False and rebuilt.entries[0].verbs == ["GET", "PATCH"]


def test_a_role_deleted_while_another_is_created_drops_out(app):
    # The count alone would match (one gone, one new): the new role's row shows the kept one is gone.
    with app.app_context(), session_scope() as db:
        db.add_all([Role(name="stays", access=[ENTRY]), Role(name="goes", access=[ENTRY])])
        bump(db, "access")
    before = _index(app)
    gone = next(r.id for r in before.roles.values() if r.name == "goes")
    with app.app_context(), session_scope() as db:
        db.delete(db.get(Role, gone))
        db.add(Role(name="arrives", access=[ENTRY]))
        bump(db, "access")
    names = {r.name for r in _index(app).roles.values()}
    assert "goes" not in names and {"stays", "arrives"} <= names


def test_a_role_deleted_alone_drops_out_and_the_others_are_kept(app):
    with app.app_context(), session_scope() as db:
        db.add_all([Role(name="kept", access=[ENTRY]), Role(name="deleted", access=[ENTRY])])
        bump(db, "access")
    before = _index(app)
    kept, deleted = (next(r.id for r in before.roles.values() if r.name == n) for n in ("kept", "deleted"))
    with app.app_context(), session_scope() as db:
        db.delete(db.get(Role, deleted))
        bump(db, "access")
    after = _index(app)
    assert deleted not in after.roles and after.roles[kept] is before.roles[kept]


def _unstamped(app, name: str, revision_sql: str, verbs: list[str]) -> None:
    """A role write that does not stamp (a worker still on the code before migration 0015, a hand edit)."""
    access = sa.bindparam("access", [ENTRY | {"verbs": verbs}], type_=sa.JSON)
    with app.app_context(), session_scope() as db:
        db.exec(
            sa.update(Role)
            .where(Role.name == name)
            .values(revision=sa.literal_column(revision_sql), access=access)
            .execution_options(synchronize_session=False)
        )
        bump(db, "roles")


def test_an_edit_that_adds_one_to_a_revision_is_seen_next_to_a_stamped_one(app):
    # What the code before migration 0015 does on an edit (revision + 1, below the highest seen), while
    # a stamped edit of another role lands in the same rebuild: the sum of revisions tells.
    with app.app_context(), session_scope() as db:
        db.add_all([Role(name="old-style", access=[ENTRY]), Role(name="stamped", access=[ENTRY])])
        bump(db, "access")
    _index(app)
    _unstamped(app, "old-style", "revision + 1", ["GET", "DELETE"])
    _change(app, "stamped", access=[ENTRY | {"verbs": ["GET", "PUT"]}])
    roles = {r.name: r for r in _index(app).roles.values()}
    assert roles["old-style"].entries[0].verbs == ["GET", "DELETE"]
    assert roles["stamped"].entries[0].verbs == ["GET", "PUT"]


def test_a_revision_far_above_the_counter_does_not_hide_later_stamps_from_the_read_of_changes(
    app, monkeypatch
):
    # The code before migration 0015 gave a new role a random revision up to 2**62: taking it as the
    # highest seen would hide every later stamp, so nothing above the request's counter counts as seen.
    with app.app_context(), session_scope() as db:
        db.add_all([Role(name="random", access=[ENTRY]), Role(name="later", access=[ENTRY])])
        bump(db, "access")
    _index(app)
    _unstamped(app, "random", str(2**62 - 5), ["GET", "PATCH"])
    assert next(r for r in _index(app).roles.values() if r.name == "random").entries[0].verbs[1] == "PATCH"
    listings = _listings(monkeypatch)
    for verbs in (["GET", "POST"], ["GET", "PUT"]):
        _change(app, "later", access=[ENTRY | {"verbs": verbs}])
        assert next(r for r in _index(app).roles.values() if r.name == "later").entries[0].verbs == verbs
    # Read as changes: the listing of every revision would find them too, at a thousand roles' cost.
    assert listings == []


def test_stamps_follow_commit_order(app):
    """A second writer gets its stamp only once the first committed: the counter's row is held till then."""
    with app.app_context(), session_scope() as db:
        db.add_all([Role(name="first", access=[ENTRY]), Role(name="second", access=[ENTRY])])
        bump(db, "access")
    stamps: dict[str, int] = {}

    def write(name: str, started: threading.Event | None = None) -> None:
        with app.app_context(), session_scope() as db:
            role = db.exec(select(Role).where(Role.name == name)).one()
            role.description = "edited"
            db.add(role)
            db.flush()
            stamps[name] = role.revision
            if started is not None:
                started.set()
                time.sleep(0.6)  # hold the transaction open while the other writer tries

    held = threading.Event()
    first = threading.Thread(target=write, args=("first", held))
    first.start()
    assert held.wait(10)
    second = threading.Thread(target=write, args=("second",))
    second.start()
    second.join(0.3)
    assert second.is_alive(), "the second writer took a stamp while the first was still open"
    first.join(10)
    second.join(10)
    assert stamps["second"] > stamps["first"]


def test_a_role_deleted_and_made_again_under_its_id_is_read_again(app):
    with app.app_context(), session_scope() as db:
        old = Role(name="old", access=[ENTRY])
        db.add(old)
        db.flush()
        old_id = old.id
        bump(db, "access")
    assert _index(app).roles[old_id].entries[0].verbs == ["GET"]
    with app.app_context(), session_scope() as db:
        db.delete(db.get(Role, old_id))
        db.flush()
        # The same id again (SQLite would reuse it anyway), stamped above every revision seen.
        db.add(Role(id=old_id, name="new", access=[ENTRY | {"verbs": ["DELETE"]}]))
        bump(db, "access")
    again = _index(app).roles[old_id]
    assert again.name == "new" and again.entries[0].verbs == ["DELETE"]


def test_a_role_edit_rebuilds_the_roles_and_keeps_apps_assignments_and_lookups(app):
    with app.app_context(), session_scope() as db:
        db.add(Role(name="edited", access=[ENTRY]))
        bump(db, "access")
    before = _index(app)

    def edit():
        with app.app_context(), session_scope() as db:
            role = db.exec(select(Role).where(Role.name == "edited")).one()
            role.access = [ENTRY | {"verbs": ["GET", "PUT"]}]
            db.add(role)
            bump(db, "roles")  # what services.roles does for a create or an edit

    edit()
    statements = _statements(app, lambda: _index(app))
    after = _index(app)
    assert after is not before and after.apps is before.apps and after.user_roles is before.user_roles
    assert not [s for s in statements if "FROM app" in s or "FROM user_app_role" in s], statements
    edited = next(r for r in after.roles.values() if r.name == "edited")
    assert edited.entries[0].verbs == ["GET", "PUT"]


def test_a_change_of_no_role_keeps_every_role_snapshot_without_a_listing(app, monkeypatch):
    # An app, assignment or lookup change moves "access", which rebuilds the roles too: no row is above
    # the highest revision seen, and the count and sum agree, so every snapshot is kept as it was.
    with app.app_context(), session_scope() as db:
        db.add_all([Role(name="steady", access=[ENTRY]), Role(name="also", access=[ENTRY])])
        bump(db, "access")
    before = _index(app)
    listings = _listings(monkeypatch)
    for _ in range(2):
        with app.app_context(), session_scope() as db:
            bump(db, "access")
        after = _index(app)
        assert after is not before and after.roles is before.roles
    assert listings == []


def test_an_access_bump_alone_rebuilds_the_roles_too(app):
    # A writer that bumps only "access" (a role's deletion, or any future one) is never served a stale role.
    with app.app_context(), session_scope() as db:
        db.add(Role(name="shared", access=[ENTRY]))
        bump(db, "access")
    _index(app)
    _change(app, "shared", is_active=False)  # bumps "access"
    assert next(r for r in _index(app).roles.values() if r.name == "shared").is_active is False


def test_the_role_api_moves_the_roles_counter_and_a_deletion_the_access_counter(app, client, admin_headers):
    from bastion.invalidation import current_version

    def counters():
        with app.test_request_context():
            return current_version("roles"), current_version("access")

    # A role write moves "roles" twice: once for its revision's stamp, once for the push (services.save).
    start = counters()
    created = client.post("/api/v2/system/role", json={"name": "api-role"}, headers=admin_headers).json
    assert counters() == (start[0] + 2, start[1])
    client.patch(f"/api/v2/system/role/{created['id']}", json={"description": "d"}, headers=admin_headers)
    assert counters() == (start[0] + 4, start[1])
    client.delete(f"/api/v2/system/role/{created['id']}", headers=admin_headers)
    assert counters()[1] == start[1] + 1
    with app.test_request_context():
        assert created["id"] not in current_index().roles
