"""DreamFactory's /api/v2/system/cache: list, flush all, flush one service; seen by every worker at once.
On each system database."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from bastion.db import session_scope
from bastion.models_audit import AuditEvent
from tests.conftest import add_sqlite_service, fenced_app, fenced_session, make_app
from tests.test_access_leaks import key_for

SYS = "/api/v2/system"
CACHE = f"{SYS}/cache"


def _hr(client, admin_headers, tmp_path):
    path = tmp_path / "hr.db"
    return path, add_sqlite_service(
        client, admin_headers, path, ["CREATE TABLE staff (id INTEGER PRIMARY KEY)"]
    )


def _add_table(path) -> None:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE bonus (id INTEGER PRIMARY KEY)"))
    engine.dispose()


def _tables(client, headers) -> list[str]:
    response = client.get("/api/v2/hr/_table", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [table["name"] for table in response.get_json()["resource"]]


def test_the_list_names_each_service_with_dreamfactorys_keys(client, admin_headers, tmp_path):
    _hr(client, admin_headers, tmp_path)
    listed = client.get(CACHE, headers=admin_headers)
    assert listed.status_code == 200, listed.get_json()
    assert listed.get_json() == {"resource": [{"name": "hr", "label": "", "description": "", "type": "sql"}]}
    names = client.get(CACHE, query_string={"as_list": "true"}, headers=admin_headers)
    assert names.get_json() == {"resource": ["hr"]}


def test_flushing_a_service_shows_a_new_table_on_every_worker_at_once(
    app, client, admin_headers, system_db_url, tmp_path
):
    path, service = _hr(client, admin_headers, tmp_path)
    other = make_app(system_db_url, str(tmp_path / "other")).test_client()
    assert _tables(client, admin_headers) == ["staff"] == _tables(other, admin_headers)
    before = client.get(f"{SYS}/service/{service['id']}", headers=admin_headers).get_json()
    _add_table(path)
    # Within the schema cache's check interval neither worker reflects again on its own.
    assert _tables(other, admin_headers) == ["staff"]

    flushed = client.delete(f"{CACHE}/hr", headers=admin_headers)
    assert flushed.status_code == 200, flushed.get_json()
    assert flushed.get_json() == {"success": True}
    assert _tables(other, admin_headers) == ["bonus", "staff"]
    assert _tables(client, admin_headers) == ["bonus", "staff"]
    # A flush is not an edit: the service's record is as it was.
    assert client.get(f"{SYS}/service/{service['id']}", headers=admin_headers).get_json() == before
    with app.app_context(), session_scope() as db:
        events = db.exec(select(AuditEvent).where(AuditEvent.action == "flush_cache")).all()
        assert [(e.resource_type, e.resource_id) for e in events] == [("service", str(service["id"]))]


def test_flushing_everything_shows_a_new_table_on_every_worker(
    client, admin_headers, system_db_url, tmp_path
):
    path, _service = _hr(client, admin_headers, tmp_path)
    other = make_app(system_db_url, str(tmp_path / "other")).test_client()
    assert _tables(other, admin_headers) == ["staff"]
    _add_table(path)
    flushed = client.delete(CACHE, headers=admin_headers)
    assert flushed.status_code == 200, flushed.get_json()
    assert flushed.get_json() == {"success": True}
    assert _tables(other, admin_headers) == ["bonus", "staff"]


def test_an_unknown_service_is_a_404_naming_it(client, admin_headers):
    response = client.delete(f"{CACHE}/nope", headers=admin_headers)
    assert response.status_code == 404
    assert "'nope'" in response.get_json()["error"]["message"]


def test_only_admins_may_list_or_flush(client, admin_headers, tmp_path):
    _hr(client, admin_headers, tmp_path)
    key = key_for(client, admin_headers, [{"service": None, "component": "*", "verbs": ["GET", "DELETE"]}])
    for method, path in (("GET", CACHE), ("DELETE", CACHE), ("DELETE", f"{CACHE}/hr")):
        assert client.open(path, method=method).status_code == 401
        assert client.open(path, method=method, headers=key).status_code in (401, 403)


def test_the_admin_network_fence_holds(system_db_url, tmp_path):
    with fenced_app(system_db_url, str(tmp_path)) as (fenced, admin):
        headers = fenced_session(fenced, admin)
        response = fenced.test_client().delete(CACHE, headers=headers)
        assert response.status_code == 403
        assert "network" in response.get_json()["error"]["message"]
