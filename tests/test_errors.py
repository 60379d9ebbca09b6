"""The error envelope (DESIGN §6): unknown URLs, wrong methods, production 500s, debug traces."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import make_app

ERROR_KEYS = {"code", "status_code", "message", "context", "request_id"}


def _envelope(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}
    return body["error"]


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        # Under /api/v2/<name>/ the caller is decided first, so no one learns which names exist.
        ("GET", "/api/v2/no/such/thing", 401),
        ("GET", "/no/such/thing", 404),
        ("GET", "/", 404),
        ("DELETE", "/api/v2/system/environment", 405),
        ("PATCH", "/api/v2/system/admin/session", 405),
    ],
)
def test_unknown_urls_and_methods_are_json(client, method, path, code):
    response = client.open(path, method=method)
    error = _envelope(response)
    assert response.status_code == code
    assert set(error) == ERROR_KEYS
    assert error["code"] == error["status_code"] == code
    assert error["request_id"] == response.headers["X-Request-Id"]


def test_unversioned_alias_reaches_v2(client):
    assert client.get("/api/system/environment").status_code == 200


def _boom_app(system_db_url, tmp_path, **overrides):
    app = make_app(system_db_url, str(tmp_path), **overrides)

    @app.get("/api/v2/boom")
    def boom():
        raise RuntimeError("driver said: password=hunter2hunter2 SELECT secret FROM users")

    return app


def test_production_500_says_nothing_internal(system_db_url, tmp_path, caplog):
    client = _boom_app(system_db_url, tmp_path).test_client()
    with caplog.at_level(logging.ERROR, logger="bastion"):
        response = client.get("/api/v2/boom")
    error = _envelope(response)
    assert response.status_code == 500
    assert error["message"] == "Internal server error"
    assert "trace" not in error
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "SELECT" not in text and "Traceback" not in text
    logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
    assert error["request_id"] in logged
    assert "RuntimeError" in logged


def test_debug_adds_a_trace(system_db_url, tmp_path):
    client = _boom_app(system_db_url, tmp_path, APP_DEBUG="true").test_client()
    error = _envelope(client.get("/api/v2/boom"))
    assert "RuntimeError" in error["trace"]


def test_https_is_required_in_production_by_default(system_db_url, tmp_path):
    app = make_app(system_db_url, str(tmp_path), REQUIRE_HTTPS="")
    client = app.test_client()
    refused = client.get("/api/v2/system/environment")
    assert refused.status_code == 403
    assert "HTTPS" in _envelope(refused)["message"]
    assert client.get("/api/v2/system/environment", base_url="https://localhost").status_code == 200


def test_https_through_a_trusted_proxy(system_db_url, tmp_path):
    app = make_app(system_db_url, str(tmp_path), REQUIRE_HTTPS="true", TRUSTED_PROXIES="1")
    client = app.test_client()
    response = client.get("/api/v2/system/environment", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200


def test_admin_networks_are_judged_after_the_proxy(system_db_url, tmp_path):
    app = make_app(
        system_db_url, str(tmp_path), TRUSTED_PROXIES="1", ADMIN_ALLOWED_NETWORKS="10.1.0.0/16, ::1/128"
    )
    client = app.test_client()
    outside = client.get("/api/v2/system/environment", headers={"X-Forwarded-For": "192.0.2.7"})
    assert outside.status_code == 403
    assert "network" in _envelope(outside)["message"]
    inside = client.get("/api/v2/system/environment", headers={"X-Forwarded-For": "10.1.2.3"})
    assert inside.status_code == 200
