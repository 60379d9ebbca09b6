"""Ways around the one access decision found by the outside review (issue 12), each closed for good.

Docs, `_schema` and the listings show exactly what the data API allows; a grant covers exactly the table
it names; `?refresh` is for admins; bad ids and access items are 400s.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from tests.conftest import add_sqlite_service
from tests.databases import config_from_url

SYS = "/api/v2/system"
HR_SCHEMA = [
    "CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT NOT NULL, dept TEXT, salary INT)",
    "CREATE TABLE salaries (id INTEGER PRIMARY KEY, employee_id INT REFERENCES employees(id), amount INT)",
    "CREATE TABLE projects (id INTEGER PRIMARY KEY, lead_id INT REFERENCES employees(id), title TEXT)",
    "INSERT INTO employees (name, dept, salary) VALUES ('Ada', 'Sales', 100)",
    "INSERT INTO salaries (employee_id, amount) VALUES (1, 100)",
]


@pytest.fixture
def hr(client, admin_headers, tmp_path):
    add_sqlite_service(client, admin_headers, tmp_path / "hr.db", HR_SCHEMA)
    return "/api/v2/hr"


def key_for(client, admin_headers, access: list, name: str = "r") -> dict:
    """An API key whose app's default role holds these access entries."""
    role = client.post(f"{SYS}/role", json={"name": name, "access": access}, headers=admin_headers)
    assert role.status_code == 201, role.get_json()
    app = client.post(
        f"{SYS}/app", json={"name": name, "role_id": role.get_json()["id"]}, headers=admin_headers
    )
    return {"X-Api-Key": app.get_json()["api_key"]}


BROAD_BUT_NOT_SALARIES = [
    {"service": None, "component": "*", "verbs": ["GET"]},
    {"service": "hr", "component": "_table/salaries", "verbs": []},
]


def test_a_denied_table_is_absent_from_data_docs_schema_and_listings(client, admin_headers, hr):
    key = key_for(client, admin_headers, BROAD_BUT_NOT_SALARIES)
    assert client.get(f"{hr}/_table/salaries", headers=key).status_code == 403
    assert client.get(f"{hr}/_schema/salaries", headers=key).status_code == 403
    assert client.get(f"{hr}/_table/employees", headers=key).status_code == 200
    tables = client.get(f"{hr}/_table", headers=key).get_json()["resource"]
    assert [t["name"] for t in tables] == ["employees", "projects"]
    schemas = client.get(f"{hr}/_schema", headers=key).get_json()["resource"]
    assert [t["name"] for t in schemas] == ["employees", "projects"]
    related = client.get(f"{hr}/_schema/employees", headers=key).get_json()["related"]
    assert [r["ref_table"] for r in related] == ["projects"]
    doc = client.get("/api/v2/api_docs/hr", headers=key)
    assert doc.status_code == 200, doc.get_json()
    validate(doc.get_json())
    assert "salaries" not in str(doc.get_json()) and "amount" not in str(doc.get_json())
    assert [d["name"] for d in client.get("/api/v2/api_docs", headers=key).get_json()["resource"]] == ["hr"]
    assert [s["name"] for s in client.get("/api/v2", headers=key).get_json()["resource"]] == ["hr"]


def test_an_all_services_entry_does_not_grant_the_full_document(client, admin_headers, hr):
    everything_but_hr = [
        {"service": None, "component": "*", "verbs": ["GET"]},
        {"service": "hr", "component": "*", "verbs": []},
    ]
    key = key_for(client, admin_headers, everything_but_hr)
    assert client.get("/api/v2/api_docs/hr", headers=key).status_code == 403
    assert client.get("/api/v2/api_docs", headers=key).get_json()["resource"] == []
    assert client.get("/api/v2", headers=key).get_json()["resource"] == []


def test_metadata_alone_opens_no_document_and_no_table(client, admin_headers, hr):
    key = key_for(client, admin_headers, [{"service": "hr", "component": "_schema/*", "verbs": ["GET"]}])
    assert client.get("/api/v2/api_docs", headers=key).get_json()["resource"] == []
    assert client.get("/api/v2/api_docs/hr", headers=key).status_code == 403
    assert client.get(f"{hr}/_schema", headers=key).get_json()["resource"] == []
    assert client.get(f"{hr}/_schema/employees", headers=key).status_code == 403


