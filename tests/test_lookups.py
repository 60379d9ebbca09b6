"""Lookups (issue 15 §3): named values per owner, private ones sealed, `{lookup.<name>}` in row filters."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from bastion.access import decide_for
from bastion.access_index import AccessIndex, AppSnapshot, RoleSnapshot
from bastion.auth import Identity
from bastion.db import session_scope
from bastion.lookup_index import LookupIndex, StoredValue
from bastion.models import User
from bastion.models_access import AccessEntry
from bastion.models_self_service import Lookup
from bastion.secrets import MASK, PREFIX, SecretBox, key_id
from bastion.services import lookups
from tests.conftest import TEST_KEY, add_sqlite_service, login

BOX = SecretBox(base64.b64decode(TEST_KEY))
URL = "/api/v2/system/lookup"


# ---- resolution: the user's, else the role's, else the global value (no database) ----


def _index(values: dict[str, dict[str, str | None]], private: frozenset = frozenset()) -> AccessIndex:
    entry = AccessEntry(
        service="hr",
        component="_table/t",
        verbs=["GET"],
        filters=[{"name": "dept", "operator": "=", "value": "{lookup.dept}"}],
    )
    role = RoleSnapshot(1, "r", True, (entry,))
    by_owner = {
        owner: {
            name: StoredValue(
                owner,
                name,
                BOX.seal(v, f"lookup:{owner}:{name}") if (owner, name) in private else v,
                (owner, name) in private,
            )
            for name, v in names.items()
        }
        for owner, names in values.items()
    }
    app = AppSnapshot(10, "app", 1, True)
    return AccessIndex({}, {10: app}, {1: role}, {}, LookupIndex(by_owner, BOX))


USER = User(id=7, email="u@example.com", name="U", password_hash="x")


def _filter_value(index: AccessIndex, user=USER):
    decision = decide_for(Identity(user=user, app=index.apps[10]), index, "GET", "hr", "_table/t")
    return decision.grant.filters[0].value if decision.allowed else None


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"global": {"dept": "G"}}, "G"),
        ({"global": {"dept": "G"}, "role:1": {"dept": "R"}}, "R"),
        ({"global": {"dept": "G"}, "role:1": {"dept": "R"}, "user:7": {"dept": "U"}}, "U"),
        ({"user:8": {"dept": "other user"}, "role:2": {"dept": "other role"}}, None),
        ({}, None),
        ({"global": {"dept": None}}, None),
        ({"global": {"other": "G"}}, None),
    ],
)
def test_lookup_precedence_and_missing_denies(values, expected):
    assert _filter_value(_index(values)) == expected


def test_private_value_is_opened_only_for_the_filter():
    index = _index({"role:1": {"dept": "Secret"}}, private=frozenset({("role:1", "dept")}))
    stored = index.lookups.by_owner["role:1"]["dept"].value
    assert stored.startswith(PREFIX) and "Secret" not in stored
    assert _filter_value(index) == "Secret"


def test_a_private_value_sealed_for_another_name_does_not_open():
    """A sealed value copied to another owner or name fails its associated data: the filter denies."""
    index = _index({"global": {"dept": "x"}})
    sealed = BOX.seal("Secret", "lookup:global:other")
    index.lookups.by_owner["global"]["dept"] = StoredValue("global", "dept", sealed, True)
    assert _filter_value(index) is None


def test_anonymous_caller_gets_the_global_value():
    assert _filter_value(_index({"global": {"dept": "G"}, "user:7": {"dept": "U"}}), user=None) == "G"


# ---- the admin API ----


def _create(client, headers, **body):
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _stored(app, lookup_id) -> Lookup:
    with app.app_context(), session_scope() as db:
        return db.get(Lookup, lookup_id)


def test_private_lookup_is_sealed_and_never_returned(app, client, admin_headers):
    made = _create(client, admin_headers, name="db_password", value="hunter2 secret", private=True)
    assert made["value"] == MASK and made["private"] is True
    stored = _stored(app, made["id"]).value
    assert stored.startswith(f"{PREFIX}{key_id(base64.b64decode(TEST_KEY))}:") and "hunter2" not in stored
    listed = client.get(URL, headers=admin_headers).get_json()["resource"]
    assert [x["value"] for x in listed] == [MASK]
    assert "hunter2" not in client.get(f"{URL}/{made['id']}", headers=admin_headers).get_data(as_text=True)
    # Sending the mask back keeps the stored value; a rename re-seals it under the new name.
    response = client.patch(f"{URL}/{made['id']}", json={"value": MASK, "name": "pw"}, headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["value"] == MASK
    row = _stored(app, made["id"])
    assert BOX.open(row.value, "lookup:global:pw") == "hunter2 secret"


def test_public_lookup_round_trips_and_can_turn_private(app, client, admin_headers):
    made = _create(client, admin_headers, name="region", value="eu", description="where")
    expected = {"name": "region", "value": "eu", "private": False, "description": "where"}
    assert made == {"id": made["id"], **expected}
    response = client.patch(f"{URL}/{made['id']}", json={"private": True}, headers=admin_headers)
    assert response.get_json()["value"] == MASK
    assert BOX.open(_stored(app, made["id"]).value, "lookup:global:region") == "eu"
    assert client.delete(f"{URL}/{made['id']}", headers=admin_headers).status_code == 200
    assert client.get(f"{URL}/{made['id']}", headers=admin_headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "has space", "value": "x"}, "name"),
        ({"name": ".dot", "value": "x"}, "name"),
        ({"name": "ok", "value": 5}, "value"),
        ({"name": "ok", "value": "x" * 4097}, "value"),
        ({"name": "ok", "value": MASK}, "value"),
        ({"name": "ok", "colour": "red"}, "colour"),
    ],
)
def test_bad_lookups_are_400_naming_the_field(client, admin_headers, body, field):
    response = client.post(URL, json=body, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["context"]["errors"]


def test_duplicate_name_is_409_and_batch_form_works(client, admin_headers):
    batch = {"resource": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]}
    response = client.post(URL, json=batch, headers=admin_headers)
    assert response.status_code == 201 and len(response.get_json()["resource"]) == 2
    assert client.post(URL, json={"name": "a", "value": "3"}, headers=admin_headers).status_code == 409


def test_lookups_are_for_admins_only(client):
    assert client.get(URL).status_code == 401


# ---- row filters through the real data API ----

STATEMENTS = [
    "CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT, dept TEXT)",
    "INSERT INTO staff VALUES (1, 'Ada', 'Sales'), (2, 'Bob', 'Eng'), (3, 'Cy', 'Ops')",
]


@pytest.fixture
def caller(app, client, admin_headers, tmp_path):
    """A user whose role reads staff filtered by {lookup.dept}: their headers, role id and user id."""
    add_sqlite_service(client, admin_headers, tmp_path / "hr.db", STATEMENTS)
    entry = {
        "service": "hr",
        "component": "_table/staff",
        "verbs": ["GET"],
        "filters": [{"name": "dept", "operator": "=", "value": "{lookup.dept}"}],
    }
    role = client.post("/api/v2/system/role", json={"name": "r", "access": [entry]}, headers=admin_headers)
    role_id = role.get_json()["id"]
    made = client.post("/api/v2/system/app", json={"name": "a", "role_id": role_id}, headers=admin_headers)
    body = {"email": "u@example.com", "name": "U", "password": "a long password 1"}
    user = client.post("/api/v2/system/user", json=body, headers=admin_headers).get_json()
    token = login(client, body["email"], body["password"], "/api/v2/user/session").get_json()["session_token"]
    headers = {"X-Api-Key": made.get_json()["api_key"], "Authorization": f"Bearer {token}"}
    return {"headers": headers, "role_id": role_id, "user_id": user["id"]}


def _names(client, headers):
    response = client.get("/api/v2/hr/_table/staff", headers=headers)
    if response.status_code != 200:
        return response.status_code
    return sorted(r["name"] for r in response.get_json()["resource"])


def _own(app, owner, items, field="lookup_by_role_id"):
    with app.app_context(), session_scope() as db:
        lookups.replace_owned(db, BOX, owner, items, field)


def test_row_filter_follows_lookups_on_the_next_request(app, client, admin_headers, caller):
    assert _names(client, caller["headers"]) == 403  # no lookup: the filter cannot resolve, so it denies
    made = _create(client, admin_headers, name="dept", value="Sales")
    assert _names(client, caller["headers"]) == ["Ada"]
    client.patch(f"{URL}/{made['id']}", json={"value": "Eng", "private": True}, headers=admin_headers)
    assert _names(client, caller["headers"]) == ["Bob"]  # private, opened for the filter only
    _own(app, lookups.role_owner(caller["role_id"]), [{"name": "dept", "value": "Ops"}])
    assert _names(client, caller["headers"]) == ["Cy"]
    _own(app, lookups.user_owner(caller["user_id"]), [{"name": "dept", "value": "Sales", "private": True}])
    assert _names(client, caller["headers"]) == ["Ada"]
    _own(app, lookups.user_owner(caller["user_id"]), [], "lookup_by_user_id")
    assert _names(client, caller["headers"]) == ["Cy"]
    client.delete(f"/api/v2/system/role/{caller['role_id']}", headers=admin_headers)
    with app.app_context(), session_scope() as db:
        assert lookups.list_lookups(db, lookups.role_owner(caller["role_id"])) == []  # deleted with the role


def test_a_filter_value_is_bound_never_sql(app, client, admin_headers, caller):
    _create(client, admin_headers, name="dept", value="x' OR '1'='1")
    assert _names(client, caller["headers"]) == []


def test_replace_owned_matches_by_name_and_keeps_masked_values(app):
    owner = "global"
    _own(app, owner, [{"name": "k", "value": "secret one", "private": True}, {"name": "gone", "value": "1"}])
    _own(app, owner, [{"id": 99, "name": "k", "value": MASK, "private": True, "role_id": None}])
    with app.app_context(), session_scope() as db:
        rows = lookups.list_lookups(db, owner)
        assert [r.name for r in rows] == ["k"]
        assert BOX.open(rows[0].value, "lookup:global:k") == "secret one"
        assert lookups.public_list(db, owner)[0]["value"] == MASK


def test_replace_owned_names_bad_items(app):
    from bastion.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        _own(app, "global", [{"name": "a"}, {"name": "a"}, "x", {"name": "b", "colour": 1}])
    assert set(caught.value.context["errors"]) == {
        "lookup_by_role_id",
        "lookup_by_role_id[2]",
        "lookup_by_role_id[3].colour",
    }


# ---- bastion rotate-key re-seals private lookups ----


def test_rotate_key_reseals_private_lookups(app, client, admin_headers, system_db_url, tmp_path):
    made = _create(client, admin_headers, name="token", value="s3cret value", private=True)
    _create(client, admin_headers, name="plain", value="visible")
    new = base64.b64encode(os.urandom(32)).decode()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE_URL", "BASTION_"))}
    env = {**clean, "DATABASE_URL": system_db_url, "BASTION_INSTANCE": str(tmp_path / "i")}
    env.update(APP_KEY=new, APP_OLD_KEYS=TEST_KEY)
    cmd = [sys.executable, "-m", "bastion.cli", "rotate-key"]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("re-encrypted 1 secret(s)")
    engine = sa.create_engine(system_db_url)
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.select(Lookup.__table__.c.name, Lookup.__table__.c.value)).all())
    engine.dispose()
    new_box = SecretBox(base64.b64decode(new))
    assert rows["token"].startswith(f"{PREFIX}{new_box.current_id}:")
    assert new_box.open(rows["token"], "lookup:global:token") == "s3cret value"
    assert rows["plain"] == "visible"
    assert made["id"]


# ---- a private value never shows: explain masks it, and the log never quotes it ----


def test_explain_shows_a_private_lookup_masked(app, client, admin_headers, caller):
    _create(client, admin_headers, name="dept", value="Top Secret Dept", private=True)
    app_id = client.get("/api/v2/system/app", headers=admin_headers).get_json()["resource"][0]["id"]
    query = {"app": app_id, "user": caller["user_id"], "verb": "GET", "path": "/api/v2/hr/_table/staff"}
    response = client.get("/api/v2/system/explain", query_string=query, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["filters"] == [{"name": "dept", "operator": "=", "value": MASK}]
    assert "Top Secret" not in response.get_data(as_text=True)


def test_a_private_value_that_cannot_apply_is_not_logged(app, client, admin_headers, caller, caplog):
    """A filter on an integer column with a private text value denies, and the log names no value."""
    entry = {
        "service": "hr",
        "component": "_table/staff",
        "verbs": ["GET"],
        "filters": [{"name": "id", "operator": "=", "value": "{lookup.dept}"}],
    }
    response = client.patch(
        f"/api/v2/system/role/{caller['role_id']}", json={"access": [entry]}, headers=admin_headers
    )
    assert response.status_code == 200, response.get_json()
    _create(client, admin_headers, name="dept", value="not-a-number-secret", private=True)
    assert _names(client, caller["headers"]) == 403
    assert "not-a-number-secret" not in caplog.text and "(private lookup)" in caplog.text


# ---- the hooks the role and user views call ----


def test_related_hooks_take_save_and_show_under_both_names(app, caller):
    body = {"name": "r", "role_lookup_by_role_id": [{"name": "dept", "value": "Eng", "private": True}]}
    items = lookups.take_related(body, "role")
    assert body == {"name": "r"} and items[0]["name"] == "dept"
    with app.app_context(), session_scope() as db:
        lookups.save_related(db, BOX, "role", caller["role_id"], items)
        lookups.save_related(db, BOX, "user", caller["user_id"], None)  # not sent: untouched
        shown = lookups.related(db, "role", caller["role_id"])
    assert set(shown) == {"lookup_by_role_id", "role_lookup_by_role_id"}
    assert [(x["name"], x["value"], x["role_id"]) for x in shown["lookup_by_role_id"]] == [
        ("dept", MASK, caller["role_id"])
    ]
    assert lookups.take_related({"lookup_by_user_id": None}, "user") == []  # null clears


def test_both_names_at_once_is_a_400(app):
    from bastion.errors import ValidationError

    with pytest.raises(ValidationError):
        lookups.take_related({"lookup_by_user_id": [], "user_lookup_by_user_id": []}, "user")
