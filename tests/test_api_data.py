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


# Text no engine can store: lone surrogates (valid JSON escapes, invalid Unicode) and NUL.


@pytest.fixture
def notes_url(scratch_db_url, client, admin_headers):
    """A service 'notes' over a table with a generated key, a text column and a JSON column."""
    engine = sa.create_engine(scratch_db_url)
    notes = sa.Table(
        "notes",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(50)),
        sa.Column("doc", sa.JSON),
    )
    notes.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(notes.insert().values(title="first"))
    engine.dispose()
    body = {"name": "notes", "config": config_from_url(scratch_db_url)}
    assert client.post("/api/v2/system/service", json=body, headers=admin_headers).status_code == 201
    return "/api/v2/notes/_table/notes"


SURROGATE, LOW_SURROGATE, NUL = "\ud800", "x\udfffy", "a\u0000b"
UNSTORABLE_WRITES = [
    ("post", "", {"title": SURROGATE}, "title"),
    ("post", "?rollback=true", {"resource": [{"title": "fine"}, {"title": LOW_SURROGATE}]}, "title"),
    ("post", "", [{"title": NUL}], "title"),
    ("post", "", {"doc": {"tags": ["ok", SURROGATE]}}, "doc"),
    ("post", "", {"doc": {SURROGATE: 1}}, "doc"),
    ("post", "", {"doc": {"note": NUL}}, "doc"),
    ("post", "", {"doc": NUL}, "doc"),
    ("patch", "/1", {"title": SURROGATE}, "title"),
    ("put", "/1", {"title": NUL}, "title"),
    ("patch", "?ids=1", {"title": SURROGATE}, "title"),
    ("patch", "?filter=id%20%3D%201", {"title": SURROGATE}, "title"),
    ("patch", "?filter=id%20%3D%201", {"doc": [NUL]}, "doc"),
    ("patch", "", {"resource": [{"id": 1, "title": SURROGATE}]}, "title"),
    ("put", "", [{"id": 1, "title": LOW_SURROGATE, "doc": None}], "title"),
]


def test_unstorable_text_in_any_write_is_a_400_naming_the_field(client, admin_headers, notes_url):
    for method, suffix, body, field in UNSTORABLE_WRITES:
        response = getattr(client, method)(notes_url + suffix, json=body, headers=admin_headers)
        assert response.status_code == 400, (method, suffix, body, response.get_json())
        error = response.get_json()["error"]
        errors = error["context"].get("errors")
        if isinstance(errors, list):  # a batch: the failing record's own error names the field
            errors = error["context"]["resource"][errors[0]]["error"]["context"]["errors"]
        assert field in errors and f"'{field}'" in str(error), (method, suffix, body, error)
    rows = client.get(notes_url, query_string={"fields": "*"}, headers=admin_headers).get_json()["resource"]
    assert rows == [{"id": 1, "title": "first", "doc": None}]


def test_unstorable_text_in_filter_values_is_a_400_never_a_500(client, admin_headers, notes_url):
    for query in ("filter=title%20%3D%20%27a%00b%27", "filter=title%20in%20(%27%00%27)", "ids=1%00"):
        for method in ("get", "delete"):
            response = getattr(client, method)(f"{notes_url}?{query}", headers=admin_headers)
            assert response.status_code == 400, (method, query, response.get_json())
    # Invalid UTF-8 in a URL (a lone surrogate's bytes) is decoded as U+FFFD: a plain miss.
    missed = client.get(f"{notes_url}?filter=title%20%3D%20%27%ED%A0%80%27", headers=admin_headers)
    assert missed.status_code == 200 and missed.get_json()["resource"] == []


def test_valid_unicode_is_stored_as_sent(client, admin_headers, notes_url):
    text = "p\u00e2t\u00e9 \U0001f600 \u4e2d\u6587"  # an astral character is a surrogate pair in JSON text
    created = client.post(f"{notes_url}?fields=id,title", json={"title": text}, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["resource"][0] == {"id": 2, "title": text}


# ---- DreamFactory clients (issue 14): filter values, option names, trailing slashes ----


def _ids(client, headers, url, **query) -> list:
    response = client.get(url, query_string={"fields": "id", **query}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [row["id"] for row in response.get_json()["resource"]]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("(first_name like A%) or (last_name like H%)", [1, 2, 3]),
        ("last_name=Turing", [3]),
        ("department = Research && salary gte 106000", [3]),
        ("(department eq Research) || (salary lt 100000)", [3, 4, 5]),
        ("last_name not like L% and department ne Research", [2]),
        ("department in (Sales, Research) and salary le 105000", [4, 5]),
        ("department not in (Engineering,Research)", [5]),
        ("first_name = Ada or first_name = Grace and salary > 200000", [1]),
    ],
)
def test_dreamfactory_filters_select_the_right_rows(client, admin_headers, data_service, text, ids):
    assert _ids(client, admin_headers, f"{data_service}/_table/employees", filter=text) == ids


def test_filter_placeholders_are_bound_from_params(client, admin_headers, data_service):
    url = f"{data_service}/_table/employees"
    query = {"filter": "salary > :min and last_name != :who", "params[:min]": "115000"}
    assert _ids(client, admin_headers, url, **query, **{"params[:who]": "Hopper"}) == [1]
    hostile = {"params[:who]": "x' or '1'='1", "params[:min]": "0"}
    assert _ids(client, admin_headers, url, **{**query, **hostile}) == [1, 2, 3]
    missing = client.get(url, query_string={"filter": "salary > :min"}, headers=admin_headers)
    assert missing.status_code == 400
    assert "no value is given for ':min'" in missing.get_json()["error"]["message"]