def test_each_verb_documents_exactly_its_own_columns(client, admin_headers, hr):
    key = key_for(
        client,
        admin_headers,
        [
            {"service": "hr", "component": "_table/employees", "verbs": ["GET"], "fields": ["id", "name"]},
            {
                "service": "hr",
                "component": "_table/employees/*",
                "verbs": ["PATCH"],
                "fields": ["id", "dept"],
            },
        ],
    )
    # The exact entry decides _table/employees: GET only, with its own columns.
    doc = client.get("/api/v2/api_docs/hr", headers=key).get_json()
    validate(doc)
    assert set(doc["paths"]["/_table/employees"]) == {"get"}
    assert set(doc["components"]["schemas"]["employees"]["properties"]) == {"id", "name"}
    assert "salary" not in str(doc) and "dept" not in str(doc)


def test_verbs_with_different_columns_get_a_schema_each(client, admin_headers, hr):
    key = key_for(
        client,
        admin_headers,
        [
            {"service": "hr", "component": "_table/employees", "verbs": ["GET"], "fields": ["id", "name"]},
            {"service": "hr", "component": "_table/employees", "verbs": ["POST"], "fields": ["name", "dept"]},
        ],
    )
    doc = client.get("/api/v2/api_docs/hr", headers=key).get_json()
    validate(doc)
    schemas = doc["components"]["schemas"]
    assert set(schemas["employees.GET"]["properties"]) == {"id", "name"}
    assert set(schemas["employees.POST"]["properties"]) == {"name", "dept"}
    post = doc["paths"]["/_table/employees"]["post"]
    assert "employees.POST" in str(post["requestBody"]) and "employees.GET" not in str(post)
    assert "salary" not in str(doc)


def test_post_only_documents_only_post(client, admin_headers, hr):
    key = key_for(
        client,
        admin_headers,
        [{"service": "hr", "component": "_table/employees", "verbs": ["POST"], "fields": ["name"]}],
    )
    doc = client.get("/api/v2/api_docs/hr", headers=key).get_json()
    validate(doc)
    assert doc["paths"] == {"/_table/employees": doc["paths"]["/_table/employees"]}
    assert set(doc["paths"]["/_table/employees"]) == {"post"}
    assert set(doc["components"]["schemas"]["employees"]["properties"]) == {"name"}


def test_schema_shows_only_columns_some_verb_may_use(client, admin_headers, hr):
    key = key_for(
        client,
        admin_headers,
        [
            {"service": "hr", "component": "_table/employees", "verbs": ["GET"], "fields": ["id", "name"]},
            {"service": "hr", "component": "_schema/*", "verbs": ["GET"]},
        ],
    )
    schema = client.get(f"{hr}/_schema/employees", headers=key).get_json()
    assert [f["name"] for f in schema["field"]] == ["id", "name"]
    # Neither salaries nor projects can be read, so no relation names them.
    assert schema["related"] == []
    assert [t["name"] for t in client.get(f"{hr}/_schema", headers=key).get_json()["resource"]] == [
        "employees"
    ]


# --- the case trick -------------------------------------------------------------------------------


def _make_items_tables(url: str) -> bool:
    """Tables items and "Items" where the database tells them apart; whether it did."""
    engine = sa.create_engine(url)
    quote = '"' if engine.dialect.name != "mysql" else "`"
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE items (id INTEGER PRIMARY KEY, secret VARCHAR(10))"))
        conn.execute(sa.text("INSERT INTO items (id, secret) VALUES (1, 'public')"))
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(f"CREATE TABLE {quote}Items{quote} (id INTEGER PRIMARY KEY, secret VARCHAR(10))")
            )
            conn.execute(sa.text(f"INSERT INTO {quote}Items{quote} (id, secret) VALUES (1, 'hidden')"))
        return True
    except sa.exc.DatabaseError:
        return False  # the database folds the case of table names: there is one table
    finally:
        engine.dispose()


