"""DreamFactory's custom settings: /api/v2/system/custom (admins) and /api/v2/user/custom (one's own),
in DreamFactory's shapes, bounded, all or nothing. On each system database."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bastion.db import session_scope
from bastion.models_custom import UserCustom
from tests.conftest import fenced_app, fenced_session, login

SYSTEM = "/api/v2/system/custom"
MINE = "/api/v2/user/custom"
PASSWORD = "a long enough secret"


@pytest.fixture
def users(client, admin_headers):
    """Two users' session headers, by e-mail, and their ids."""
    made = {}
    for email in ("ann@example.com", "bob@example.com"):
        body = {"email": email, "password": PASSWORD}
        user = client.post("/api/v2/system/user", json=body, headers=admin_headers).get_json()
        token = login(client, email, PASSWORD, "/api/v2/user/session").get_json()["session_token"]
        made[email] = ({"X-DreamFactory-Session-Token": token}, user["id"])
    return made


def test_system_settings_in_dreamfactorys_shapes(client, admin_headers):
    batch = {"resource": [{"name": "theme", "value": {"dark": True}}, {"name": "motd", "value": "hi"}]}
    made = client.post(SYSTEM, json=batch, headers=admin_headers)
    assert made.status_code == 201, made.get_json()
    assert made.get_json() == {"resource": [{"name": "theme"}, {"name": "motd"}]}
    listed = client.get(SYSTEM, query_string={"include_count": "true"}, headers=admin_headers).get_json()
    assert [(s["name"], s["value"]) for s in listed["resource"]] == [
        ("motd", "hi"),
        ("theme", {"dark": True}),
    ]
    assert set(listed["resource"][0]) == {"name", "value", "created_date", "last_modified_date"}
    assert listed["meta"] == {"count": 2}
    # GET of one name answers the value itself, as DreamFactory's Custom resource does.
    assert client.get(f"{SYSTEM}/theme", headers=admin_headers).get_json() == {"dark": True}
    assert client.get(f"{SYSTEM}/motd", headers=admin_headers).get_json() == "hi"
    only = client.get(SYSTEM, query_string={"ids": "motd", "fields": "name,value"}, headers=admin_headers)
    assert only.get_json() == {"resource": [{"name": "motd", "value": "hi"}]}
    # POST of a name that exists replaces its value; PUT/PATCH change existing ones only.
    assert (
        client.post(SYSTEM, json={"name": "motd", "value": "hello"}, headers=admin_headers).status_code == 201
    )
    assert client.patch(f"{SYSTEM}/theme", json={"value": [1, 2]}, headers=admin_headers).get_json() == {
        "name": "theme"
    }
    assert client.get(f"{SYSTEM}/theme", headers=admin_headers).get_json() == [1, 2]
    many = {"resource": [{"name": "motd", "value": "bye"}]}
    assert client.put(SYSTEM, json=many, headers=admin_headers).get_json() == {"resource": [{"name": "motd"}]}
    assert client.patch(f"{SYSTEM}/nope", json={"value": 1}, headers=admin_headers).status_code == 404
    assert client.get(f"{SYSTEM}/nope", headers=admin_headers).status_code == 404
    gone = client.delete(SYSTEM, query_string={"ids": "motd"}, headers=admin_headers)
    assert gone.get_json() == {"resource": [{"name": "motd"}]}
    body = {"resource": [{"name": "theme"}]}
    assert client.delete(SYSTEM, json=body, headers=admin_headers).get_json() == {
        "resource": [{"name": "theme"}]
    }
    assert client.get(SYSTEM, headers=admin_headers).get_json() == {"resource": []}


def test_each_user_reaches_only_their_own_settings(client, admin_headers, users, app):
    ann, ann_id = users["ann@example.com"]
    bob, _ = users["bob@example.com"]
    assert (
        client.post(MINE, json={"resource": [{"name": "theme", "value": "dark"}]}, headers=ann).status_code
        == 201
    )
    assert client.post(MINE, json={"name": "theme", "value": "light"}, headers=bob).status_code == 201
    assert client.get(f"{MINE}/theme", headers=ann).get_json() == "dark"
    assert client.get(f"{MINE}/theme", headers=bob).get_json() == "light"
    assert client.delete(f"{MINE}/theme", headers=bob).get_json() == {"name": "theme"}
    assert client.get(f"{MINE}/theme", headers=bob).status_code == 404
    assert client.get(f"{MINE}/theme", headers=ann).get_json() == "dark"
    # The platform's settings are another store, for admins only.
    assert client.get(SYSTEM, headers=admin_headers).get_json() == {"resource": []}
    assert client.get(SYSTEM, headers=ann).status_code in (401, 403)
    # Deleting the account deletes its settings.
    assert client.delete(f"/api/v2/system/user/{ann_id}", headers=admin_headers).status_code == 200

    with app.app_context(), session_scope() as db:
        assert db.exec(select(UserCustom).where(UserCustom.user_id == ann_id)).all() == []


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_without_a_session_it_is_a_401(client, method):
    assert client.open(MINE, method=method, json={"name": "x"}).status_code == 401
    assert client.open(SYSTEM, method=method, json={"name": "x"}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": 1}, "body.name"),
        ({"name": "", "value": 1}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": "x", "value": "v" * 20000}, "body.value"),
        ({"name": "x", "colour": 1}, "colour"),
        ({"resource": [{"name": "ok"}, {"name": "x", "value": "v" * 20000}]}, "resource[1].value"),
    ],
)
def test_bad_settings_are_a_400_naming_the_field_and_write_nothing(client, admin_headers, body, field):
    response = client.post(SYSTEM, json=body, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert field in (error["context"] or {}).get("errors", {}) or f"'{field}" in error["message"], error
    assert client.get(SYSTEM, headers=admin_headers).get_json() == {"resource": []}


@pytest.mark.parametrize(("method", "param"), [("GET", "filter"), ("POST", "ids"), ("PATCH", "continue")])
def test_unknown_parameters_are_a_400_naming_them(client, admin_headers, method, param):
    body = {"resource": [{"name": "x"}]}
    response = client.open(SYSTEM, method=method, query_string={param: "1"}, json=body, headers=admin_headers)
    assert response.status_code == 400 and param in response.get_json()["error"]["context"]["errors"]


def test_an_owner_holds_a_bounded_number_of_settings(client, users, monkeypatch):
    monkeypatch.setattr("bastion.services.custom_settings.MAX_SETTINGS", 2)
    ann, _ = users["ann@example.com"]
    assert (
        client.post(MINE, json={"resource": [{"name": "a"}, {"name": "b"}]}, headers=ann).status_code == 201
    )
    assert client.post(MINE, json={"name": "a", "value": 1}, headers=ann).status_code == 201  # a replacement
    full = client.post(MINE, json={"name": "c"}, headers=ann)
    assert full.status_code == 409 and "At most 2" in full.get_json()["error"]["message"]


def test_the_admin_network_fence_holds(system_db_url, tmp_path):
    with fenced_app(system_db_url, str(tmp_path)) as (fenced, admin):
        headers = fenced_session(fenced, admin)
        for path in (SYSTEM, MINE):  # an admin's own settings too, as on /user/profile
            response = fenced.test_client().get(path, headers=headers)
            assert response.status_code == 403, path
            assert "network" in response.get_json()["error"]["message"]
