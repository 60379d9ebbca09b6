"""The API's roots in DreamFactory's forms: GET /api/v2 (services, service_types), /api/v2/system and
/api/v2/user (their resources), each behind the same credentials as what it lists."""

from __future__ import annotations

import pytest

from tests.conftest import add_sqlite_service, fenced_app, fenced_session
from tests.test_access_leaks import key_for

SYS = "/api/v2/system"
SCHEMA = ["CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"]


@pytest.fixture
def two_services(client, admin_headers, tmp_path):
    add_sqlite_service(client, admin_headers, tmp_path / "hr.db", SCHEMA, name="hr")
    add_sqlite_service(client, admin_headers, tmp_path / "sales.db", SCHEMA, name="sales")


def test_the_service_list_answers_dreamfactory_services_and_types_to_what_the_caller_reaches(
    client, admin_headers, two_services
):
    key = key_for(client, admin_headers, [{"service": "hr", "component": "_table/items", "verbs": ["GET"]}])
    body = client.get("/api/v2", headers=key).get_json()
    assert [s["name"] for s in body["resource"]] == ["hr"]
    assert body["services"] == body["resource"]
    assert body["services"][0] == {"name": "hr", "label": "", "description": "", "type": "sql"}
    assert [(t["name"], t["group"]) for t in body["service_types"]] == [("sql", "Database")]
    admin = client.get("/api/v2", headers=admin_headers).get_json()
    assert [s["name"] for s in admin["services"]] == ["hr", "sales"]


@pytest.mark.parametrize(
    ("query", "names", "keys"),
    [
        ("fields=name", ["hr", "sales"], {"name"}),
        ("fields=name,type", ["hr", "sales"], {"name", "type"}),
        ("fields=*", ["hr", "sales"], {"name", "label", "description", "type"}),
        ("type=sql", ["hr", "sales"], {"name", "label", "description", "type"}),
        ("type=http", [], None),
        ("group=database", ["hr", "sales"], {"name", "label", "description", "type"}),
        ("group=Remote%20Service", [], None),
    ],
)
def test_dreamfactory_service_list_parameters_work(client, admin_headers, two_services, query, names, keys):
    body = client.get(f"/api/v2?{query}", headers=admin_headers).get_json()
    assert [s["name"] for s in body["services"]] == names
    assert all(set(s) == keys for s in body["services"])
    assert len(body["service_types"]) == (1 if names else 0)


@pytest.mark.parametrize(
    ("query", "named"),
    [("fields=id", "'fields'"), ("fields=name,password", "'fields'"), ("type=mongodb", "'type'")]
    + [("group=File", "'group'")],
)
def test_a_service_list_parameter_it_cannot_honour_is_a_400_naming_it(client, admin_headers, query, named):
    response = client.get(f"/api/v2?{query}", headers=admin_headers)
    assert response.status_code == 400
    assert named in response.get_json()["error"]["message"]


@pytest.mark.parametrize("path", [SYS, f"{SYS}/"])
def test_the_admin_api_root_lists_every_system_resource_for_admins(client, admin_headers, path):
    names = [r["name"] for r in client.get(path, headers=admin_headers).get_json()["resource"]]
    assert names == sorted(names)
    assert {"admin", "app", "role", "service", "user", "cors", "audit", "advisor"} <= set(names)
    for name in names:  # each one names a resource that answers (none is a 404)
        assert client.get(f"{SYS}/{name}", headers=admin_headers).status_code != 404, name
    paged = client.get(f"{SYS}?limit=2&offset=1&include_count=true", headers=admin_headers).get_json()
    assert [r["name"] for r in paged["resource"]] == names[1:3] and paged["meta"]["count"] == len(names)
    # DreamFactory's as_list: the names only (as on a data service's root).
    assert client.get(f"{SYS}?as_list=true", headers=admin_headers).get_json()["resource"] == names
    assert client.get(f"{SYS}?as_list=maybe", headers=admin_headers).status_code == 400
    assert client.get(f"{SYS}?ids=1", headers=admin_headers).status_code == 400


def test_the_admin_api_root_is_for_admins_only(client, admin_headers, two_services):
    key = key_for(client, admin_headers, [{"service": "hr", "component": "*", "verbs": ["GET"]}])
    assert client.get(SYS).status_code == 401
    assert client.get(SYS, headers=key).status_code == 401
    assert client.get("/api/v2/user", headers=key).status_code == 200
    assert client.get("/api/v2/user").status_code == 401


def test_the_user_api_root_lists_its_resources(client, admin_headers):
    key = key_for(client, admin_headers, [])
    names = [r["name"] for r in client.get("/api/v2/user/", headers=key).get_json()["resource"]]
    assert {"session", "profile", "password", "register"} <= set(names)
    assert "Service" not in client.get("/api/v2/user").get_json()["error"]["message"]


def test_the_admin_api_root_is_behind_the_admin_networks(system_db_url, tmp_path):
    with fenced_app(system_db_url, str(tmp_path)) as (fenced, admin):
        headers = fenced_session(fenced, admin)
        response = fenced.test_client().get(SYS, headers=headers)
        assert response.status_code == 403
        assert "network" in response.get_json()["error"]["message"]
