"""The access snapshot after a role change: the changed role is rebuilt, the others are kept as they were."""

from __future__ import annotations

from sqlmodel import select

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
