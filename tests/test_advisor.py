"""/api/v2/system/advisor: each platform check appears when its condition holds and goes when fixed;
mutes; the same findings as `bastion check`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bastion.advisor import keys
from bastion.advisor.inventory import Inventory
from tests.conftest import TEST_KEY, add_sqlite_service, create_admin_user

URL = "/api/v2/system/advisor"
SPA = "https://spa.example.com"
HR = [
    "CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT)",
    "CREATE TABLE salaries (id INTEGER PRIMARY KEY)",
]


@pytest.fixture
def hr(client, admin_headers, tmp_path):
    """A SQLite service 'hr' with two tables."""
    return add_sqlite_service(client, admin_headers, tmp_path / "hr.db", HR)


def findings(client, headers) -> dict[str, dict]:
    """The current findings by id."""
    response = client.get(URL, headers=headers)
    assert response.status_code == 200, response.get_json()
    return {f["id"]: f for f in response.get_json()["resource"]}


def codes(client, headers) -> set[str]:
    return {f["code"] for f in findings(client, headers).values()}


def post(client, headers, path, body) -> dict:
    response = client.post(f"/api/v2/system/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def patch(client, headers, path, body) -> dict:
    response = client.patch(f"/api/v2/system/{path}", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_only_admins_may_ask(client):
    assert client.get(URL).status_code == 401
    assert client.post(f"{URL}/mute", json={"id": "x", "reason": "y"}).status_code == 401


def test_a_finding_has_its_id_severity_title_evidence_fix_and_mute(client, admin_headers):
    rule = post(client, admin_headers, "cors", {"path": "api/v2/*", "origins": ["*"]})
    found = findings(client, admin_headers)[f"cors-any-origin:cors:{rule['id']}"]
    assert found["severity"] == "high" and "allows any origin" in found["title"]
    assert found["evidence"] == [{"type": "cors_rule", "id": rule["id"], "path": "api/v2/*"}]
    assert found["fix"]["route"] == f"/cors/{rule['id']}/edit" and found["fix"]["text"]
    assert found["muted"] is None


def test_settings_findings_name_their_settings(client, admin_headers):
    found = findings(client, admin_headers)["https-not-required"]  # the test app runs without HTTPS
    assert found["evidence"] == [{"type": "setting", "id": None, "name": "REQUIRE_HTTPS"}]


def test_a_blanket_role_and_its_fix(client, admin_headers, hr):
    role = post(
        client,
        admin_headers,
        "role",
        {"name": "all", "access": [{"service": None, "verbs": ["GET", "POST"]}]},
    )
    app = post(client, admin_headers, "app", {"name": "shop", "role_id": role["id"]})
    found = findings(client, admin_headers)[f"app-blanket-role:app:{app['id']}"]
    assert (
        found["severity"] == "high" and {"type": "role", "id": role["id"], "name": "all"} in found["evidence"]
    )
    patch(client, admin_headers, f"role/{role['id']}", {"access": [{"service": None, "verbs": ["GET"]}]})
    assert findings(client, admin_headers)[f"app-blanket-role:app:{app['id']}"]["severity"] == "medium"
    narrow = [{"service": "hr", "component": "_table/employees", "verbs": ["GET"]}]
    patch(client, admin_headers, f"role/{role['id']}", {"access": narrow})
    assert "app-blanket-role" not in codes(client, admin_headers)


def test_a_star_component_with_writes_and_its_fix(client, admin_headers, hr):
    star = [{"service": "hr", "component": "*", "verbs": ["GET", "DELETE"]}]
    role = post(client, admin_headers, "role", {"name": "hr-writer", "access": star})
    assert f"role-star-write:role:{role['id']}:hr" in findings(client, admin_headers)
    star[0]["verbs"] = ["GET"]
    patch(client, admin_headers, f"role/{role['id']}", {"access": star})
    assert "role-star-write" not in codes(client, admin_headers)


def test_an_app_without_a_role_and_its_fix(client, admin_headers, hr):
    role = post(
        client, admin_headers, "role", {"name": "reader", "access": [{"service": "hr", "verbs": ["GET"]}]}
    )
    post(client, admin_headers, "app", {"name": "admin-console"})  # the console has no role by design
    app = post(client, admin_headers, "app", {"name": "orphan"})
    found = findings(client, admin_headers)
    assert [f["evidence"][0]["name"] for f in found.values() if f["code"] == "app-without-role"] == ["orphan"]
    assert found[f"app-without-role:app:{app['id']}"]["fix"]["route"] == "/apps"
    patch(client, admin_headers, f"app/{app['id']}", {"role_id": role["id"]})
    assert "app-without-role" not in codes(client, admin_headers)


def test_a_docs_role_that_also_grants_data_and_its_fix(client, admin_headers, hr):
    docs = {"service": "api_docs", "component": "hr", "verbs": ["GET"]}
    data = {"service": "hr", "component": "_table/salaries", "verbs": ["GET"]}
    role = post(client, admin_headers, "role", {"name": "team", "access": [docs, data]})
    app = post(client, admin_headers, "app", {"name": "admin-console"})
    user = {"email": "dev@example.com", "name": "Dev", "password": "a long password 1"}
    made = post(
        client, admin_headers, "user", user | {"app_roles": [{"app_id": app["id"], "role_id": role["id"]}]}
    )
    found = findings(client, admin_headers)[f"docs-role-grants-data:role:{role['id']}"]
    assert {"type": "user", "id": made["id"], "email": "dev@example.com"} in found["evidence"]
    patch(client, admin_headers, f"role/{role['id']}", {"access": [docs]})
    assert "docs-role-grants-data" not in codes(client, admin_headers)


def test_more_than_five_admins(app, client, admin_headers):
    extra = [create_admin_user(app, email=f"a{i}@example.com") for i in range(4)]
    assert "many-admins" not in codes(client, admin_headers)  # five
    sixth = create_admin_user(app, email="a9@example.com")
    assert len(findings(client, admin_headers)["many-admins"]["evidence"]) == 6
    patch(client, admin_headers, f"admin/{sixth['id']}", {"is_active": False})
    assert "many-admins" not in codes(client, admin_headers)
    assert len(extra) == 4


@pytest.mark.parametrize(
    ("rules", "code", "fix"),
    [
        (
            [{"path": "api/v2/*", "origins": [SPA, "https://shop.example.com"]}],
            "cors-wide-path",
            {"origins": [SPA]},
        ),
        (
            [{"path": "api/v2/hr/*", "origins": ["https://*.example.com"], "supports_credentials": True}],
            "cors-credentials-wildcard",
            {"supports_credentials": False},
        ),
        (
            [{"path": "api/v2/hr/x*", "origins": [SPA]}, {"path": "api/v2/hr/x", "origins": [SPA]}],
            "cors-rule-never-applies",
            {"origins": [SPA, "https://other.example.com"]},
        ),
        (
            [{"path": "api/v2/hr/*", "origins": ["http://shop.example.com"]}],
            "cors-plain-http-origin",
            {"origins": [SPA]},
        ),
        ([{"path": "api/v2/hr/*", "origins": ["*"]}], "cors-any-origin", {"origins": [SPA]}),
    ],
)
def test_cors_findings_and_their_fix(client, admin_headers, rules, code, fix):
    made = [post(client, admin_headers, "cors", rule) for rule in rules]
    last = made[-1]["id"]
    assert f"{code}:cors:{last}" in findings(client, admin_headers)
    patch(client, admin_headers, f"cors/{last}", fix)
    assert code not in codes(client, admin_headers)


def test_users_idle_for_90_days(app, client, admin_headers):
    import sqlalchemy as sa

    from bastion.models import User

    made = post(
        client,
        admin_headers,
        "user",
        {"email": "old@example.com", "name": "Old", "password": "a long password 1"},
    )
    assert "users-idle" not in codes(client, admin_headers)  # new: not idle yet
    long_ago = datetime.now(UTC) - timedelta(days=120)
    table = User.__table__
    with app.extensions["bastion.db"].begin() as conn:
        conn.execute(sa.update(table).where(table.c.id == made["id"]).values(created_at=long_ago))
    found = findings(client, admin_headers)["users-idle"]
    assert found["evidence"] == [{"type": "user", "id": made["id"], "email": "old@example.com"}]
    with app.extensions["bastion.db"].begin() as conn:
        conn.execute(sa.update(table).where(table.c.id == made["id"]).values(last_login_at=datetime.now(UTC)))
    assert "users-idle" not in codes(client, admin_headers)


def test_idle_keys_wait_for_the_key_use_column():
    now = datetime(2026, 11, 30, tzinfo=UTC)
    row = {
        "id": 1,
        "name": "shop",
        "is_active": True,
        "role_id": None,
        "created_at": now - timedelta(days=91),
    }
    inv = Inventory(apps=[row], roles={}, users=[], assignments=[], services=[], cors_rules=[])
    assert list(keys.idle_keys(None, inv, now)) == []  # no app.last_used_at: the check stays silent
    for used, idle in ((None, True), (now - timedelta(days=91), True), (now - timedelta(days=3), False)):
        inv.apps[0] = row | {"last_used_at": used}
        assert bool(list(keys.idle_keys(None, inv, now))) is idle


def test_mute_and_unmute(client, admin_headers, admin):
    rule = post(client, admin_headers, "cors", {"path": "api/v2/*", "origins": ["*"]})
    finding_id = f"cors-any-origin:cors:{rule['id']}"
    before = client.get(URL, headers=admin_headers).get_json()["counts"]["high"]
    muted = client.post(
        f"{URL}/mute", json={"id": finding_id, "reason": " public demo "}, headers=admin_headers
    )
    assert muted.status_code == 200, muted.get_json()
    found = findings(client, admin_headers)[finding_id]
    assert found["muted"]["reason"] == "public demo"
    assert found["muted"]["by"] == {"id": admin["id"], "email": admin["email"]} and found["muted"]["at"]
    body = client.get(URL, headers=admin_headers).get_json()
    assert body["counts"]["high"] == before - 1 and body["muted"] == 1
    assert client.post(f"{URL}/unmute", json={"id": finding_id}, headers=admin_headers).status_code == 200
    assert findings(client, admin_headers)[finding_id]["muted"] is None
    assert client.post(f"{URL}/unmute", json={"id": finding_id}, headers=admin_headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"id": "no-such-finding", "reason": "x"}, 404, None),
        ({"id": "cors-any-origin"}, 400, "reason"),
        ({"id": "x", "reason": ""}, 400, "reason"),
        ({"reason": "x"}, 400, "id"),
        ({"id": "x" * 256, "reason": "x"}, 400, "id"),
        ({"id": "x", "reason": "y", "until": 3}, 400, "until"),
    ],
)
def test_bad_mutes_are_4xx_naming_the_field(client, admin_headers, body, status, field):
    response = client.post(f"{URL}/mute", json=body, headers=admin_headers)
    assert response.status_code == status
    if field:
        assert field in response.get_json()["error"]["context"]["errors"]


def test_inventory_counts(client, admin_headers, hr):
    post(client, admin_headers, "role", {"name": "r", "access": []})
    post(client, admin_headers, "cors", {"path": "api/v2/*", "origins": [SPA]})
    inventory = client.get(URL, headers=admin_headers).get_json()["inventory"]
    assert inventory == {"services": 1, "roles": 1, "apps": 0, "users": 0, "admins": 1, "cors_rules": 1}


def test_bastion_check_reports_the_same_findings(
    app, client, admin_headers, hr, monkeypatch, capsys, tmp_path
):
    from bastion.cli import main

    post(client, admin_headers, "cors", {"path": "api/v2/*", "origins": ["*"]})
    post(client, admin_headers, "app", {"name": "orphan"})
    settings = app.config["SETTINGS"]
    env = {
        "APP_ENV": "production",
        "APP_KEY": TEST_KEY,
        "DATABASE_URL": settings.database_url,
        "REQUIRE_HTTPS": "false",
        "BASTION_INSTANCE": str(settings.bastion_instance),
        "BASTION_WORKERS": "1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BASTION_WORKERS", "1")
    api = {(f["id"], f["severity"]) for f in findings(client, admin_headers).values()}
    status = main(["check", "--json"])
    report = json.loads(capsys.readouterr().out)
    cli = {(f.get("id", f["code"]), f["severity"]) for f in report["findings"]}
    assert cli == api and status == 1
