"""DreamFactory's count_only, include_schema and group over HTTP, under roles (issue 14 §3).

The access world (tests/access_world.py): key "a" carries the reader role, GET on employees limited to
Sales rows and to the fields id, first_name, department, and GET on _schema/employees with those fields.
"""

from __future__ import annotations

import pytest

from tests.access_world import world_on

URL = "/api/v2/hr/_table/employees"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    yield from world_on(request.param, tmp_path_factory.mktemp("dfparams"))


@pytest.fixture
def reader(world):
    world.reset_rows()
    return {"X-Api-Key": world.keys["a"]}


@pytest.fixture
def no_schema(world):
    """A key whose role may read employees (all rows, all fields) but not their schema."""
    if "no_schema" not in world.keys:
        access = [{"service": "hr", "component": "_table/employees", "verbs": ["GET"]}]
        role = _post(world, "role", {"name": "no-schema", "access": access})
        world.keys["no_schema"] = _post(world, "app", {"name": "no-schema", "role_id": role["id"]})["api_key"]
    world.reset_rows()
    return {"X-Api-Key": world.keys["no_schema"]}


def _post(world, path: str, body: dict) -> dict:
    response = world.client.post(f"/api/v2/system/{path}", json=body, headers=world.admin_headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_count_only_is_the_bare_number_inside_the_row_filter(world, reader):
    response = world.client.get(URL, query_string={"count_only": "true"}, headers=reader)
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == 3  # the three Sales rows, whatever the table holds
    everything = world.client.get(URL, query_string={"count_only": "1"}, headers=world.admin_headers)
    assert everything.get_json() == 5
    filtered = world.client.get(URL, query_string={"count_only": "", "filter": "id > 1"}, headers=reader)
    assert filtered.get_json() == 2


def test_include_schema_is_the_schema_the_role_may_see(world, reader):
    response = world.client.get(URL, query_string={"include_schema": "true", "limit": "1"}, headers=reader)
    body = response.get_json()
    assert response.status_code == 200, body
    schema = world.client.get("/api/v2/hr/_schema/employees", headers=reader).get_json()
    assert body["meta"]["schema"] == schema
    assert {f["name"] for f in schema["field"]} == {"id", "first_name", "department"}
    assert len(body["resource"]) == 1


def test_include_schema_without_schema_access_is_a_403(world, no_schema):
    assert world.client.get(URL, headers=no_schema).status_code == 200
    refused = world.client.get(URL, query_string={"include_schema": "1"}, headers=no_schema)
    assert refused.status_code == 403, refused.get_json()
    assert "_schema/employees" in refused.get_json()["error"]["message"]


def test_group_over_http_keeps_the_row_filter_and_the_field_list(world, reader):
    query = {"group": "department", "fields": "department,COUNT(*)"}
    grouped = world.client.get(URL, query_string=query, headers=reader)
    assert grouped.get_json() == {"resource": [{"department": "Sales", "COUNT_ALL": 3}]}
    hidden = world.client.get(URL, query_string={**query, "fields": "department,SUM(salary)"}, headers=reader)
    assert hidden.status_code == 400
    assert hidden.get_json()["error"]["message"] == "Unknown field 'salary'"
    alias = world.client.get(
        URL, query_string={"group_by": "department", "order_by": "department"}, headers=world.admin_headers
    )
    assert alias.get_json() == {"resource": [{"department": "Eng"}, {"department": "Sales"}]}


@pytest.mark.parametrize("name", ["count_only", "group", "having", "include_schema", "group_by"])
def test_collection_read_options_are_refused_elsewhere(world, name):
    world.reset_rows()
    for method, path in (("GET", f"{URL}/1"), ("PATCH", f"{URL}/1"), ("DELETE", f"{URL}/1"), ("POST", URL)):
        response = world.client.open(
            path, method=method, query_string={name: "1"}, json={"id": 9}, headers=world.admin_headers
        )
        assert response.status_code == 400, (method, response.get_json())
        message = f"Parameter '{name}' is supported on collection reads (GET _table/<table>) only"
        assert response.get_json()["error"]["message"] == message
    assert world.client.get(f"{URL}/1", headers=world.admin_headers).status_code == 200
