"""DreamFactory's parts of a table's schema (`_schema/<t>/_field[/<f>]`, `<f>`, `_related[/<r>]`): each is
cut from what the caller may see, so hidden columns, unreadable relationships and tables stay hidden."""

from __future__ import annotations

import pytest

from tests.test_access_leaks import hr, key_for  # noqa: F401 (hr is a fixture)

NO_SALARY = [
    {"service": "hr", "component": "_table/employees", "verbs": ["GET"], "fields": ["id", "name", "dept"]},
    {"service": "hr", "component": "_table/projects", "verbs": ["GET"]},
    {"service": "hr", "component": "_schema/employees", "verbs": ["GET"], "fields": ["id", "name", "dept"]},
]


@pytest.fixture
def reader(client, admin_headers, hr):  # noqa: F811
    return key_for(client, admin_headers, NO_SALARY)


def test_the_field_list_and_one_field_show_only_visible_columns(client, hr, reader):  # noqa: F811
    listed = client.get(f"{hr}/_schema/employees/_field", headers=reader)
    assert listed.status_code == 200, listed.get_json()
    fields = listed.get_json()["resource"]
    assert [f["name"] for f in fields] == ["id", "name", "dept"]
    for path in ("_field/name", "name", "NAME"):
        answer = client.get(f"{hr}/_schema/employees/{path}", headers=reader)
        assert answer.status_code == 200 and answer.get_json()["name"] == "name", path
    hidden = client.get(f"{hr}/_schema/employees/_field/salary", headers=reader)
    missing = client.get(f"{hr}/_schema/employees/_field/nothing", headers=reader)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["error"]["message"] == "Field 'salary' not found in table 'employees'"
    assert client.get(f"{hr}/_schema/employees/salary", headers=reader).status_code == 404


def test_relationships_show_only_readable_ones(client, admin_headers, hr, reader):  # noqa: F811
    own = client.get(f"{hr}/_schema/employees/_related", headers=reader).get_json()["resource"]
    assert [r["name"] for r in own] == ["projects_by_lead_id"]  # salaries: a table the role cannot read
    one = client.get(f"{hr}/_schema/employees/_related/projects_by_lead_id", headers=reader)
    assert one.status_code == 200 and one.get_json()["ref_table"] == "projects"
    unreadable = client.get(f"{hr}/_schema/employees/_related/salaries_by_employee_id", headers=reader)
    assert unreadable.status_code == 404
    admin = client.get(f"{hr}/_schema/employees/_related", headers=admin_headers).get_json()["resource"]
    assert {r["name"] for r in admin} == {"projects_by_lead_id", "salaries_by_employee_id"}


@pytest.mark.parametrize("part", ["_field", "_field/amount", "amount", "_related"])
def test_a_part_of_a_table_the_role_cannot_read_is_its_403(client, hr, reader, part):  # noqa: F811
    assert client.get(f"{hr}/_schema/salaries/{part}", headers=reader).status_code == 403
    assert client.get(f"{hr}/_schema/no_table/{part}", headers=reader).status_code == 403


@pytest.mark.parametrize("part", ["_other", "_field/name/x", "_related/a/b/c"])
def test_other_paths_under_a_table_are_404(client, hr, reader, part):  # noqa: F811
    assert client.get(f"{hr}/_schema/employees/{part}", headers=reader).status_code == 404
