"""A data service that is valid but will fail is saved with `warnings` naming the field (SQLite files)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.conftest import make_app

SERVICES = "/api/v2/system/service"


@pytest.fixture
def system_db_url(sqlite_system_db_url):
    """A SQLite system database: the subject is the service's file, not the system database."""
    return sqlite_system_db_url


def sqlite_service(path, name="hr") -> dict:
    return {"name": name, "config": {"engine": "sqlite", "database": str(path)}}


def make_database(path) -> None:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT)"))
    engine.dispose()


def post(client, headers, body: dict) -> dict:
    created = client.post(SERVICES, json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def messages(body: dict) -> list[str]:
    assert all(w["field"] == "config.database" for w in body["warnings"]), body
    return [w["message"] for w in body["warnings"]]


def test_a_missing_file_is_saved_with_a_warning_and_serves_once_copied(client, admin_headers, tmp_path):
    path = tmp_path / "hr.db"
    created = client.post(SERVICES, json=sqlite_service(path), headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    [message] = messages(created.get_json())
    assert message.startswith(f"config.database: {path} does not exist on this host")
    assert "503" in message
    service_id = created.get_json()["id"]
    # The warning belongs to the save: reads of the service do not carry it.
    assert "warnings" not in client.get(f"{SERVICES}/{service_id}", headers=admin_headers).get_json()
    assert client.get("/api/v2/hr/_table", headers=admin_headers).status_code == 503
    assert not path.exists()  # the platform never creates the file
    # Copied afterwards: the service serves without being saved again, and the next save is quiet.
    make_database(path)
    assert client.get("/api/v2/hr/_table/staff", headers=admin_headers).status_code == 200
    patched = client.patch(f"{SERVICES}/{service_id}", json={"label": "HR"}, headers=admin_headers)
    assert patched.status_code == 200 and patched.get_json()["warnings"] == []


def test_a_missing_folder_is_named(client, admin_headers):
    created = client.post(SERVICES, json=sqlite_service("/nonexistent/x.db"), headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    assert messages(created.get_json()) == [
        "config.database: the folder /nonexistent does not exist on this host, so /nonexistent/x.db cannot "
        "either: every data call will answer 503 until the file is there (the platform never creates it)."
    ]


def test_an_empty_file_is_named(client, admin_headers, tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    [message] = messages(client.post(SERVICES, json=sqlite_service(path), headers=admin_headers).get_json())
    assert f"{path} is empty" in message


def test_a_good_file_has_no_warnings(client, admin_headers, tmp_path):
    make_database(tmp_path / "hr.db")
    created = client.post(SERVICES, json=sqlite_service(tmp_path / "hr.db"), headers=admin_headers)
    assert created.status_code == 201 and created.get_json()["warnings"] == []


@pytest.mark.parametrize("verb", ["PATCH", "PUT"])
def test_an_update_that_moves_the_file_away_is_warned(client, admin_headers, tmp_path, verb):
    make_database(tmp_path / "hr.db")
    service_id = post(client, admin_headers, sqlite_service(tmp_path / "hr.db"))["id"]
    moved = {"config": {"database": str(tmp_path / "gone.db")}}
    answer = client.open(f"{SERVICES}/{service_id}", method=verb, json=moved, headers=admin_headers)
    assert answer.status_code == 200, answer.get_json()
    assert "gone.db does not exist" in messages(answer.get_json())[0]


def test_batch_forms_answer_warnings_per_record(client, admin_headers, tmp_path):
    make_database(tmp_path / "good.db")
    records = [sqlite_service(tmp_path / "good.db", "good"), sqlite_service(tmp_path / "no.db", "no")]
    body = {"resource": records}
    created = client.post(SERVICES, json=body, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    good, missing = created.get_json()["resource"]
    assert good["warnings"] == [] and "no.db does not exist" in messages(missing)[0]
    ids = f"{good['id']},{missing['id']}"
    updated = client.patch(f"{SERVICES}?ids={ids}", json={"description": "x"}, headers=admin_headers)
    assert [len(r["warnings"]) for r in updated.get_json()["resource"]] == [0, 1]
    items = {"resource": [{"id": good["id"], "label": "G"}, {"id": missing["id"], "label": "N"}]}
    updated = client.put(SERVICES, json=items, headers=admin_headers)
    assert [len(r["warnings"]) for r in updated.get_json()["resource"]] == [0, 1]


def test_refusals_still_come_first(admin_headers, tmp_path, system_db_url):
    """A missing file outside SQLITE_ROOTS, or under /proc, is refused (400), not saved with a warning."""
    roots = tmp_path / "srv"
    roots.mkdir()
    client = make_app(system_db_url, str(tmp_path / "instance"), SQLITE_ROOTS=str(roots)).test_client()
    for path in (tmp_path / "elsewhere.db", "/proc/self/nothing.db"):
        refused = client.post(SERVICES, json=sqlite_service(path), headers=admin_headers)
        assert refused.status_code == 400
        assert "config.database" in refused.get_json()["error"]["context"]["errors"]
    assert post(client, admin_headers, sqlite_service(roots / "later.db"))["warnings"]


def test_network_servers_are_not_contacted_at_save_time(client, admin_headers):
    config = {"engine": "postgresql", "host": "db.invalid", "database": "hr", "username": "u"}
    created = client.post(SERVICES, json={"name": "pg", "config": config}, headers=admin_headers)
    assert created.status_code == 201 and created.get_json()["warnings"] == []


def test_the_admin_document_describes_warnings_on_saves_only(client, admin_headers):
    doc = client.get("/api/v2/api_docs/system", headers=admin_headers).get_json()
    schemas = doc["components"]["schemas"]
    assert set(schemas["ServiceWarning"]["properties"]) == {"field", "message"}
    assert "warnings" in schemas["ServiceSaved"]["properties"]
    assert "warnings" not in schemas["ServicePublic"]["properties"]
    answers = json.dumps(doc["paths"]["/system/service"]["post"]["responses"]["201"])
    assert "ServiceSaved" in answers
    assert "ServiceSaved" not in json.dumps(doc["paths"]["/system/service"]["get"]["responses"])
