"""API docs (DESIGN §9): valid OpenAPI 3.1, reduced exactly to the role, docs-only team members."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from bastion.docs.system_doc import system_routes, undocumented
from tests.conftest import add_sqlite_service, login, make_app

SYS = "/api/v2/system"


@pytest.fixture(scope="module")
def system_db_url(sqlite_system_db_url):
    """This module tests docs, not the system database: one SQLite system database is enough."""
    return sqlite_system_db_url


@pytest.fixture
def hr(client, admin_headers, tmp_path):
    path = tmp_path / "hr.db"
    schema = [
        "CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT NOT NULL, dept VARCHAR(20), "
        "salary NUMERIC(10,2), hired DATE)",
        "CREATE TABLE salaries (id INTEGER PRIMARY KEY, amount INT)",
        "CREATE VIEW staff AS SELECT id, name FROM employees",
        "INSERT INTO employees (name, dept) VALUES ('Ada', 'Sales')",
    ]
    add_sqlite_service(client, admin_headers, path, schema)
    return path


def _key_for(client, admin_headers, access, user=False):
    role = client.post(
        f"{SYS}/role", json={"name": f"r{len(access)}{user}", "access": access}, headers=admin_headers
    ).get_json()
    app = client.post(
        f"{SYS}/app", json={"name": f"a{role['id']}", "role_id": role["id"]}, headers=admin_headers
    ).get_json()
    return {"X-Api-Key": app["api_key"]}


def test_admin_gets_the_full_valid_document(client, admin_headers, hr):
    listed = client.get("/api/v2/api_docs", headers=admin_headers).get_json()["resource"]
    assert [d["name"] for d in listed] == ["hr", "system"]
    doc = client.get("/api/v2/api_docs/hr", headers=admin_headers).get_json()
    validate(doc)
    assert {
        "/_table/employees",
        "/_table/employees/{id}",
        "/_table/salaries",
        "/_table/staff",
        "/_schema/employees",
    } <= set(doc["paths"])
    assert "/_table/staff/{id}" not in doc["paths"]  # a view has no key
    props = doc["components"]["schemas"]["employees"]["properties"]
    assert props["id"] == {"type": "integer"} and props["dept"] == {
        "type": ["string", "null"],
        "maxLength": 20,
    }
    assert props["hired"]["format"] == "date"
    assert {"ApiKey", "DreamFactoryApiKey", "ApiKeyQuery", "SessionToken", "SessionTokenQuery"} <= set(
        doc["components"]["securitySchemes"]
    )


def test_reduced_document_matches_the_role_exactly(client, admin_headers, hr):
    key = _key_for(
        client,
        admin_headers,
        [
            {
                "service": "hr",
                "component": "_table/employees/*",
                "verbs": ["GET", "PATCH"],
                "fields": ["id", "name"],
            }
        ],
    )
    doc = client.get("/api/v2/api_docs/hr", headers=key).get_json()
    validate(doc)
    assert set(doc["paths"]) == {"/_table/employees", "/_table/employees/{id}"}
    assert set(doc["paths"]["/_table/employees"]) == {"get", "patch"}
    assert set(doc["paths"]["/_table/employees/{id}"]) == {"get", "patch"}
    assert set(doc["components"]["schemas"]) == {"Error", "employees"}
    assert set(doc["components"]["schemas"]["employees"]["properties"]) == {"id", "name"}
    text = str(doc)
    assert "salaries" not in text and "salary" not in text and "staff" not in text


def test_docs_only_member_reads_docs_and_nothing_else(client, admin_headers, hr):
    role = client.post(
        f"{SYS}/role",
        json={"name": "docs", "access": [{"service": "api_docs", "component": "hr", "verbs": ["GET"]}]},
        headers=admin_headers,
    ).get_json()
    app = client.post(f"{SYS}/app", json={"name": "portal"}, headers=admin_headers).get_json()
    client.post(
        f"{SYS}/user",
        json={
            "email": "dev@example.com",
            "name": "Dev",
            "password": "dev password 123",
            "app_roles": [{"app_id": app["id"], "role_id": role["id"]}],
        },
        headers=admin_headers,
    )
    token = login(client, "dev@example.com", "dev password 123", path="/api/v2/user/session").get_json()
    auth = {"X-Api-Key": app["api_key"], "Authorization": f"Bearer {token['session_token']}"}
    assert [d["name"] for d in client.get("/api/v2/api_docs", headers=auth).get_json()["resource"]] == ["hr"]
    doc = client.get("/api/v2/api_docs/hr", headers=auth)
    assert doc.status_code == 200 and "/_table/salaries" in doc.get_json()["paths"]
    for verb, path in [
        ("GET", "/api/v2/hr/_table/employees"),
        ("GET", "/api/v2/hr/_table/employees/1"),
        ("POST", "/api/v2/hr/_table/employees"),
        ("DELETE", "/api/v2/hr/_table/employees/1"),
        ("GET", "/api/v2/hr/_schema/employees"),
        ("GET", "/api/v2/hr/_table"),
        ("GET", "/api/v2/api_docs/system"),
    ]:
        response = client.open(path, method=verb, headers=auth, json={} if verb == "POST" else None)
        assert response.status_code == 403, (verb, path, response.get_json())


def test_no_access_is_403_and_anonymous_401(client, admin_headers, hr):
    key = _key_for(client, admin_headers, [{"service": "hr", "component": "_table/employees", "verbs": []}])
    assert client.get("/api/v2/api_docs/hr", headers=key).status_code == 403
    assert client.get("/api/v2/api_docs/hr").status_code == 401
    assert client.get("/api/v2/api_docs").status_code == 401


def test_new_column_shows_after_refresh(client, admin_headers, hr):
    client.get("/api/v2/api_docs/hr", headers=admin_headers)
    engine = sa.create_engine(f"sqlite:///{hr}")
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE employees ADD COLUMN nickname TEXT"))
    engine.dispose()
    doc = client.get("/api/v2/api_docs/hr?refresh=true", headers=admin_headers).get_json()
    assert "nickname" in doc["components"]["schemas"]["employees"]["properties"]


def test_disabled_docs_and_the_system_document(client, admin_headers, hr):
    validate(client.get("/api/v2/api_docs/system", headers=admin_headers).get_json())
    service_id = client.get(f"{SYS}/service", headers=admin_headers).get_json()["resource"][0]["id"]
    response = client.patch(
        f"{SYS}/service/{service_id}", json={"config": {"docs": "disabled"}}, headers=admin_headers
    )
    assert response.status_code == 200
    assert client.get("/api/v2/api_docs/hr", headers=admin_headers).status_code == 404
    bad = client.patch(
        f"{SYS}/service/{service_id}", json={"config": {"docs": "sometimes"}}, headers=admin_headers
    )
    assert "config.docs" in bad.get_json()["error"]["context"]["errors"]


def test_every_view_has_a_one_line_docstring(app):
    # CONVENTIONS §10: every view says in one line what it answers.
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if not (app.view_functions[rule.endpoint].__doc__ or "").strip()
    ]
    assert missing == []


def test_every_registered_system_route_is_in_the_document(app, client, admin_headers):
    # The document is built from the routes: each one is in it with every method, or a test names it.
    assert undocumented(app) == []
    doc = client.get("/api/v2/api_docs/system", headers=admin_headers).get_json()
    validate(doc)
    routes = list(system_routes(app))
    assert len(routes) > 60
    for rule, methods in routes:
        path = re.sub(r"<id:\w+>", "{id}", rule.rule).replace("<name>", "{name}")[len("/api/v2") :]
        assert set(doc["paths"][path]) >= {m.lower() for m in methods}, rule.rule
    role = doc["paths"]["/system/role/{id}"]["get"]
    assert role["summary"] == "Get a role."
    assert role["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RolePublic"
    }
    assert set(doc["components"]["schemas"]["UserPublic"]["properties"]) >= {"app_roles", "last_login_at"}


def test_a_view_without_a_route_doc_is_named(system_db_url, tmp_path):
    app = make_app(system_db_url, str(tmp_path))
    app.add_url_rule("/api/v2/system/ghost", "ghost", lambda: {})
    app.add_url_rule("/api/v2/elsewhere", "elsewhere", lambda: {})  # not the admin API's
    try:
        assert undocumented(app) == ["ghost"]
    finally:
        app.extensions["bastion.engines"].dispose_all()
        app.extensions["bastion.db"].dispose()


def test_dreamfactory_parameters_and_headers_are_documented(client, admin_headers, hr):
    doc = client.get("/api/v2/api_docs/hr", headers=admin_headers).get_json()
    validate(doc)
    table = doc["paths"]["/_table/employees"]
    listed = {p["$ref"].rsplit("/", 1)[1] for p in table["get"]["parameters"]}
    assert {"count_only", "include_schema", "group", "having", "as_list"} <= listed
    assert "COUNT_ALL" in doc["components"]["parameters"]["group"]["description"]
    assert {"type": "integer", "minimum": 0} in table["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["anyOf"]
    assert "X-HTTP-Method" in table["post"]["description"]
    for verb, status in (("post", "201"), ("patch", "200"), ("put", "200")):
        assert "X-Ignored-Fields" in table[verb]["responses"][status]["headers"]
    assert (
        "X-Ignored-Fields" in doc["paths"]["/_table/employees/{id}"]["patch"]["responses"]["200"]["headers"]
    )


def test_every_data_operation_documents_what_it_can_answer(client, admin_headers, hr):
    # schemathesis's stateful run once met a 409 from a PATCH whose document listed 400-404 only.
    doc = client.get("/api/v2/api_docs/hr", headers=admin_headers).get_json()
    for path, operations in doc["paths"].items():
        for verb, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403", "404", "503", "504"} <= codes, (verb, path)
            if verb in ("post", "put", "patch", "delete"):
                assert {"400", "409", "415"} <= codes, (verb, path)
    failing = doc["paths"]["/_table/employees/{id}"]["patch"]["responses"]
    assert failing["503"]["description"] == "The database is unreachable, busy or locked"
