"""DreamFactory's record times on every system resource: answered, listed, filtered and sorted by, and
accepted (not applied) when a record read from DreamFactory is written here. On each system database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bastion.db import session_scope
from bastion.models_access import Role
from tests.conftest import ADMIN_PASSWORD, add_sqlite_service, created, login

SYS = "/api/v2/system"
USER_PASSWORD = "a long enough secret"
# What DreamFactory answers beside a record's fields; a script that copies records sends them back.
DF_BOOKKEEPING = {
    "created_date": "2019-05-20 16:42:39",
    "last_modified_date": "2019-05-20 16:42:39",
    "created_by_id": 1,
    "last_modified_by_id": None,
}


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0, text
    return moment


@pytest.fixture
def records(client, admin_headers, tmp_path):
    """One record of each system resource, as its create answered it."""
    service = add_sqlite_service(client, admin_headers, tmp_path / "hr.db", ["CREATE TABLE t (id INTEGER)"])
    role = created(client, admin_headers, "role", {"name": "reader"})
    app = created(client, admin_headers, "app", {"name": "web", "role_id": role["id"]})
    user = created(client, admin_headers, "user", {"email": "u@example.com", "password": USER_PASSWORD})
    cors = created(client, admin_headers, "cors", {"path": "api/v2/*", "origins": ["https://a.example.com"]})
    admins = client.get(f"{SYS}/admin", headers=admin_headers).get_json()["resource"]
    return {"service": service, "role": role, "app": app, "user": user, "cors": cors, "admin": admins[0]}


@pytest.mark.parametrize("resource", ["service", "role", "app", "user", "cors", "admin"])
def test_every_record_answers_dreamfactorys_times(client, admin_headers, records, resource):
    record = records[resource]
    read = client.get(f"{SYS}/{resource}/{record['id']}", headers=admin_headers).get_json()
    assert _aware(read["created_date"]) <= _aware(read["last_modified_date"])
    if "created_at" in read:  # Bastion's own names, where it answers them, hold the same times
        assert _aware(read["created_date"]).replace(tzinfo=None) == datetime.fromisoformat(
            read["created_at"].removesuffix("Z")
        ).replace(tzinfo=None)
    listed = client.get(
        f"{SYS}/{resource}", query_string={"fields": "id,created_date"}, headers=admin_headers
    )
    assert listed.status_code == 200, listed.get_json()
    assert {"id": record["id"], "created_date": read["created_date"]} in listed.get_json()["resource"]


def test_last_modified_date_moves_on_an_update(client, admin_headers, records):
    url = f"{SYS}/role/{records['role']['id']}"
    role = client.get(url, headers=admin_headers).get_json()
    changed = client.patch(url, json={"description": "d"}, headers=admin_headers)
    assert changed.status_code == 200, changed.get_json()
    after = client.get(url, headers=admin_headers).get_json()
    assert after["created_date"] == role["created_date"]
    # MariaDB keeps whole seconds: the update may fall in the same one.
    assert _aware(after["last_modified_date"]) >= _aware(role["last_modified_date"])


def test_users_and_admins_answer_last_login_date(client, admin_headers, records):
    assert records["user"]["last_login_date"] is None
    assert login(client, "u@example.com", USER_PASSWORD, "/api/v2/user/session").status_code == 200
    user = client.get(f"{SYS}/user/{records['user']['id']}", headers=admin_headers).get_json()
    admin = client.get(f"{SYS}/admin/{records['admin']['id']}", headers=admin_headers).get_json()
    assert _aware(user["last_login_date"]) and _aware(admin["last_login_date"])
    # The login answer's last_login_date is the same moment (DreamFactory's session carries it too).
    session = login(client, records["admin"]["email"], ADMIN_PASSWORD).get_json()
    assert _aware(session["last_login_date"])


def test_lists_sort_and_filter_by_dreamfactorys_times(app, client, admin_headers, records):
    created(client, admin_headers, "role", {"name": "writer"})
    with app.app_context(), session_scope() as db:
        db.get(Role, records["role"]["id"]).created_at = datetime(2020, 1, 2, tzinfo=UTC)
    newest = client.get(f"{SYS}/role", query_string={"order": "created_date desc"}, headers=admin_headers)
    assert newest.status_code == 200, newest.get_json()
    assert [r["name"] for r in newest.get_json()["resource"]] == ["writer", "reader"]
    since = {"filter": "created_date < '2021-01-01'", "fields": "name,created_date"}
    old = client.get(f"{SYS}/role", query_string=since, headers=admin_headers)
    assert old.status_code == 200, old.get_json()
    assert old.get_json()["resource"] == [{"name": "reader", "created_date": "2020-01-02T00:00:00+00:00"}]
    logged = {"filter": "last_login_date is null", "fields": "email"}
    users = client.get(f"{SYS}/user", query_string=logged, headers=admin_headers).get_json()["resource"]
    assert users == [{"email": "u@example.com"}]


def test_a_record_read_from_dreamfactory_is_accepted_and_its_times_are_not_applied(client, admin_headers):
    role = created(client, admin_headers, "role", {"name": "copied", "is_active": True, **DF_BOOKKEEPING})
    assert not role["created_date"].startswith("2019")
    batch = {"resource": [{"name": "a", **DF_BOOKKEEPING}, {"name": "b", **DF_BOOKKEEPING}]}
    made = client.post(f"{SYS}/role", json=batch, headers=admin_headers)
    assert made.status_code == 201, made.get_json()
    user = {"email": "c@example.com", "last_login_date": None, **DF_BOOKKEEPING}
    assert created(client, admin_headers, "user", user)["last_login_date"] is None
    app = created(client, admin_headers, "app", {"name": "copied", "api_key": "", **DF_BOOKKEEPING})
    # Sent back as read (here or from DreamFactory), an update changes only what it means to.
    read = client.get(f"{SYS}/app/{app['id']}", headers=admin_headers).get_json()
    again = client.put(f"{SYS}/app/{app['id']}", json={**read, **DF_BOOKKEEPING}, headers=admin_headers)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["created_date"] == read["created_date"]
    many = {"resource": [{"id": role["id"], "description": "x", **DF_BOOKKEEPING}]}
    assert client.patch(f"{SYS}/role", json=many, headers=admin_headers).status_code == 200


def test_asking_for_an_apps_api_key_says_why_it_is_not_answered(client, admin_headers):
    app = created(client, admin_headers, "app", {"name": "web"})
    for path in (f"{SYS}/app", f"{SYS}/app/{app['id']}"):
        response = client.get(path, query_string={"fields": "id,name,api_key"}, headers=admin_headers)
        assert response.status_code == 400
        message = response.get_json()["error"]["message"]
        assert "'api_key'" in message and "rotate-key" in message and "key_fingerprint" in message
