"""Options in a write's body, as DreamFactory reads them (api/body_options.py), on every data engine.

The access world (tests/access_world.py): the editor (key "a" with user U's token) may GET, POST,
PATCH and DELETE employees whose owner_id is U, i.e. rows 1, 3 and 5; rows 2 and 4 are hidden from it.
"""

from __future__ import annotations

import pytest

from bastion.api.body_options import split_write_body
from tests.access_world import world_on

URL = "/api/v2/hr/_table/employees"


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mysql"])
def world(request, tmp_path_factory):
    yield from world_on(request.param, tmp_path_factory.mktemp("bodyopts"))


@pytest.fixture
def admin(world):
    world.reset_rows()
    return world.admin_headers


@pytest.fixture
def editor(world):
    world.reset_rows()
    return {"X-Api-Key": world.keys["a"], "Authorization": f"Bearer {world.tokens['U']}"}


def _left(world) -> list[int]:
    rows = world.client.get(URL, query_string={"fields": "id"}, headers=world.admin_headers).get_json()
    return sorted(row["id"] for row in rows["resource"])


def _salaries(world) -> dict[int, int]:
    rows = world.client.get(URL, headers=world.admin_headers).get_json()["resource"]
    return {row["id"]: row["salary"] for row in rows}


@pytest.mark.parametrize("ids", ["1,2", [1, 2], ["1", "2"], 1])
def test_delete_by_ids_in_the_body(world, admin, ids):
    response = world.client.delete(URL, json={"ids": ids}, headers=admin)
    assert response.status_code == 200, response.get_json()
    expected = [1] if ids == 1 else [1, 2]
    assert response.get_json() == {"resource": [{"id": i} for i in expected]}
    assert _left(world) == [i for i in (1, 2, 3, 4, 5) if i not in expected]


def test_delete_by_filter_and_params_in_the_body(world, admin):
    body = {"filter": "department = :d and salary > :s", "params": {":d": "Sales", ":s": 150}, "fields": "*"}
    response = world.client.delete(URL, json=body, headers=admin)
    assert response.status_code == 200, response.get_json()
    assert [(r["id"], r["first_name"]) for r in response.get_json()["resource"]] == [(2, "Bob"), (5, "Ed")]
    assert _left(world) == [1, 3, 4]
    # The query string's form of placeholders works for a write by filter too.
    query = {"filter": "first_name = :n", "params[:n]": "Ada"}
    assert world.client.delete(URL, query_string=query, headers=admin).status_code == 200
    assert _left(world) == [3, 4]


def test_body_ids_obey_the_row_filter_like_query_ids(world, editor):
    # DreamFactory's batch error for ids it cannot find; the hidden row 2 stays, and so does row 1
    # (the default batch stops at the first failure).
    by_body = world.client.delete(URL, json={"ids": [2, 1]}, headers=editor)
    by_query = world.client.delete(URL, query_string={"ids": "2,1"}, headers=editor)
    assert by_body.status_code == by_query.status_code == 400
    assert by_body.get_json()["error"]["context"] == by_query.get_json()["error"]["context"]
    entries = by_body.get_json()["error"]["context"]["resource"]
    assert entries[0]["code"] == 404
    assert _left(world) == [1, 2, 3, 4, 5]
    # With `continue` (from the body too) the visible row goes and the hidden one stays.
    kept_going = world.client.delete(URL, json={"ids": [2, 1], "continue": True}, headers=editor)
    assert kept_going.status_code == 400
    assert kept_going.get_json()["error"]["context"]["errors"] == [0]
    assert _left(world) == [2, 3, 4, 5]
    by_filter = world.client.delete(URL, json={"filter": "id < 5"}, headers=editor)
    assert [r["id"] for r in by_filter.get_json()["resource"]] == [3]
    assert _left(world) == [2, 4, 5]


def test_ids_matching_nothing_are_the_batch_error(world, admin):
    response = world.client.delete(URL, json={"ids": "41,42"}, headers=admin)
    assert response.status_code == 400
    context = response.get_json()["error"]["context"]
    assert context["errors"] == [0] and context["resource"][0]["code"] == 404
    assert _left(world) == [1, 2, 3, 4, 5]


