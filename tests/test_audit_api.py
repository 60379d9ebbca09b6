"""The audit trail's reading API, its login events, and `bastion audit` (prune, export, CLI actor)."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bastion import throttle
from bastion.cli import main
from bastion.db import session_scope
from bastion.models import utcnow
from bastion.models_audit import AuditEvent
from tests.conftest import login

AUDIT = "/api/v2/system/audit"


def _events(client, headers, **params) -> dict:
    response = client.get(AUDIT, query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_filters_paging_and_count(client, admin_headers):
    for name in ("a", "b", "c"):
        client.post("/api/v2/system/role", json={"name": name}, headers=admin_headers)
    created = _events(client, admin_headers, action="create", resource_type="role", include_count="true")
    assert created["meta"]["count"] == 3
    assert [e["after"]["name"] for e in created["resource"]] == ["c", "b", "a"]  # newest first
    page = _events(client, admin_headers, action="create", limit=1, offset=1)["resource"]
    assert [e["after"]["name"] for e in page] == ["b"]
    mine = _events(client, admin_headers, actor="ADMIN@example.com", resource_type="role")["resource"]
    assert len(mine) == 3 and mine[0]["actor_email"] == "admin@example.com"
    one = created["resource"][0]["resource_id"]
    assert len(_events(client, admin_headers, resource_type="role", resource_id=one)["resource"]) == 1
    future = (utcnow() + timedelta(hours=1)).isoformat()
    assert _events(client, admin_headers, since=future)["resource"] == []
    assert len(_events(client, admin_headers, until=future, resource_type="role")["resource"]) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"since": "yesterday"}, "since"),
        ({"include_count": "maybe"}, "include_count"),
        ({"since": "2026-01-02", "until": "2026-01-01"}, "until"),
        ({"order": "id"}, "order"),
    ],
)
def test_bad_arguments_are_a_400_naming_them(client, admin_headers, params, field):
    response = client.get(AUDIT, query_string=params, headers=admin_headers)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["context"]["errors"]


def test_only_admins_read_it_and_nobody_deletes_it(client, admin_headers):
    assert client.get(AUDIT).status_code == 401
    assert client.delete(AUDIT, headers=admin_headers).status_code == 405
    assert client.delete(f"{AUDIT}/1", headers=admin_headers).status_code in (404, 405)


def test_login_logout_and_failed_login_without_the_password(client, admin):
    token = login(client, admin["email"], admin["password"]).get_json()["session_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert login(client, admin["email"], "wrong password guess").status_code == 401
    failed = _events(client, headers, action="login_failed")["resource"]
    assert failed[0]["after"] == {"email": admin["email"], "endpoint": "admin"}
    assert "wrong password guess" not in json.dumps(failed)
    assert _events(client, headers, action="login")["resource"][0]["actor_email"] == admin["email"]
    assert client.delete("/api/v2/system/admin/session", headers=headers).status_code == 200
    token = login(client, admin["email"], admin["password"]).get_json()["session_token"]
    logout = _events(client, {"Authorization": f"Bearer {token}"}, action="logout")["resource"]
    assert logout[0]["resource_id"] == str(admin["id"])


def test_a_lockout_is_recorded_once_and_refused_attempts_write_nothing(app, client, admin_headers):
    for i in range(throttle.MAX_FAILURES + 5):
        status = login(client, "victim@example.com", f"guess {i}").status_code
        assert status == (401 if i < throttle.MAX_FAILURES else 429)
    failed = _events(client, admin_headers, action="login_failed", include_count="true")
    assert failed["meta"]["count"] == throttle.MAX_FAILURES  # the 429s wrote nothing
    lockouts = _events(client, admin_headers, action="lockout")["resource"]
    assert len(lockouts) == 1 and lockouts[0]["after"]["locked"] == ["account", "address"]


@pytest.fixture
def cli(app, monkeypatch, capsys):
    """Run the CLI in-process on the test's system database."""
    for name in list(os.environ):
        if name.startswith(("APP_", "DATABASE_URL", "BASTION_", "AUDIT_")):
            monkeypatch.delenv(name)
    settings = app.config["SETTINGS"]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("APP_ENV", "local")
    monkeypatch.setenv("BASTION_INSTANCE", str(settings.bastion_instance))

    import bastion.cli

    engines = []
    make_engine = bastion.cli._engine
    monkeypatch.setattr(bastion.cli, "_engine", lambda: engines.append(make_engine()) or engines[-1])

    def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", __import__("io").StringIO(stdin))
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    yield run
    for engine in engines:  # the CLI leaves its engine to the process's end
        engine.dispose()


