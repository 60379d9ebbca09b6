"""Every answer of the platform carries no-store, nosniff and no-referrer, whatever it is (headers.py)."""

from __future__ import annotations

import pytest
from flask import session

from bastion.headers import SECURITY_HEADERS
from tests.test_api_cors import SPA, add_rule, preflight


def _assert_headers(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    assert not response.headers.get("Content-Type", "").startswith("text/html")
    assert "Set-Cookie" not in response.headers  # credentials come with each request, never in a cookie


def test_answers_carrying_a_token_or_a_key(client, admin, admin_headers):
    login = client.post(
        "/api/v2/system/admin/session", json={"email": admin["email"], "password": admin["password"]}
    )
    assert login.status_code == 200 and login.get_json()["session_token"]
    _assert_headers(login)
    app_created = client.post("/api/v2/system/app", json={"name": "shop"}, headers=admin_headers)
    assert app_created.status_code == 201 and app_created.get_json()["api_key"]
    _assert_headers(app_created)


def test_no_cookie_session_to_refresh(app):
    # auth.init_app drops flask-login's remember-cookie hook on these two grounds.
    assert not app.secret_key
    hooks = app.after_request_funcs[None]
    assert not [hook for hook in hooks if getattr(hook, "__name__", "") == "_update_remember_cookie"]
    with app.test_request_context("/"), pytest.raises(RuntimeError):
        session["_remember"] = "set"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v2/system/environment", 200),
        ("GET", "/api/v2/system/admin", 401),
        ("GET", "/api/v2/no/such/thing", 401),
        ("GET", "/no/such/thing", 404),
        ("DELETE", "/api/v2/system/environment", 405),
        ("OPTIONS", "/api/v2/system/environment", 204),
        ("OPTIONS", "/api/system/admin/session", 204),
    ],
)
def test_successes_errors_and_bare_options(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    _assert_headers(response)
    if method == "OPTIONS":
        assert response.data == b"" and "GET" in response.headers["Allow"]


def test_a_500(app, client):
    @app.get("/api/v2/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/api/v2/boom")
    assert response.status_code == 500
    _assert_headers(response)


def test_cors_preflights_allowed_and_refused(app, client):
    add_rule(app, path="api/v2/*", origins=[SPA], methods=["GET", "POST"], headers=["Content-Type"])
    allowed = preflight(client, "/api/v2/system/admin/session")
    assert allowed.status_code == 204 and allowed.headers["Access-Control-Allow-Origin"] == SPA
    _assert_headers(allowed)
    refused = preflight(client, "/api/v2/system/admin/session", origin="https://evil.example")
    assert refused.status_code == 403
    _assert_headers(refused)
