"""Advisor checks fed by recorded use: idle keys, keys in the query string, CORS rules whose origins are
unseen, and open registration into a role that writes; on real system-database rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bastion import usage
from bastion.models import CorsRule
from bastion.models_access import App
from tests.conftest import add_sqlite_service
from tests.test_advisor import HR, codes, findings, post

ORIGIN = "https://shop.example.com"


def _set(app, model, row_id, **values) -> None:
    table = model.__table__
    with app.extensions["bastion.db"].begin() as conn:
        conn.execute(sa.update(table).where(table.c.id == row_id).values(**values))


def _row(app, model, row_id):
    table = model.__table__
    with app.extensions["bastion.db"].connect() as conn:
        return conn.execute(sa.select(table).where(table.c.id == row_id)).mappings().one()


def _days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def test_idle_keys_on_real_rows(app, client, admin_headers):
    made = {
        name: post(client, admin_headers, "app", {"name": name}) for name in ("never", "old", "recent", "new")
    }
    _set(app, App, made["never"]["id"], created_at=_days_ago(120))
    _set(app, App, made["old"]["id"], created_at=_days_ago(200), last_used_at=_days_ago(100))
    _set(app, App, made["recent"]["id"], created_at=_days_ago(200), last_used_at=_days_ago(1))
    found = {
        f["evidence"][0]["name"]: f
        for f in findings(client, admin_headers).values()
        if f["code"] == "app-key-idle"
    }
    # A key made yesterday and not yet used is not idle: a never-used key counts from its creation.
    assert sorted(found) == ["never", "old"]
    assert "never used" in found["never"]["title"] and "90 days" in found["old"]["title"]
    client.get("/api/v2", headers={"X-Api-Key": made["old"]["api_key"]}, buffered=True)
    assert "app-key-idle:app:{}".format(made["old"]["id"]) not in findings(client, admin_headers)


def test_keys_in_the_query_string_are_counted_per_app(app, client, admin_headers, monkeypatch):
    monkeypatch.setattr(usage, "INTERVAL_SECONDS", 0)  # write every count at once, not once a minute
    shop = post(client, admin_headers, "app", {"name": "shop"})
    header = post(client, admin_headers, "app", {"name": "careful"})
    for _ in range(3):
        client.get(f"/api/v2?api_key={shop['api_key']}", buffered=True)
    client.get("/api/v2", headers={"X-Api-Key": header["api_key"]}, buffered=True)
    client.get("/api/v2?session_token=x", headers={"X-Api-Key": header["api_key"]}, buffered=True)
    assert _row(app, App, shop["id"])["query_key_count"] == 3
    assert _row(app, App, header["id"])["query_key_count"] == 1  # the session token in the URL
    found = findings(client, admin_headers)["key-in-query"]
    assert {(e["name"], e["count"]) for e in found["evidence"]} == {("shop", 3), ("careful", 1)}
    assert "X-Api-Key header" in found["fix"]["text"] and "'shop' (3)" in found["title"]
    # Clients that stopped a month ago are taken as fixed.
    for made in (shop, header):
        _set(app, App, made["id"], query_key_at=_days_ago(31))
    assert "key-in-query" not in codes(client, admin_headers)


def test_counts_wait_a_minute_and_add_up(app, client, admin_headers):
    shop = post(client, admin_headers, "app", {"name": "shop"})
    for _ in range(3):
        client.get(f"/api/v2?api_key={shop['api_key']}", buffered=True)
    # The first request writes; the next two wait in this worker for the minute to pass.
    assert _row(app, App, shop["id"])["query_key_count"] == 1
    tally = usage.Tally()
    assert [tally.add(7, 0.0), tally.add(7, 1.0), tally.add(7, 2.0), tally.add(7, 61.0)] == [1, 0, 0, 3]


def test_cors_rules_whose_origins_are_unseen_for_90_days(app, client, admin_headers):
    rule = post(client, admin_headers, "cors", {"path": "api/v2/shop/*", "origins": [ORIGIN]})
    assert "cors-origin-unseen" not in codes(client, admin_headers)  # a new rule: not reported yet
    _set(app, CorsRule, rule["id"], created_at=_days_ago(120))
    found = findings(client, admin_headers)[f"cors-origin-unseen:cors:{rule['id']}"]
    assert found["evidence"][0]["id"] == rule["id"] and ORIGIN in found["title"]
    assert found["fix"]["route"] == f"/cors/{rule['id']}/edit"
    before = _row(app, CorsRule, rule["id"])["updated_at"]
    # Another origin on the path is not this rule's: it does not count as seen.
    client.get("/api/v2/shop/_table/x", headers={"Origin": "https://other.example.com"}, buffered=True)
    assert _row(app, CorsRule, rule["id"])["last_admitted_at"] is None
    client.get("/api/v2/shop/_table/x", headers={"Origin": ORIGIN}, buffered=True)
    row = _row(app, CorsRule, rule["id"])
    assert row["last_admitted_at"] is not None and row["updated_at"] == before  # used, not edited
    assert "cors-origin-unseen" not in codes(client, admin_headers)
    _set(app, CorsRule, rule["id"], last_admitted_at=_days_ago(91))
    assert "last on" in findings(client, admin_headers)[f"cors-origin-unseen:cors:{rule['id']}"]["title"]


@pytest.fixture
def hr(client, admin_headers, tmp_path):
    """A SQLite service 'hr' with two tables."""
    return add_sqlite_service(client, admin_headers, tmp_path / "hr.db", HR)


def _role(client, headers, name, verbs) -> dict:
    access = [{"service": "hr", "component": "_table/employees", "verbs": verbs}]
    return post(client, headers, "role", {"name": name, "access": access})


@pytest.mark.parametrize(("verbs", "flagged"), [(["GET"], False), (["GET", "PATCH"], True)])
def test_open_registration_into_a_role_that_writes(client, admin_headers, hr, verbs, flagged):
    role = _role(client, admin_headers, "members", verbs)
    shop = post(client, admin_headers, "app", {"name": "shop"})
    body = {
        "enabled": False,
        "skip_confirmation": True,
        "apps": [{"app_id": shop["id"], "role_id": role["id"]}],
    }
    assert client.patch("/api/v2/system/registration", json=body, headers=admin_headers).status_code == 200
    assert "registration-role-writes" not in codes(client, admin_headers)  # registration is off
    body["enabled"] = True
    assert client.patch("/api/v2/system/registration", json=body, headers=admin_headers).status_code == 200
    found = [f for f in findings(client, admin_headers).values() if f["code"] == "registration-role-writes"]
    assert bool(found) is flagged
    if flagged:
        assert "PATCH" in found[0]["title"] and found[0]["fix"]["route"] == "/registration"
        assert {"type": "role", "id": role["id"], "name": "members"} in found[0]["evidence"]


def test_an_all_services_write_entry_counts(client, admin_headers):
    access = [{"service": None, "component": "*", "verbs": ["GET", "DELETE"]}]
    role = post(client, admin_headers, "role", {"name": "wide", "access": access})
    shop = post(client, admin_headers, "app", {"name": "shop"})
    body = {
        "enabled": True,
        "skip_confirmation": True,
        "apps": [{"app_id": shop["id"], "role_id": role["id"]}],
    }
    assert client.patch("/api/v2/system/registration", json=body, headers=admin_headers).status_code == 200
    assert "registration-role-writes" in codes(client, admin_headers)
