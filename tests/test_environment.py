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


def test_dreamfactory_login_screens_find_their_keys(client, admin_headers):
    auth = client.get("/api/v2/system/environment").get_json()["authentication"]
    assert auth["admin"] == {
        "path": "system/admin/session",
        "verb": "POST",
        "payload": {"email": "string", "password": "string", "remember_me": "bool"},
    }
    assert auth["user"]["path"] == "user/session"
    assert (auth["oauth"], auth["adldap"], auth["saml"]) == ([], [], [])
    assert auth["allow_forever_sessions"] is False and auth["login_attribute"] == "email"
    assert auth["allow_open_registration"] is False


def test_open_registration_is_reported_for_the_calling_app_only(client, admin_headers):
    role = client.post("/api/v2/system/role", json={"name": "joiner"}, headers=admin_headers).get_json()
    apps = [
        client.post("/api/v2/system/app", json={"name": name}, headers=admin_headers).get_json()
        for name in ("open", "closed")
    ]
    setting = {"enabled": True, "apps": [{"app_id": apps[0]["id"], "role_id": role["id"]}]}
    assert client.patch("/api/v2/system/registration", json=setting, headers=admin_headers).status_code == 200

    def reported(app: dict | None) -> bool:
        headers = {"X-Api-Key": app["api_key"]} if app else {}
        body = client.get("/api/v2/system/environment", headers=headers).get_json()
        return body["authentication"]["allow_open_registration"]

    assert (reported(apps[0]), reported(apps[1]), reported(None)) == (True, False, False)
    client.patch("/api/v2/system/registration", json={"enabled": False}, headers=admin_headers)
    assert reported(apps[0]) is False
