"""/api/v2/system/service and service_type: CRUD, validation, masked secrets, connection tests."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bastion.secrets import MASK

SERVICES = "/api/v2/system/service"


def sqlite_service(path, name="demo", **config):
    return {"name": name, "label": "Demo", "config": {"engine": "sqlite", "database": str(path), **config}}


@pytest.fixture
def sqlite_file(tmp_path):
    path = tmp_path / "data.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
    engine.dispose()
    return path


def test_service_types_describe_the_form(client, admin_headers):
    types = client.get("/api/v2/system/service_type", headers=admin_headers).get_json()["resource"]
    fields = {f["name"]: f for f in types[0]["config_schema"]}
    assert fields["password"]["secret"] is True
    assert fields["engine"]["choices"] == ["sqlite", "postgresql", "mysql"]
    assert fields["database"]["required"] is True
    assert fields["max_records"]["default"] == 1000


def test_crud(client, admin_headers, sqlite_file):
    created = client.post(SERVICES, json=sqlite_service(sqlite_file), headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    service = created.get_json()
    assert service["config"]["max_records"] == 1000
    assert client.get(f"{SERVICES}/{service['id']}", headers=admin_headers).get_json()["name"] == "demo"
    updated = client.patch(
        f"{SERVICES}/{service['id']}",
        json={"label": "Renamed", "config": {"max_records": 5}},
        headers=admin_headers,
    ).get_json()
    assert updated["label"] == "Renamed" and updated["config"]["max_records"] == 5
    assert updated["config"]["database"] == str(sqlite_file)
    assert [s["name"] for s in client.get(SERVICES, headers=admin_headers).get_json()["resource"]] == ["demo"]
    assert client.delete(f"{SERVICES}/{service['id']}", headers=admin_headers).status_code == 200
    assert client.get(f"{SERVICES}/{service['id']}", headers=admin_headers).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "system"}, "name"),
        ({"name": "api_docs"}, "name"),
        ({"name": "Has Spaces"}, "name"),
        ({"name": "x" * 64}, "name"),
        ({"config": {"engine": "oracle", "database": "x"}}, "config.engine"),
        ({"config": {"engine": "postgresql", "database": "x"}}, "config.host"),
        ({"config": {"engine": "postgresql", "host": "h", "database": "x", "port": 70000}}, "config.port"),
        ({"config": {"engine": "sqlite", "database": "relative.db"}}, "config.database"),
        ({"config": {"engine": "sqlite", "database": "/x.db", "max_records": 0}}, "config.max_records"),
        ({"config": {"engine": "sqlite", "database": "/x.db", "colour": "red"}}, "config.colour"),
        ({"type": "graphql"}, "type"),
    ],
)
def test_bad_services_name_the_field(client, admin_headers, sqlite_file, payload, field):
    body = {**sqlite_service(sqlite_file), **payload}
    response = client.post(SERVICES, json=body, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["context"]["errors"]
    assert client.get(SERVICES, headers=admin_headers).get_json()["resource"] == []


def test_the_system_database_cannot_be_served(client, admin_headers, app, system_db_url):
    if not system_db_url.startswith("sqlite"):
        pytest.skip("only a SQLite system database is a file")
    path = system_db_url.split("///", 1)[1]
    response = client.post(SERVICES, json=sqlite_service(path), headers=admin_headers)
    assert response.status_code == 400


def test_duplicate_name_is_409(client, admin_headers, sqlite_file):
    client.post(SERVICES, json=sqlite_service(sqlite_file), headers=admin_headers)
    response = client.post(SERVICES, json=sqlite_service(sqlite_file), headers=admin_headers)
    assert response.status_code == 409


def _pg_service(password: str, database: str = "test") -> dict:
    return {
        "name": "pg",
        "config": {
            "engine": "postgresql",
            "host": "127.0.0.1",
            "port": 5432,
            "database": database,
            "username": "postgres",
            "password": password,
        },
    }


def test_password_is_masked_sealed_and_kept_on_mask_round_trip(app, client, admin_headers):
    created = client.post(SERVICES, json=_pg_service("Pg-Secret-123"), headers=admin_headers)
    service = created.get_json()
    assert service["config"]["password"] == MASK
    assert "Pg-Secret-123" not in created.get_data(as_text=True)
    stored = _stored_config(app, service["id"])
    assert stored["password"].startswith("enc:v1:") and "Pg-Secret-123" not in stored["password"]
    client.put(
        f"{SERVICES}/{service['id']}",
        json={"config": {**service["config"], "port": 5432}},
        headers=admin_headers,
    )
    assert _stored_config(app, service["id"])["password"] == stored["password"]
    client.patch(
        f"{SERVICES}/{service['id']}", json={"config": {"password": "New-Secret-456"}}, headers=admin_headers
    )
    assert _stored_config(app, service["id"])["password"] != stored["password"]


def _stored_config(app, service_id):
    from bastion.db import session_scope
    from bastion.models import Service

    with app.app_context(), session_scope() as db:
        return dict(db.get(Service, service_id).config)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mysql"])
def test_connection_test_succeeds_on_each_engine(client, admin_headers, sqlite_file, engine):
    body = {
        "sqlite": sqlite_service(sqlite_file),
        "postgresql": _pg_service("unused"),
        "mysql": {
            "name": "maria",
            "config": {
                "engine": "mysql",
                "host": "127.0.0.1",
                "port": 3306,
                "database": "test",
                "username": "root",
            },
        },
    }[engine]
    service = client.post(SERVICES, json=body, headers=admin_headers).get_json()
    response = client.post(f"{SERVICES}/{service['id']}/test", headers=admin_headers)
    assert response.status_code == 200, response.get_json()


def test_connection_test_says_why_without_secrets(client, admin_headers, caplog):
    service = client.post(SERVICES, json=_pg_service("Leak-Me-789", "no_such_db_x"), headers=admin_headers)
    response = client.post(f"{SERVICES}/{service.get_json()['id']}/test", headers=admin_headers)
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert "does not exist" in message
    assert "Leak-Me-789" not in response.get_data(as_text=True)
    assert "Leak-Me-789" not in caplog.text


def test_service_types_by_group_and_as_list_as_dreamfactory_lists_them(client, admin_headers):
    """df-core ServiceManager::getServiceTypes: a comma list of groups, any case; none of a group is empty."""
    url = "/api/v2/system/service_type"
    databases = client.get(
        url, query_string={"group": "database", "fields": "name,group"}, headers=admin_headers
    )
    assert databases.status_code == 200, databases.get_json()
    assert databases.get_json() == {"resource": [{"name": "sql", "group": "Database"}]}
    both = client.get(
        url, query_string={"group": "Database, Remote Service", "as_list": "true"}, headers=admin_headers
    )
    assert both.get_json() == {"resource": ["sql", "http"]}
    files = client.get(url, query_string={"group": "File", "include_count": "true"}, headers=admin_headers)
    assert files.get_json() == {"resource": [], "meta": {"count": 0}}
    assert client.get(url, query_string={"order": "name"}, headers=admin_headers).status_code == 400
