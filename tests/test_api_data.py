"""The data API over HTTP on real SQLite, PostgreSQL and MariaDB databases (DESIGN §5)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.databases import config_from_url

ROWS = [
    (1, "Ada", "Lovelace", "Engineering", 120000),
    (2, "Grace", "Hopper", "Engineering", 130000),
    (3, "Alan", "Turing", "Research", 110000),
    (4, "Edsger", "Dijkstra", "Research", 105000),
    (5, "Barbara", "Liskov", "Sales", 99000),
]


@pytest.fixture(scope="module")
def system_db_url(sqlite_system_db_url):
    """This module tests the data API, not the system database: one SQLite system database is enough."""
    return sqlite_system_db_url


@pytest.fixture
def data_service(scratch_db_url, client, admin_headers):
    """A service named 'hr' over a scratch database holding employees and a composite-key table."""
    engine = sa.create_engine(scratch_db_url)
    metadata = sa.MetaData()
    employees = sa.Table(
        "employees",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("first_name", sa.String(50), nullable=False),
        sa.Column("last_name", sa.String(50), nullable=False),
        sa.Column("department", sa.String(50)),
        sa.Column("salary", sa.Integer),
    )
    sa.Table(
        "assignments",
        metadata,
        sa.Column("employee_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("project", sa.String(20), primary_key=True),
        sa.Column("hours", sa.Integer),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        # Ids come from the database so that PostgreSQL's sequence moves on too.
        for row in ROWS:
            values = dict(zip(("first_name", "last_name", "department", "salary"), row[1:], strict=True))
            conn.execute(employees.insert().values(values))
    engine.dispose()
    body = {"name": "hr", "config": config_from_url(scratch_db_url, max_records=3)}
    response = client.post("/api/v2/system/service", json=body, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    return "/api/v2/hr"


def test_services_and_tables_are_listed(client, admin_headers, data_service):
    services = client.get("/api/v2", headers=admin_headers).get_json()["resource"]
    assert [s["name"] for s in services] == ["hr"]
    tables = client.get(f"{data_service}/_table", headers=admin_headers).get_json()["resource"]
    assert {t["name"] for t in tables} == {"employees", "assignments"}
    assert tables[0]["verbs"] == ["GET", "POST", "PUT", "PATCH", "DELETE"]


def test_list_is_capped_with_meta(client, admin_headers, data_service):
    body = client.get(f"{data_service}/_table/employees", headers=admin_headers).get_json()
    assert [r["id"] for r in body["resource"]] == [1, 2, 3]
    assert body["meta"]["count"] == 5
    page = client.get(
        f"{data_service}/_table/employees?limit=2&offset=3&include_count=true", headers=admin_headers
    ).get_json()
    assert [r["id"] for r in page["resource"]] == [4, 5]


def test_filter_order_fields(client, admin_headers, data_service):
    query = {
        "filter": "department = 'Research' or salary > 125000 and department = 'Engineering'",
        "order": "salary desc",
        "fields": "id,last_name",
    }
    body = client.get(
        f"{data_service}/_table/employees", query_string=query, headers=admin_headers
    ).get_json()
    assert body["resource"] == [
        {"id": 2, "last_name": "Hopper"},
        {"id": 3, "last_name": "Turing"},
        {"id": 4, "last_name": "Dijkstra"},
    ]


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ({"filter": "salary >"}, "position"),
        ({"filter": "nope = 1"}, "nope"),
        ({"filter": "(salary > 1"}, "position"),
        ({"order": "nope desc"}, "nope"),
        ({"fields": "id,nope"}, "nope"),
        ({"limit": "-1"}, "limit"),
        ({"filter": "id = 'x'"}, "id"),
    ],
)
def test_bad_queries_are_400_naming_the_problem(client, admin_headers, data_service, query, needle):
    response = client.get(f"{data_service}/_table/employees", query_string=query, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert needle in response.get_json()["error"]["message"]


def test_crud_by_id(client, admin_headers, data_service):
    url = f"{data_service}/_table/employees"
    created = client.post(
        url, json={"first_name": "Frances", "last_name": "Allen", "salary": 1}, headers=admin_headers
    )
    assert created.status_code == 201
    new_id = created.get_json()["resource"][0]["id"]
    assert client.get(f"{url}/{new_id}", headers=admin_headers).get_json()["last_name"] == "Allen"
    patched = client.patch(f"{url}/{new_id}?fields=*", json={"salary": 2}, headers=admin_headers).get_json()
    assert patched["salary"] == 2 and patched["first_name"] == "Frances"
    assert client.delete(f"{url}/{new_id}", headers=admin_headers).status_code == 200
    missing = client.get(f"{url}/{new_id}", headers=admin_headers)
    assert missing.status_code == 404


def test_composite_key(client, admin_headers, data_service):
    url = f"{data_service}/_table/assignments"
    body = {
        "resource": [
            {"employee_id": 1, "project": "apollo", "hours": 3},
            {"employee_id": 1, "project": "zeus", "hours": 4},
        ]
    }
    assert client.post(url, json=body, headers=admin_headers).status_code == 201
    assert client.get(f"{url}/1,zeus", headers=admin_headers).get_json()["hours"] == 4
    assert (
        client.get(url, query_string={"ids": "1,apollo"}, headers=admin_headers).get_json()["resource"][0][
            "hours"
        ]
        == 3
    )


def test_rollback_batch_writes_nothing(client, admin_headers, data_service):
    url = f"{data_service}/_table/employees"
    batch = {"resource": [{"first_name": "Ok", "last_name": "One"}, {"first_name": None, "last_name": "Bad"}]}
    response = client.post(f"{url}?rollback=true", json=batch, headers=admin_headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["context"]["errors"] == [1]
    count = client.get(f"{url}?include_count=true&limit=1", headers=admin_headers).get_json()["meta"]["count"]
    assert count == 5


def test_continue_batch_reports_each(client, admin_headers, data_service):
    url = f"{data_service}/_table/employees"
    batch = [{"first_name": None, "last_name": "Bad"}, {"first_name": "Ok", "last_name": "Two"}]
    response = client.post(f"{url}?continue=true", json=batch, headers=admin_headers)
    context = response.get_json()["error"]["context"]
    assert context["errors"] == [0]
    assert "error" in context["resource"][0] and "id" in context["resource"][1]


def test_bulk_update_and_delete_by_filter(client, admin_headers, data_service):
    url = f"{data_service}/_table/employees"
    updated = client.patch(
        url, query_string={"filter": "department = 'Research'"}, json={"salary": 1}, headers=admin_headers
    )
    assert sorted(r["id"] for r in updated.get_json()["resource"]) == [3, 4]
    deleted = client.delete(url, query_string={"filter": "salary = 1"}, headers=admin_headers)
    assert sorted(r["id"] for r in deleted.get_json()["resource"]) == [3, 4]
    assert client.get(f"{url}?include_count=true", headers=admin_headers).get_json()["meta"]["count"] == 3


def test_schema(client, admin_headers, data_service):
    names = client.get(f"{data_service}/_schema", headers=admin_headers).get_json()["resource"]
    assert {n["name"] for n in names} == {"employees", "assignments"}
    schema = client.get(f"{data_service}/_schema/assignments", headers=admin_headers).get_json()
    assert schema["primary_key"] == ["employee_id", "project"]


def test_unknown_service_and_table_are_404(client, admin_headers, data_service):
    assert client.get("/api/v2/nope/_table", headers=admin_headers).status_code == 404
    assert client.get(f"{data_service}/_table/nope", headers=admin_headers).status_code == 404


def test_schema_change_is_seen_after_refresh(client, admin_headers, data_service, scratch_db_url):
    engine = sa.create_engine(scratch_db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE employees ADD COLUMN nickname VARCHAR(20)"))
    engine.dispose()
    fields = client.get(f"{data_service}/_schema/employees?refresh=true", headers=admin_headers).get_json()[
        "field"
    ]
    assert "nickname" in [f["name"] for f in fields]


def test_deactivated_service_disappears(client, admin_headers, data_service):
    service_id = client.get("/api/v2/system/service", headers=admin_headers).get_json()["resource"][0]["id"]
    client.patch(f"/api/v2/system/service/{service_id}", json={"is_active": False}, headers=admin_headers)
    assert client.get(f"{data_service}/_table/employees", headers=admin_headers).status_code == 404


def test_no_admin_session_and_no_key_is_refused(app, client, data_service):
    assert client.get(f"{data_service}/_table/employees").status_code == 401
    assert (
        client.get(f"{data_service}/_table/employees", headers={"Authorization": "Bearer junk"}).status_code
        == 401
    )
    from bastion.db import session_scope
    from bastion.models import User
    from bastion.passwords import hash_password
    from bastion.services.sessions import create_session

    with app.app_context(), session_scope() as db:
        user = User(email="u@example.com", name="U", password_hash=hash_password("user password 1"))
        db.add(user)
        db.flush()
        token = create_session(db, user, 60, 60)[0]
    denied = client.get(f"{data_service}/_table/employees", headers={"Authorization": f"Bearer {token}"})
    assert denied.status_code == 401
    assert "API key is required" in denied.get_json()["error"]["message"]
