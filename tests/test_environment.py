"""/api/v2/system/environment: a login screen's needs without a session, more for admins."""

from __future__ import annotations


def test_anonymous_sees_only_what_login_needs(client, system_db_url):
    response = client.get("/api/v2/system/environment")
    body = response.get_json()
    assert response.status_code == 200
    assert set(body["platform"]) == {"name"}
    assert "admin_login" in body["authentication"]


def test_garbage_token_still_gets_the_login_view(client):
    response = client.get("/api/v2/system/environment", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 200
    assert "version" not in response.get_json()["platform"]


def test_admin_sees_version_env_and_backend_but_no_url(client, admin_headers, system_db_url):
    response = client.get("/api/v2/system/environment", headers=admin_headers)
    platform = response.get_json()["platform"]
    assert platform["app_env"] == "production"
    assert platform["debug"] is False
    assert platform["database"] in ("sqlite", "postgresql", "mysql")
    assert platform["version"]
    text = response.get_data(as_text=True)
    assert "://" not in text and "127.0.0.1" not in text
