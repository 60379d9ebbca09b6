"""A row filter or a column allow-list cannot be escaped through any parameter or write."""

from __future__ import annotations

import pytest

from tests.access_world import world_on


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    yield from world_on(request.param, tmp_path_factory.mktemp("escape"))


@pytest.fixture
def editor(world):
    world.reset_rows()
    return {"X-Api-Key": world.keys["a"], "Authorization": f"Bearer {world.tokens['U']}"}


@pytest.fixture
def reader(world):
    world.reset_rows()
    return {"X-Api-Key": world.keys["a"]}


URL = "/api/v2/hr/_table/employees"


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.get_json()
    return {r["id"] for r in response.get_json()["resource"]}


def _admin_row(world, row_id):
    return world.client.get(f"{URL}/{row_id}", headers=world.admin_headers).get_json()


def test_filter_with_or_stays_inside(world, editor):
    query = {"filter": "department = 'Sales' or department = 'Eng' or owner_id is null"}
    assert _ids(world.client.get(URL, query_string=query, headers=editor)) == {1, 3, 5}


def test_ids_naming_forbidden_rows_return_nothing(world, editor):
    assert _ids(world.client.get(URL, query_string={"ids": "2,4"}, headers=editor)) == set()
    assert world.client.get(f"{URL}/2", headers=editor).status_code == 404


def test_patch_moving_a_row_out_is_refused_and_changes_nothing(world, editor):
    response = world.client.patch(f"{URL}/1", json={"owner_id": world.users["V"]}, headers=editor)
    assert response.status_code == 403
    assert _admin_row(world, 1)["owner_id"] == world.users["U"]


def test_post_outside_the_filter_is_refused_and_not_written(world, editor):
    body = {"id": 50, "first_name": "Sneaky", "owner_id": world.users["V"]}
    assert world.client.post(URL, json=body, headers=editor).status_code == 403
    assert world.client.get(f"{URL}/50", headers=world.admin_headers).status_code == 404
    mine = {"id": 51, "first_name": "Fine", "owner_id": world.users["U"]}
    assert world.client.post(URL, json=mine, headers=editor).status_code == 201


def test_bulk_writes_touch_only_visible_rows(world, editor):
    response = world.client.patch(
        URL, query_string={"filter": "salary > 0"}, json={"salary": 9}, headers=editor
    )
    assert _ids(response) == {1, 3, 5}
    assert _admin_row(world, 2)["salary"] == 200
    deleted = world.client.delete(URL, query_string={"ids": "1,2,4"}, headers=editor)
    assert deleted.status_code in (200, 400, 404)
    assert world.client.get(f"{URL}/2", headers=world.admin_headers).status_code == 200
    assert world.client.get(f"{URL}/4", headers=world.admin_headers).status_code == 200


@pytest.mark.parametrize(
    "query",
    [{"order": "salary desc"}, {"fields": "id,salary"}, {"filter": "salary > 0"}, {"id_field": "salary"}],
)
def test_hidden_columns_are_unknown(world, reader, query):
    response = world.client.get(URL, query_string=query, headers=reader)
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert "salary" in message and ("Unknown" in message or "unknown" in message)


def test_hidden_column_is_not_in_schema_or_rows(world, reader):
    rows = world.client.get(URL, headers=reader).get_json()["resource"]
    assert all("salary" not in r and "owner_id" not in r for r in rows)
    schema = world.client.get("/api/v2/hr/_schema/employees", headers=reader).get_json()
    assert "salary" not in str(schema)
