"""A role's row filters and column list are checked on save, on every engine, so a saved role applies.

Before, the save accepted `{"a": 1}`, `1e999` (stored as null), `"abc"` against an integer column, `like`
against an integer column, and `ID` for the column `id`; each such role then denied every request of its
table (the request path fails closed) while reading fine in the admin API.
"""

from __future__ import annotations

import functools
import json

import pytest
import sqlalchemy as sa

from tests.conftest import created
from tests.databases import config_from_url, scratch_database

URL = "/api/v2/hr/_table/staff"
INFINITY = "<1e999>"  # sent as the JSON number 1e999, which parses as infinity


@pytest.fixture(scope="module")
def system_db_url(sqlite_system_db_url):
    """The tests are about data engines: one SQLite system database is enough."""
    return sqlite_system_db_url


@pytest.fixture
def hr(scratch_db_url, client, admin_headers):
    """A `staff` table (integer, text, boolean, date, JSON columns) registered as the service `hr`."""
    engine = sa.create_engine(scratch_db_url)
    staff = sa.Table(
        "staff",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("First_Name", sa.String(40)),
        sa.Column("active", sa.Boolean),
        sa.Column("hired", sa.Date),
        sa.Column("extra", sa.JSON),
    )
    staff.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(staff.insert(), [{"id": 1, "First_Name": "Ada"}, {"id": 2, "First_Name": "Bob"}])
    engine.dispose()
    created(client, admin_headers, "service", {"name": "hr", "config": config_from_url(scratch_db_url)})
    return functools.partial(created, client, admin_headers)


def entry(*filters, **extra):
    return {"service": "hr", "component": "_table/staff", "verbs": ["GET"], "filters": list(filters), **extra}


def where(name, operator, value):
    return {"name": name, "operator": operator, "value": value}


BAD_VALUES = [
    (where("id", "=", {"a": 1}), "must be one value"),
    (where("id", "=", [1, 2]), "must be one value"),
    (where("id", "=", None), "use the operator 'is null'"),
    (where("id", "=", "abc"), "'abc' is not a valid value for column 'id' (integer)"),
    (where("id", ">", INFINITY), "must be a finite number"),
    (where("hired", "<", "2024-13-45"), "not a valid value for column 'hired'"),
    (where("id", "in", []), "'in' needs at least one value"),
    (where("id", "in", " , "), "'in' needs at least one value"),
    (where("id", "not in", {"1": 2}), "'not in' needs a list of values"),
    (where("id", "in", [1, [2]]), "item 1 must be one value"),
    (where("id", "in", "1,x"), "is not a valid value for column 'id'"),
    (where("id", "is null", 5), "'is null' takes no value"),
    (where("id", "like", "1%"), "'like' needs a text column; 'id' is integer"),
    (where("First_Name", "contains", True), "'contains' needs a text value"),
    (where("extra", "=", "x"), "column 'extra' (json) cannot be compared with a value"),
]


@pytest.mark.parametrize(("row_filter", "message"), BAD_VALUES)
def test_a_filter_value_that_cannot_apply_is_refused_on_save(client, admin_headers, hr, row_filter, message):
    body = json.dumps({"name": "bad", "access": [entry(row_filter)]}).replace(f'"{INFINITY}"', "1e999")
    response = client.post(
        "/api/v2/system/role", data=body, headers=admin_headers, content_type="application/json"
    )
    assert response.status_code == 400, response.get_json()
    errors = response.get_json()["error"]["context"]["errors"]
    assert list(errors) == ["access[0].filters[0].value"]
    assert message in errors["access[0].filters[0].value"]
    assert client.get("/api/v2/system/role", headers=admin_headers).get_json()["resource"] == []


def read(client, hr, access_entry) -> list[int]:
    """The ids an app key whose role has this one entry reads from the table."""
    role = hr("role", {"name": f"r-{id(access_entry)}", "access": [access_entry]})
    key = hr("app", {"name": f"a-{id(access_entry)}", "role_id": role["id"]})["api_key"]
    response = client.get(URL, headers={"X-Api-Key": key})
    assert response.status_code == 200, response.get_json()
    return sorted(row["id"] for row in response.get_json()["resource"])


@pytest.mark.parametrize(
    "row_filter",
    [
        where("id", "=", 1),
        where("id", "=", "1"),
        where("id", "in", [1, 3]),
        where("id", "in", "1, 3"),
        where("First_Name", "like", "A%"),
        where("First_Name", "starts with", "Ad"),
        where("hired", "is null", None),
        where("hired", "is null", ""),
    ],
)
def test_a_filter_value_that_applies_is_saved_and_used(client, hr, row_filter):
    expected = [1, 2] if row_filter["operator"] == "is null" else [1]
    assert read(client, hr, entry(row_filter)) == expected


def test_a_templated_value_is_checked_for_its_shape_only(client, admin_headers, hr):
    # {app.id} is the caller's app: its type is known per request, so `=` on an integer column saves.
    assert read(client, hr, entry(where("id", "=", "{app.id}"))) in ([], [1], [2])
    bad = entry(where("id", "=", ["{app.id}"]))
    response = client.post(
        "/api/v2/system/role", json={"name": "bad", "access": [bad]}, headers=admin_headers
    )
    assert response.status_code == 400


def test_column_names_are_saved_as_the_table_spells_them(client, hr):
    role = hr(
        "role", {"name": "spelled", "access": [entry(where("ID", "=", 1), fields=["ID", "first_name"])]}
    )
    saved = role["access"][0]
    assert saved["filters"][0]["name"] == "id" and saved["fields"] == ["id", "First_Name"]
    key = hr("app", {"name": "spelled", "role_id": role["id"]})["api_key"]
    response = client.get(URL, headers={"X-Api-Key": key})
    # Before: 403 "This role may read no field of table 'staff'".
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["resource"] == [{"id": 1, "First_Name": "Ada"}]


def test_an_entry_on_every_table_is_checked_for_value_shapes(client, admin_headers, hr):
    every = {"service": "hr", "component": "_table/*", "verbs": ["GET"], "filters": [where("id", "=", {})]}
    response = client.post(
        "/api/v2/system/role", json={"name": "bad", "access": [every]}, headers=admin_headers
    )
    assert response.status_code == 400
    assert "access[0].filters[0].value" in response.get_json()["error"]["context"]["errors"]


def test_a_name_two_columns_share_in_another_case_must_be_exact(client, admin_headers, tmp_path):
    # PostgreSQL keeps quoted names' case: "Code" and "code" are two columns, so `CODE` names neither.
    with scratch_database("postgresql", str(tmp_path)) as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text('CREATE TABLE staff (id int PRIMARY KEY, "Code" text, code text)'))
        engine.dispose()
        created(client, admin_headers, "service", {"name": "hr", "config": config_from_url(url)})
        ambiguous = entry(where("CODE", "=", "x"), fields=["id", "cOdE"])
        response = client.post(
            "/api/v2/system/role", json={"name": "bad", "access": [ambiguous]}, headers=admin_headers
        )
        assert response.status_code == 400
        errors = response.get_json()["error"]["context"]["errors"]
        assert "is ambiguous: name one of Code, code" in errors["access[0].filters[0].name"]
        assert "is ambiguous" in errors["access[0].fields"]
        exact = entry(where("Code", "=", "x"), fields=["id", "code"])
        saved = created(client, admin_headers, "role", {"name": "exact", "access": [exact]})["access"][0]
        assert saved["filters"][0]["name"] == "Code" and saved["fields"] == ["id", "code"]
        client.delete("/api/v2/system/service?ids=1", headers=admin_headers)