def test_dreamfactory_aliases_and_nulls_placement(client, admin_headers, data_service):
    url = f"{data_service}/_table/employees"
    query = {"select": "id", "where": "department = Research", "sort": "id desc", "top": "1", "skip": "1"}
    assert client.get(url, query_string=query, headers=admin_headers).get_json()["resource"] == [{"id": 3}]
    body = {"first_name": "No", "last_name": "Department", "salary": 1}
    new_id = client.post(url, json=body, headers=admin_headers).get_json()["resource"][0]["id"]
    assert _ids(client, admin_headers, url, order="department nulls first", limit="1") == [new_id]
    assert _ids(client, admin_headers, url, order_by="department DESC NULLS FIRST", limit="1") == [new_id]
    assert _ids(client, admin_headers, url, order="department asc nulls last", offset="5") == [new_id]
    assert _ids(client, admin_headers, url, order="department desc nulls last", offset="5") == [new_id]


def test_a_cursor_pages_over_http_and_a_forged_one_is_a_400(client, admin_headers, data_service):
    url = f"{data_service}/_table/employees"
    seen, token = [], ""
    for _ in range(5):
        query = {"fields": "first_name", "order": "department desc", "limit": "2", "cursor": token}
        body = client.get(url, query_string=query, headers=admin_headers).get_json()
        seen += [row["first_name"] for row in body["resource"]]
        token = body.get("meta", {}).get("next")
        if token is None:
            break
    assert sorted(seen) == sorted(row[1] for row in ROWS)
    # The cap (max_records=3) still cuts a cursor page, and its next token continues after it.
    capped = client.get(url, query_string={"cursor": ""}, headers=admin_headers).get_json()
    assert [row["id"] for row in capped["resource"]] == [1, 2, 3] and "count" not in capped["meta"]
    rest = client.get(url, query_string={"cursor": capped["meta"]["next"]}, headers=admin_headers)
    assert [row["id"] for row in rest.get_json()["resource"]] == [4, 5]
    forged = client.get(url, query_string={"cursor": "eyJ2IjoxfQ.AAAA"}, headers=admin_headers)
    assert forged.status_code == 400
    assert "not a cursor this server issued" in forged.get_json()["error"]["message"]
    mixed = client.get(url, query_string={"cursor": "", "offset": "2"}, headers=admin_headers)
    assert mixed.status_code == 400
    on_system = client.get("/api/v2/system/role", query_string={"cursor": ""}, headers=admin_headers)
    assert on_system.status_code == 400


def test_as_list_answers_identifiers_only(client, admin_headers, data_service):
    url = f"{data_service}/_table"
    listed = client.get(f"{url}/employees?as_list=true&include_count=true", headers=admin_headers).get_json()
    assert listed == {"resource": [1, 2, 3], "meta": {"count": 5, "next": 3}}
    batch = [{"employee_id": 2, "project": "b", "hours": 1}, {"employee_id": 1, "project": "a", "hours": 1}]
    assert client.post(f"{url}/assignments", json=batch, headers=admin_headers).status_code == 201
    assert client.get(f"{url}/assignments?as_list=1", headers=admin_headers).get_json() == {
        "resource": ["1,a", "2,b"]
    }


@pytest.mark.parametrize("name", ["include_access", "as_access_list"])
def test_dreamfactory_options_bastion_lacks_are_a_400_never_ignored(
    client, admin_headers, data_service, name
):
    url = f"{data_service}/_table/employees"
    for method, path in (("GET", url), ("GET", f"{url}/1"), ("PATCH", f"{url}/1"), ("DELETE", f"{url}/1")):
        response = client.open(path, method=method, query_string={name: "*"}, json={}, headers=admin_headers)
        assert response.status_code == 400, (method, response.get_json())
        assert response.get_json()["error"]["message"] == f"Parameter '{name}' is not supported by Bastion"
    assert _ids(client, admin_headers, url, **{"_": "1712345678"}) == [1, 2, 3]


def test_as_list_on_a_write_is_refused_before_writing(client, admin_headers, data_service):
    url = f"{data_service}/_table/employees"
    response = client.post(
        f"{url}?as_list=true", json={"first_name": "A", "last_name": "B"}, headers=admin_headers
    )
    assert response.status_code == 400
    assert "'as_list' is supported on collection reads" in response.get_json()["error"]["message"]
    count = client.get(f"{url}?include_count=true&limit=1", headers=admin_headers).get_json()["meta"]["count"]
    assert count == len(ROWS)


@pytest.mark.parametrize(
    "path",
    ["/api/v2/", "/api/v2/hr/", "/api/v2/hr/_table/", "/api/v2/hr/_table/employees/"]
    + ["/api/v2/hr/_table/employees/2/", "/api/v2/hr/_schema/", "/api/v2/hr/_schema/employees/"]
    + ["/api/hr/_table/employees/", "/api/v2/system/service/", "/api/v2/system/admin/session/"],
)
def test_a_trailing_slash_names_the_same_resource(client, admin_headers, data_service, path):
    with_slash = client.get(path, headers=admin_headers)
    without = client.get(path.rstrip("/"), headers=admin_headers)
    assert with_slash.status_code == without.status_code == 200, with_slash.get_json()
    assert with_slash.get_json() == without.get_json()


def test_trailing_slash_writes_and_an_empty_id_stays_a_404(client, admin_headers, data_service):
    url = f"{data_service}/_table/employees/"
    created = client.post(url, json={"first_name": "T", "last_name": "Slash"}, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    new_id = created.get_json()["resource"][0]["id"]
    assert client.patch(f"{url}{new_id}/", json={"salary": 5}, headers=admin_headers).status_code == 200
    assert client.delete(f"{url}{new_id}/", headers=admin_headers).status_code == 200
    empty = client.get(f"{url}/", headers=admin_headers)
    assert empty.status_code == 404 and empty.is_json