def test_a_grant_covers_exactly_the_table_it_names(client, admin_headers, scratch_db_url):
    twins = _make_items_tables(scratch_db_url)
    body = {"name": "shop", "config": config_from_url(scratch_db_url)}
    assert client.post(f"{SYS}/service", json=body, headers=admin_headers).status_code == 201
    key = key_for(client, admin_headers, [{"service": "shop", "component": "_table/items", "verbs": ["GET"]}])
    rows = client.get("/api/v2/shop/_table/items", headers=key)
    assert rows.status_code == 200 and rows.get_json()["resource"] == [{"id": 1, "secret": "public"}]
    listed = [t["name"] for t in client.get("/api/v2/shop/_table", headers=key).get_json()["resource"]]
    assert listed == ["items"]
    if twins:
        for path in ("_table/Items", "_table/Items/1", "_schema/Items"):
            response = client.get(f"/api/v2/shop/{path}", headers=key)
            assert response.status_code == 403, (path, response.get_json())
        # A spelling that fits neither table exactly names no table at all.
        assert client.get("/api/v2/shop/_table/ITEMS", headers=key).status_code in (403, 404)
        doc = client.get("/api/v2/api_docs/shop", headers=key).get_json()
        assert set(doc["paths"]) == {"/_table/items", "/_table/items/{id}"}
        assert client.get("/api/v2/shop/_table/Items", headers=admin_headers).get_json()["resource"] == [
            {"id": 1, "secret": "hidden"}
        ]
        # explain decides the way the request does.
        app_id = client.get(f"{SYS}/app", headers=admin_headers).get_json()["resource"][0]["id"]
        for path, allowed in (("_table/Items/1", False), ("_table/items", True)):
            query = {"path": f"/api/v2/shop/{path}", "app": app_id}
            explained = client.get(f"{SYS}/explain", query_string=query, headers=admin_headers).get_json()
            assert explained["allowed"] is allowed, explained
    else:
        # The database folds case, so every spelling is the one table.
        assert client.get("/api/v2/shop/_table/ITEMS", headers=key).status_code == 200


def test_an_entry_naming_a_table_in_another_case_still_works_when_the_name_is_unique(
    client, admin_headers, tmp_path
):
    add_sqlite_service(
        client, admin_headers, tmp_path / "s.db", ["CREATE TABLE Orders (id INTEGER PRIMARY KEY)"]
    )
    key = key_for(client, admin_headers, [{"service": "hr", "component": "_table/orders", "verbs": ["GET"]}])
    assert client.get("/api/v2/hr/_table/Orders", headers=key).status_code == 200
    assert client.get("/api/v2/hr/_table/orders", headers=key).status_code == 200


# --- small items ------------------------------------------------------------------------------------


def test_refresh_is_for_admins_only(client, admin_headers, hr):
    key = key_for(client, admin_headers, [{"service": "hr", "component": "*", "verbs": ["GET"]}])
    for path in (f"{hr}/_table/employees", f"{hr}/_schema/employees", f"{hr}/_table", "/api/v2/api_docs/hr"):
        response = client.get(f"{path}?refresh=true", headers=key)
        assert response.status_code == 403, path
        assert "refresh" in response.get_json()["error"]["message"]
        assert client.get(f"{path}?refresh=true", headers=admin_headers).status_code == 200


@pytest.mark.parametrize("param", ["user", "app"])
@pytest.mark.parametrize("value", ["9" * 20, "99999999999999999999999999", "9223372036854775808", "١٢"])
def test_explain_refuses_ids_that_fit_no_column(client, admin_headers, param, value):
    query = {"path": "/api/v2/hr/_table/x", param: value}
    response = client.get(f"{SYS}/explain", query_string=query, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert param in response.get_json()["error"]["context"]["errors"]


def test_twenty_digit_role_and_app_ids_are_400(client, admin_headers):
    huge = 10**19 + 7
    app = client.post(f"{SYS}/app", json={"name": "a", "role_id": huge}, headers=admin_headers)
    assert app.status_code == 400 and "role_id" in app.get_json()["error"]["context"]["errors"]
    user = {
        "email": "u@example.com",
        "name": "U",
        "password": "a long password 1",
        "app_roles": [{"app_id": huge, "role_id": huge}],
    }
    response = client.post(f"{SYS}/user", json=user, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert any("app_roles" in k for k in response.get_json()["error"]["context"]["errors"])


@pytest.mark.parametrize("item", [1, "x", None, ["GET"], True])
@pytest.mark.parametrize("field", ["access", "role_service_access_by_role_id"])
def test_non_object_access_items_are_400_naming_the_field(client, admin_headers, field, item):
    response = client.post(f"{SYS}/role", json={"name": "r", field: [item]}, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert any(k.startswith(field) for k in response.get_json()["error"]["context"]["errors"])


@pytest.mark.parametrize("value", ["x", 3, {"service_id": 1}])
def test_dreamfactory_access_must_be_a_list(client, admin_headers, value):
    body = {"name": "r", "role_service_access_by_role_id": value}
    response = client.post(f"{SYS}/role", json=body, headers=admin_headers)
    assert response.status_code == 400
    assert "role_service_access_by_role_id" in response.get_json()["error"]["context"]["errors"]


def test_dreamfactory_service_id_must_be_an_id(client, admin_headers):
    body = {"name": "r", "role_service_access_by_role_id": [{"service_id": [1], "verb_mask": 1}]}
    response = client.post(f"{SYS}/role", json=body, headers=admin_headers)
    assert response.status_code == 400
    assert "role_service_access_by_role_id[0].service_id" in response.get_json()["error"]["context"]["errors"]
