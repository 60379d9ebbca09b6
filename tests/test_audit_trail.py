"""Every write through the admin API (and the account endpoints) leaves exactly one audit event, no secret.

The cases are keyed by the url_map's rules: a new write endpoint without a case here fails
test_every_write_endpoint_has_a_case, so no endpoint can be added without deciding its event.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bastion.db import session_scope
from bastion.models import SessionToken, User
from bastion.models_access import App
from bastion.models_audit import AuditEvent
from bastion.secrets import MASK
from bastion.services import codes, registration
from tests.conftest import ADMIN_PASSWORD, add_sqlite_service, create_admin_user, login

NEW_PASSWORD = "brand new password 42"
OTHER_PASSWORD = "other admin password 7"
USER_PASSWORD = "plain user password 9"
SERVICE_SECRET = "pw-SERVICE-secret-123"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
AUDITED_PREFIXES = ("/api/v2/system", "/api/v2/user")


def write_endpoints(app) -> set[tuple[str, str]]:
    """(method, rule) of every write the platform answers under the admin and account prefixes."""
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(AUDITED_PREFIXES)
        for method in (rule.methods or set()) & WRITES
    }


class World:
    """One of each resource, made before the call under test, and the secrets that must never show."""

    def __init__(self, app, client, headers, tmp_path):
        self.flask_app, self.client, self.headers = app, client, headers
        self.service = add_sqlite_service(
            client, headers, tmp_path / "hr.db", ["CREATE TABLE t (id INTEGER)"]
        )
        self.role = self._post("/api/v2/system/role", {"name": "reader", "access": []})
        self.app = self._post("/api/v2/system/app", {"name": "web", "role_id": self.role["id"]})
        user = {"email": "u@example.com", "name": "U", "password": USER_PASSWORD}
        user["app_roles"] = [{"app_id": self.app["id"], "role_id": self.role["id"]}]
        self.user = self._post("/api/v2/system/user", user)
        self.other = create_admin_user(app, email="other@example.com", password=OTHER_PASSWORD)
        self.rule = self._post(
            "/api/v2/system/cors", {"path": "api/v2/hr/*", "origins": ["https://a.example"]}
        )
        self.user_token = login(client, "u@example.com", USER_PASSWORD, "/api/v2/user/session").get_json()[
            "session_token"
        ]
        self.other_token = login(client, self.other["email"], OTHER_PASSWORD).get_json()["session_token"]
        findings = client.get("/api/v2/system/advisor", headers=headers).get_json()["resource"]
        self.muted, self.finding = findings[0]["id"], findings[1]["id"]
        mute = {"id": self.muted, "reason": "accepted for the test"}
        assert client.post("/api/v2/system/advisor/mute", json=mute, headers=headers).status_code == 200
        self.lookup = self._post(
            "/api/v2/system/lookup", {"name": "region", "value": LOOKUP_SECRET, "private": True}
        )
        opened = {
            "enabled": True,
            "skip_confirmation": True,
            "apps": [{"app_id": self.app["id"], "role_id": self.role["id"]}],
        }
        assert client.put("/api/v2/system/registration", json=opened, headers=headers).status_code == 200
        self.pending_code = self._pending_registrant(app)
        self._post("/api/v2/system/custom", {"name": "banner", "value": "hello"})
        mine = client.post("/api/v2/user/custom", json={"name": "theme"}, headers=_as(self.user_token))
        assert mine.status_code == 201, mine.get_json()
        self.secrets = [NEW_PASSWORD, OTHER_PASSWORD, USER_PASSWORD, ADMIN_PASSWORD, SERVICE_SECRET]
        self.secrets += [self.app["api_key"], self.user_token, self.other_token, headers["Authorization"][7:]]
        self.secrets += [LOOKUP_SECRET, self.pending_code]

    def _pending_registrant(self, app) -> str:
        """A registrant who has not confirmed yet, and the code they were e-mailed."""
        with app.app_context(), session_scope() as db:
            hashed = registration.hashed(NEW_PASSWORD)
            user = registration.create_account(
                db, "pending@example.com", "P", hashed, self.app["id"], self.role["id"], active=False
            )
            return codes.issue(db, user, "confirm", 30, app.config["SETTINGS"].app_key)

    def _post(self, path: str, body: dict) -> dict:
        response = self.client.post(path, json=body, headers=self.headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def session_id(self, token_owner_email: str) -> int:
        with self.flask_app.app_context(), session_scope() as db:
            user = db.exec(select(User).where(User.email == token_owner_email)).one()
            return db.exec(select(SessionToken.id).where(SessionToken.user_id == user.id)).first()


def _as(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _call(w: World, method: str, path: str, body=None, headers=None):
    return w.client.open(path, method=method, json=body, headers=headers or w.headers)


LOOKUP_SECRET = "lookup-secret-value-7"
ANONYMOUS_WRITES = {("POST", "/api/v2/user/register"), ("POST", "/api/v2/user/confirm")}
S = "/api/v2/system"
CASES = {
    ("POST", f"{S}/admin/session"): lambda w: login(w.client, w.other["email"], OTHER_PASSWORD),
    ("PUT", f"{S}/admin/session"): lambda w: _call(
        w, "PUT", f"{S}/admin/session", headers=_as(w.other_token)
    ),
    ("DELETE", f"{S}/admin/session"): lambda w: _call(
        w, "DELETE", f"{S}/admin/session", headers=_as(w.other_token)
    ),
    ("POST", f"{S}/admin"): lambda w: _call(
        w, "POST", f"{S}/admin", {"email": "n@example.com", "name": "N", "password": NEW_PASSWORD}
    ),
    ("PUT", f"{S}/admin/<id:admin_id>"): lambda w: _call(
        w, "PUT", f"{S}/admin/{w.other['id']}", {"name": "Renamed", "password": NEW_PASSWORD}
    ),
    ("PATCH", f"{S}/admin/<id:admin_id>"): lambda w: _call(
        w, "PATCH", f"{S}/admin/{w.other['id']}", {"password": NEW_PASSWORD}
    ),
    ("DELETE", f"{S}/admin/<id:admin_id>"): lambda w: _call(w, "DELETE", f"{S}/admin/{w.other['id']}"),
    ("POST", f"{S}/service"): lambda w: _call(
        w,
        "POST",
        f"{S}/service",
        {
            "name": "remote",
            "config": {
                "engine": "postgresql",
                "host": "127.0.0.1",
                "port": 5999,
                "database": "x",
                "username": "u",
                "password": SERVICE_SECRET,
            },
        },
    ),
    ("PUT", f"{S}/service/<id:service_id>"): lambda w: _call(
        w, "PUT", f"{S}/service/{w.service['id']}", {"label": "HR"}
    ),
    ("PATCH", f"{S}/service/<id:service_id>"): lambda w: _call(
        w, "PATCH", f"{S}/service/{w.service['id']}", {"description": "people"}
    ),
    ("DELETE", f"{S}/service/<id:service_id>"): lambda w: _call(
        w, "DELETE", f"{S}/service/{w.service['id']}"
    ),
    ("POST", f"{S}/service/<id:service_id>/test"): lambda w: _call(
        w, "POST", f"{S}/service/{w.service['id']}/test"
    ),
    ("POST", f"{S}/role"): lambda w: _call(w, "POST", f"{S}/role", {"name": "writer"}),
    ("PUT", f"{S}/role/<id:role_id>"): lambda w: _call(
        w, "PUT", f"{S}/role/{w.role['id']}", {"description": "d"}
    ),
    ("PATCH", f"{S}/role/<id:role_id>"): lambda w: _call(
        w, "PATCH", f"{S}/role/{w.role['id']}", {"is_active": False}
    ),
    ("DELETE", f"{S}/role/<id:role_id>"): lambda w: _call(w, "DELETE", f"{S}/role/{w.role['id']}"),
    ("POST", f"{S}/app"): lambda w: _call(w, "POST", f"{S}/app", {"name": "mobile"}),
    ("PUT", f"{S}/app/<id:app_id>"): lambda w: _call(
        w, "PUT", f"{S}/app/{w.app['id']}", {"description": "d"}
    ),
    ("PATCH", f"{S}/app/<id:app_id>"): lambda w: _call(
        w, "PATCH", f"{S}/app/{w.app['id']}", {"role_id": None}
    ),
    ("POST", f"{S}/app/<id:app_id>/rotate-key"): lambda w: _call(
        w, "POST", f"{S}/app/{w.app['id']}/rotate-key"
    ),
    ("DELETE", f"{S}/app/<id:app_id>"): lambda w: _call(w, "DELETE", f"{S}/app/{w.app['id']}"),
    ("POST", f"{S}/user"): lambda w: _call(
        w, "POST", f"{S}/user", {"email": "v@example.com", "name": "V", "password": NEW_PASSWORD}
    ),
    ("PUT", f"{S}/user/<id:user_id>"): lambda w: _call(
        w, "PUT", f"{S}/user/{w.user['id']}", {"password": NEW_PASSWORD, "app_roles": []}
    ),
    ("PATCH", f"{S}/user/<id:user_id>"): lambda w: _call(
        w, "PATCH", f"{S}/user/{w.user['id']}", {"name": "W"}
    ),
    ("DELETE", f"{S}/user/<id:user_id>"): lambda w: _call(w, "DELETE", f"{S}/user/{w.user['id']}"),
    ("POST", f"{S}/cors"): lambda w: _call(
        w, "POST", f"{S}/cors", {"path": "api/v2/x/*", "origins": ["https://b.example"]}
    ),
    ("PUT", f"{S}/cors/<id:rule_id>"): lambda w: _call(w, "PUT", f"{S}/cors/{w.rule['id']}", {"max_age": 60}),
    ("PATCH", f"{S}/cors/<id:rule_id>"): lambda w: _call(
        w, "PATCH", f"{S}/cors/{w.rule['id']}", {"enabled": False}
    ),
    ("DELETE", f"{S}/cors/<id:rule_id>"): lambda w: _call(w, "DELETE", f"{S}/cors/{w.rule['id']}"),
    ("POST", f"{S}/advisor/mute"): lambda w: _call(
        w, "POST", f"{S}/advisor/mute", {"id": w.finding, "reason": "known and accepted"}
    ),
    ("POST", f"{S}/advisor/unmute"): lambda w: _call(w, "POST", f"{S}/advisor/unmute", {"id": w.muted}),
    ("DELETE", f"{S}/session/<id:session_id>"): lambda w: _call(
        w, "DELETE", f"{S}/session/{w.session_id('u@example.com')}"
    ),
    ("DELETE", f"{S}/session"): lambda w: _call(w, "DELETE", f"{S}/session?user_id={w.user['id']}"),
    ("POST", "/api/v2/user/session"): lambda w: login(
        w.client, "u@example.com", USER_PASSWORD, "/api/v2/user/session"
    ),
    ("PUT", "/api/v2/user/session"): lambda w: _call(
        w, "PUT", "/api/v2/user/session", headers=_as(w.user_token)
    ),
    ("DELETE", "/api/v2/user/session"): lambda w: _call(
        w, "DELETE", "/api/v2/user/session", headers=_as(w.user_token)
    ),
    ("POST", "/api/v2/user/password"): lambda w: _call(
        w,
        "POST",
        "/api/v2/user/password",
        {"old_password": USER_PASSWORD, "new_password": NEW_PASSWORD},
        headers=_as(w.user_token),
    ),
}


# Each system resource's batch forms, aimed at one record so that exactly one event is expected.
BATCH_TARGETS = {
    "admin": (lambda w: w.other["id"], {"name": "Renamed"}),
    "app": (lambda w: w.app["id"], {"description": "d"}),
    "cors": (lambda w: w.rule["id"], {"max_age": 60}),
    "role": (lambda w: w.role["id"], {"description": "d"}),
    "service": (lambda w: w.service["id"], {"description": "people"}),
    "user": (lambda w: w.user["id"], {"name": "W"}),
    "lookup": (lambda w: w.lookup["id"], {"value": "another secret"}),
}


def _batch_case(method: str, resource: str):
    target, change = BATCH_TARGETS[resource]
    if method == "DELETE":
        return lambda w: _call(w, "DELETE", f"{S}/{resource}?ids={target(w)}")
    return lambda w: _call(w, method, f"{S}/{resource}", {"resource": [{"id": target(w), **change}]})


PROFILE = {"first_name": "Pat", "phone": "+44 20 7946 0000"}
for _method in ("DELETE", "PATCH", "PUT"):
    for _resource in BATCH_TARGETS:
        CASES[(_method, f"{S}/{_resource}")] = _batch_case(_method, _resource)
for _method in ("POST", "PUT", "PATCH"):
    CASES[(_method, "/api/v2/user/profile")] = lambda w, m=_method: _call(
        w, m, "/api/v2/user/profile", PROFILE, headers=_as(w.user_token)
    )
    CASES[(_method, f"{S}/admin/profile")] = lambda w, m=_method: _call(w, m, f"{S}/admin/profile", PROFILE)
CASES[("DELETE", f"{S}/cache")] = lambda w: _call(w, "DELETE", f"{S}/cache")
CASES[("DELETE", f"{S}/cache/<name>")] = lambda w: _call(w, "DELETE", f"{S}/cache/{w.service['name']}")
for _prefix, _name, _who in ((f"{S}/custom", "banner", None), ("/api/v2/user/custom", "theme", "user")):
    CASES[("POST", _prefix)] = lambda w, p=_prefix, u=_who: _call(
        w, "POST", p, {"name": "new", "value": [1]}, headers=_as(w.user_token) if u else None
    )
    CASES[("DELETE", _prefix)] = lambda w, p=_prefix, n=_name, u=_who: _call(
        w, "DELETE", f"{p}?ids={n}", headers=_as(w.user_token) if u else None
    )
    CASES[("DELETE", f"{_prefix}/<name>")] = lambda w, p=_prefix, n=_name, u=_who: _call(
        w, "DELETE", f"{p}/{n}", headers=_as(w.user_token) if u else None
    )
    for _method in ("PUT", "PATCH"):
        CASES[(_method, _prefix)] = lambda w, m=_method, p=_prefix, n=_name, u=_who: _call(
            w, m, p, {"resource": [{"name": n, "value": 2}]}, headers=_as(w.user_token) if u else None
        )
        CASES[(_method, f"{_prefix}/<name>")] = lambda w, m=_method, p=_prefix, n=_name, u=_who: _call(
            w, m, f"{p}/{n}", {"value": 3}, headers=_as(w.user_token) if u else None
        )
CASES[("POST", f"{S}/lookup")] = lambda w: _call(w, "POST", f"{S}/lookup", {"name": "tier", "value": "gold"})
for _method in ("PUT", "PATCH"):
    CASES[(_method, f"{S}/lookup/<id:lookup_id>")] = lambda w, m=_method: _call(
        w, m, f"{S}/lookup/{w.lookup['id']}", {"value": "another secret"}
    )
    CASES[(_method, f"{S}/registration")] = lambda w, m=_method: _call(
        w, m, f"{S}/registration", {"skip_confirmation": False}
    )
CASES[("DELETE", f"{S}/lookup/<id:lookup_id>")] = lambda w: _call(w, "DELETE", f"{S}/lookup/{w.lookup['id']}")
CASES[("POST", "/api/v2/user/register")] = lambda w: _call(
    w,
    "POST",
    "/api/v2/user/register",
    {"email": "new@example.com", "new_password": NEW_PASSWORD},
    headers={"X-Api-Key": w.app["api_key"]},
)
CASES[("POST", "/api/v2/user/confirm")] = lambda w: _call(
    w, "POST", "/api/v2/user/confirm", {"email": "pending@example.com", "code": w.pending_code}, headers={}
)
CASES[("POST", f"{S}/admin/password")] = lambda w: _call(
    w,
    "POST",
    f"{S}/admin/password",
    {"old_password": OTHER_PASSWORD, "new_password": NEW_PASSWORD},
    headers=_as(w.other_token),
)


def _events_after(app, last_id: int) -> list[dict]:
    with app.app_context(), session_scope() as db:
        rows = db.exec(select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id))
        return [r.model_dump(mode="json") for r in rows]


def _last_id(app) -> int:
    with app.app_context(), session_scope() as db:
        return db.exec(select(sa.func.coalesce(sa.func.max(AuditEvent.id), 0))).one()


def _stored_hashes(app) -> list[str]:
    with app.app_context(), session_scope() as db:
        hashes = [u.password_hash for u in db.exec(select(User))]
        hashes += [a.api_key_hash for a in db.exec(select(App))]
        hashes += [t.token_hash for t in db.exec(select(SessionToken))]
        return hashes


def test_every_write_endpoint_has_a_case(app):
    assert write_endpoints(app) == set(CASES), "add a case for each new write endpoint (and its audit event)"


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[0]} {c[1]}")
def test_each_write_leaves_exactly_one_event_without_secrets(app, client, admin_headers, tmp_path, case):
    world = World(app, client, admin_headers, tmp_path)
    hashes_before = _stored_hashes(app)
    last = _last_id(app)
    response = CASES[case](world)
    assert response.status_code < 400, response.get_json()
    events = _events_after(app, last)
    secrets = world.secrets + hashes_before + _stored_hashes(app)
    assert len(events) == 1, events
    event = events[0]
    text = json.dumps(event)
    assert not [s for s in secrets if s and s in text], text
    assert event["address"] == "127.0.0.1"
    assert event["request_id"] == response.headers["X-Request-Id"]
    # Registering and confirming are done by someone not yet signed in: the event names the account made.
    assert event["actor_email"] or case in ANONYMOUS_WRITES, event
    assert event["action"] and event["resource_type"], event


def _one_event(app, call) -> dict:
    last = _last_id(app)
    response = call()
    assert response.status_code < 400, response.get_json()
    events = _events_after(app, last)
    assert len(events) == 1, events
    return events[0]


def test_an_update_shows_before_and_after_of_the_changed_fields_only(app, client, admin_headers, tmp_path):
    world = World(app, client, admin_headers, tmp_path)
    body = {"name": "Zed", "password": NEW_PASSWORD}
    event = _one_event(app, lambda: _call(world, "PATCH", f"{S}/admin/{world.other['id']}", body))
    assert event["action"] == "update" and event["resource_type"] == "admin"
    assert event["resource_id"] == str(world.other["id"])
    assert event["before"] == {"name": "Admin", "password": MASK}
    assert event["after"] == {"name": "Zed", "password": MASK}
    assert event["actor_email"] == "admin@example.com"


def test_key_rotation_and_password_change_are_named(app, client, admin_headers, tmp_path):
    world = World(app, client, admin_headers, tmp_path)
    rotated = _one_event(app, lambda: _call(world, "POST", f"{S}/app/{world.app['id']}/rotate-key"))
    body = {"password": NEW_PASSWORD}
    changed = _one_event(app, lambda: _call(world, "PATCH", f"{S}/admin/{world.other['id']}", body))
    assert rotated["action"] == "rotate_key" and rotated["after"]["api_key"] == MASK
    assert changed["action"] == "set_password" and changed["after"] == {"password": MASK}


def test_a_user_event_carries_their_app_roles(app, client, admin_headers, tmp_path):
    world = World(app, client, admin_headers, tmp_path)
    event = _one_event(app, lambda: _call(world, "PATCH", f"{S}/user/{world.user['id']}", {"app_roles": []}))
    assert event["before"] == {"app_roles": [{"app_id": world.app["id"], "role_id": world.role["id"]}]}
    assert event["after"] == {"app_roles": []}


def test_a_refused_change_leaves_no_event(app, client, admin_headers):
    last = _last_id(app)
    body = {"name": "x", "access": [{"service": "nope"}]}
    assert client.post(f"{S}/role", json=body, headers=admin_headers).status_code == 400
    assert _events_after(app, last) == []


def test_a_created_user_is_one_create_event_with_their_app_roles(app, client, admin_headers, tmp_path):
    world = World(app, client, admin_headers, tmp_path)
    roles = [{"app_id": world.app["id"], "role_id": world.role["id"]}]
    body = {"email": "x@example.com", "name": "X", "password": NEW_PASSWORD, "app_roles": roles}
    event = _one_event(app, lambda: _call(world, "POST", f"{S}/user", body))
    assert event["action"] == "create" and event["before"] is None
    assert event["after"]["app_roles"] == roles and event["after"]["password"] == MASK


def test_a_tunnelled_write_is_audited_as_the_verb_it_tunnels(app, client, admin_headers, tmp_path):
    world = World(app, client, admin_headers, tmp_path)
    path = f"{S}/admin/{world.other['id']}"

    def tunnelled(verb: str, body=None):
        return client.post(path, json=body, headers={**admin_headers, "X-HTTP-Method": verb})

    event = _one_event(app, lambda: tunnelled("PATCH", {"name": "Tunnel"}))
    assert event["action"] == "update" and event["after"] == {"name": "Tunnel"}
    last = _last_id(app)
    assert tunnelled("MOVE", {"name": "Moved"}).status_code == 400
    assert _events_after(app, last) == []