def test_rollback_from_the_body_undoes_the_whole_batch(world, admin):
    body = {"resource": [{"id": 1}, {"id": 42}], "rollback": True}
    response = world.client.delete(URL, json=body, headers=admin)
    assert response.status_code == 400
    assert _left(world) == [1, 2, 3, 4, 5]
    created = world.client.post(
        URL,
        json={"resource": [{"id": 9, "first_name": "Flo"}, {"id": 1, "first_name": "Dup"}], "rollback": "1"},
        headers=admin,
    )
    assert created.status_code == 400 and _left(world) == [1, 2, 3, 4, 5]
    batch = [{"id": 9, "first_name": "Flo"}, {"id": 1, "first_name": "Dup"}]
    partial = world.client.post(URL, json={"resource": batch}, headers=admin)
    assert partial.status_code == 400 and _left(world) == [1, 2, 3, 4, 5, 9]


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_update_by_ids_or_filter_in_the_body(world, admin, method):
    # PUT replaces the whole record, so both send every required field.
    values = {"first_name": "Al", "salary": 7}
    bare = world.client.open(URL, method=method, json={"ids": [1, 3], **values}, headers=admin)
    assert bare.status_code == 200, bare.get_json()
    assert bare.get_json() == {"resource": [{"id": 1}, {"id": 3}]}
    wrapped = {"resource": {**values, "salary": 8}, "filter": "id = :n", "params": {":n": 4}}
    wrapped["fields"] = "id,salary"
    by_filter = world.client.open(URL, method=method, json=wrapped, headers=admin)
    assert by_filter.get_json() == {"resource": [{"id": 4, "salary": 8}]}
    assert _salaries(world) == {1: 7, 2: 200, 3: 7, 4: 8, 5: 500}


def test_body_updates_stay_inside_the_row_filter(world, editor):
    response = world.client.patch(URL, json={"filter": "salary > 0", "salary": 9}, headers=editor)
    assert [r["id"] for r in response.get_json()["resource"]] == [1, 3, 5]
    # One id is answered as that record's own error, as with `?ids=2`: a hidden row is not found.
    hidden = world.client.patch(URL, json={"ids": "2", "salary": 9}, headers=editor)
    by_query = world.client.patch(URL, query_string={"ids": "2"}, json={"salary": 9}, headers=editor)
    assert hidden.status_code == by_query.status_code == 404
    assert _salaries(world) == {1: 9, 2: 200, 3: 9, 4: 400, 5: 9}


def test_fields_in_the_body_of_one_record_write(world, admin):
    patched = world.client.patch(f"{URL}/2", json={"salary": 3, "fields": "id,salary"}, headers=admin)
    assert patched.get_json() == {"id": 2, "salary": 3}
    deleted = world.client.delete(f"{URL}/2", json={"fields": "first_name"}, headers=admin)
    assert deleted.get_json() == {"first_name": "Bob"} and 2 not in _left(world)


@pytest.mark.parametrize(
    ("query", "body", "needle"),
    [
        ({"ids": "1"}, {"ids": "2"}, "Option 'ids' is given in both the query string ('ids') and the body"),
        ({"filter": "id = 1"}, {"where": "id = 2"}, "Option 'where' is given in both"),
        ({}, {"ids": "1", "id_field": "first_name"}, "may hold only options, not 'id_field'"),
        ({}, {"ids": "1", "salary": 1}, "may hold only options, not 'salary'"),
        ({}, {"ids": {"a": 1}}, "Body option 'ids' must be"),
        ({}, {"ids": ""}, "Parameter 'ids' must not be empty"),
        ({}, {"filter": "id = :n", "params": [1]}, "Body option 'params' must be an object"),
        ({}, {"continue": True, "rollback": True}, "cannot be used together"),
    ],
)
def test_bad_body_options_are_a_400_and_delete_nothing(world, admin, query, body, needle):
    response = world.client.delete(URL, query_string=query, json=body, headers=admin)
    assert response.status_code == 400, response.get_json()
    assert needle in response.get_json()["error"]["message"]
    assert _left(world) == [1, 2, 3, 4, 5]


def test_a_column_named_like_an_option_is_data():
    # In DreamFactory a column named `filter` turns a PATCH of one record into a write by filter.
    body = {"id": 1, "filter": "x", "ids": [1], "fields": "*", "resource": 1, "id_field": "id"}
    rest, options = split_write_body(body, ["id", "Filter"])
    assert options == {"ids": [1], "fields": "*"}
    assert rest == {"id": 1, "filter": "x", "resource": 1, "id_field": "id"}
    assert split_write_body([{"ids": 1}], ["id", "Filter"]) == ([{"ids": 1}], {})
    # A column the role hides is not the caller's: the key is the option, as if the column did not exist.
    rest, options = split_write_body({"filter": "id = 1", "salary": 5}, ["id", "salary"])
    assert options == {"filter": "id = 1"} and rest == {"salary": 5}


def test_a_plain_get_reads_its_body_like_a_tunnelled_one(world, editor):
    response = world.client.get(URL, json={"ids": [1, 3], "fields": "id"}, headers=editor)
    assert response.get_json() == {"resource": [{"id": 1}, {"id": 3}]}
    hidden = world.client.get(URL, json={"ids": [2]}, headers=editor)
    assert hidden.status_code == 400