def _all(app) -> list[AuditEvent]:
    with app.app_context(), session_scope() as db:
        return list(db.exec(select(AuditEvent).order_by(AuditEvent.id)))


def test_cli_changes_are_audited_as_cli(app, cli):
    code, _ = cli(
        "create-admin",
        "--email",
        "ops@example.com",
        "--name",
        "Ops",
        "--password-stdin",
        stdin="a long cli password\n",
    )
    assert code == 0
    code, _ = cli(
        "set-password", "--email", "ops@example.com", "--password-stdin", stdin="another cli password\n"
    )
    assert code == 0
    code, _ = cli("cors", "add", "--path", "api/v2/z/*", "--origin", "https://z.example")
    assert code == 0
    events = _all(app)
    assert [(e.actor_email, e.action, e.resource_type) for e in events] == [
        ("cli", "create", "admin"),
        ("cli", "set_password", "admin"),
        ("cli", "create", "cors_rule"),
    ]
    assert "cli password" not in json.dumps([e.model_dump(mode="json") for e in events])


def test_prune_keeps_the_retention_and_export_writes_json_lines(
    app, cli, client, admin_headers, tmp_path, monkeypatch
):
    client.post("/api/v2/system/role", json={"name": "fresh"}, headers=admin_headers)
    with app.app_context(), session_scope() as db:
        db.add(AuditEvent(at=utcnow() - timedelta(days=400), action="create", resource_type="role"))
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "365")
    code, out = cli("audit", "prune")
    assert code == 0 and "deleted 1 audit event" in out, out
    target = tmp_path / "audit.jsonl"
    assert cli("audit", "export", "--output", str(target))[0] == 0
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [(e["action"], e["resource_type"]) for e in lines][-2:] == [
        ("create", "role"),
        ("prune", "audit_event"),
    ]
    assert lines[-1]["actor_email"] == "cli" and lines[-1]["after"] == {"older_than_days": 365, "deleted": 1}
    assert all(e["at"] > (utcnow() - timedelta(days=365)).isoformat() for e in lines)


def test_retention_must_be_a_day_at_least(app, cli, monkeypatch):
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "0")
    code, output = cli("audit", "prune")
    assert code == 1 and "AUDIT_RETENTION_DAYS" in output


def test_a_change_outside_any_request_is_still_audited(app):
    from bastion.models_access import Role

    with app.app_context(), session_scope() as db:
        db.add(Role(name="quiet", access=[]))
    events = _all(app)
    assert [(e.actor_email, e.action, e.after["name"]) for e in events] == [("system", "create", "quiet")]
    with app.app_context(), sa.orm.Session(app.extensions["bastion.db"]) as db:
        db.add(Role(name="rolled back", access=[]))
        db.flush()
        db.rollback()
    assert len(_all(app)) == 1


def test_rotate_key_is_audited_as_a_reseal_without_the_secret(app, cli, monkeypatch):
    import base64

    from bastion.models import Service
    from bastion.secrets import MASK, SecretBox
    from tests.conftest import TEST_KEY

    old = base64.b64decode(TEST_KEY)
    sealed = SecretBox(old).seal("pg-password-xyz", "service.password")
    config = {
        "engine": "postgresql",
        "host": "db.invalid",
        "database": "x",
        "username": "u",
        "password": sealed,
    }
    with app.app_context(), session_scope() as db:
        db.add(Service(name="pg", config=config))
    monkeypatch.setenv("APP_KEY", base64.b64encode(b"n" * 32).decode())
    monkeypatch.setenv("APP_OLD_KEYS", TEST_KEY)
    code, output = cli("rotate-key")
    assert code == 0, output
    event = _all(app)[-1]
    assert (event.actor_email, event.action, event.resource_type) == ("cli", "reseal", "service")
    assert event.before == {"config": {**config, "password": MASK}} == event.after
    assert "pg-password-xyz" not in json.dumps(event.model_dump(mode="json"))
    assert sealed not in json.dumps(event.model_dump(mode="json"))


def test_export_to_standard_output_filters_by_time(app, cli, client, admin_headers):
    client.post("/api/v2/system/role", json={"name": "exported"}, headers=admin_headers)
    code, output = cli("audit", "export")
    assert code == 0
    assert [json.loads(line)["action"] for line in output.splitlines()][-1] == "create"
    code, output = cli("audit", "export", "--since", (utcnow() + timedelta(hours=1)).isoformat())
    assert code == 0 and output == ""
    code, output = cli("audit", "export", "--since", "soon")
    assert code == 1 and "invalid --since" in output
