"""/api/v2/system/admin: CRUD, validation, batch form, passwords never returned."""

from __future__ import annotations

import pytest

from tests.conftest import login

ADMINS = "/api/v2/system/admin"
NEW = {"email": "New.Admin@Example.com", "name": "New Admin", "password": "a long enough secret"}


def test_create_get_list_update_delete(client, admin_headers):
    created = client.post(ADMINS, json=NEW, headers=admin_headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["email"] == "new.admin@example.com"
    assert body["is_sys_admin"] is True
    assert "password" not in body and "password_hash" not in body
    fetched = client.get(f"{ADMINS}/{body['id']}", headers=admin_headers).get_json()
    assert fetched["name"] == "New Admin"
    listed = client.get(ADMINS, headers=admin_headers).get_json()["resource"]
    assert {a["email"] for a in listed} == {"admin@example.com", "new.admin@example.com"}
    renamed = client.patch(f"{ADMINS}/{body['id']}", json={"name": "Renamed"}, headers=admin_headers)
    assert renamed.get_json()["name"] == "Renamed"
    assert renamed.get_json()["email"] == "new.admin@example.com"
    assert client.delete(f"{ADMINS}/{body['id']}", headers=admin_headers).status_code == 200
    assert client.get(f"{ADMINS}/{body['id']}", headers=admin_headers).status_code == 404


def test_created_admin_can_log_in(client, admin_headers):
    client.post(ADMINS, json=NEW, headers=admin_headers)
    assert login(client, NEW["email"], NEW["password"]).status_code == 200


def test_batch_form_is_answered_in_kind_and_is_all_or_nothing(client, admin_headers):
    batch = {"resource": [NEW, {**NEW, "email": "second@example.com"}]}
    response = client.post(ADMINS, json=batch, headers=admin_headers)
    assert response.status_code == 201
    assert [a["email"] for a in response.get_json()["resource"]] == [
        "new.admin@example.com",
        "second@example.com",
    ]
    clash = {"resource": [{**NEW, "email": "third@example.com"}, {**NEW, "email": "second@example.com"}]}
    assert client.post(ADMINS, json=clash, headers=admin_headers).status_code == 409
    emails = {a["email"] for a in client.get(ADMINS, headers=admin_headers).get_json()["resource"]}
    assert "third@example.com" not in emails


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**NEW, "password": "short"}, "password"),
        ({**NEW, "email": "not-an-email"}, "email"),
        ({**NEW, "name": ""}, "name"),
        ({k: v for k, v in NEW.items() if k != "name"}, "name"),
        ({**NEW, "is_sys_admin": False}, "is_sys_admin"),
        ({**NEW, "is_active": "maybe"}, "is_active"),
    ],
)
def test_bad_bodies_name_the_field(client, admin_headers, payload, field):
    response = client.post(ADMINS, json=payload, headers=admin_headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert field in error["context"]["errors"]
    assert "a long enough secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize("data", ["not json", "[1, 2", ""])
def test_malformed_json_is_400(client, admin_headers, data):
    response = client.post(ADMINS, data=data, headers={**admin_headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]


def test_non_json_content_type_is_415(client, admin_headers):
    response = client.post(ADMINS, data="a=b", headers={**admin_headers, "Content-Type": "text/plain"})
    assert response.status_code == 415


def test_duplicate_email_is_409_on_the_field(client, admin, admin_headers):
    response = client.post(ADMINS, json={**NEW, "email": admin["email"].upper()}, headers=admin_headers)
    assert response.status_code == 409
    assert "email" in response.get_json()["error"]["context"]["errors"]


def test_the_last_active_admin_cannot_lock_everyone_out(client, admin, admin_headers):
    assert client.delete(f"{ADMINS}/{admin['id']}", headers=admin_headers).status_code == 409
    assert (
        client.patch(f"{ADMINS}/{admin['id']}", json={"is_active": False}, headers=admin_headers).status_code
        == 409
    )
    assert client.get(ADMINS, headers=admin_headers).status_code == 200


def test_unknown_admin_is_404(client, admin_headers):
    assert client.get(f"{ADMINS}/999999", headers=admin_headers).status_code == 404
    assert client.patch(f"{ADMINS}/999999", json={"name": "x"}, headers=admin_headers).status_code == 404
