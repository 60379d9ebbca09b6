"""User self-service with real e-mail (issue 15 §4): registration, confirmation, reset and invitation codes.

Mail goes to a real SMTP server on loopback (tests/smtp_server.py); the tests read the codes from it.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bastion.config import ConfigError, load_settings
from bastion.db import session_scope
from bastion.models import User, utcnow
from bastion.models_self_service import OneTimeCode
from bastion.services import invitations, mail
from tests.conftest import ADMIN_PASSWORD, _empty_tables, create_admin_user, login, make_app
from tests.smtp_server import smtp_server

SPA = "https://console.example.com"
USER_LOGIN = "/api/v2/user/session"
REGISTER = "/api/v2/user/register"
PASSWORD = "/api/v2/user/password"


def _mail_config(port: int, **extra) -> dict:
    config = {
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_TLS": "none",
        "MAIL_FROM": "Bastion <no-reply@example.com>",
        "SPA_URL": SPA,
    }
    return {**config, **extra}


@pytest.fixture
def smtp():
    with smtp_server() as (port, inbox):
        yield port, inbox


@pytest.fixture
def inbox(smtp):
    return smtp[1]


def _app(system_db_url, tmp_path, **overrides):
    application = make_app(system_db_url, str(tmp_path), **overrides)
    yield application
    application.extensions["bastion.engines"].dispose_all()
    _empty_tables(application.extensions["bastion.db"])
    application.extensions["bastion.db"].dispose()


@pytest.fixture
def app(system_db_url, tmp_path, smtp):
    """The platform, sending mail to the loopback SMTP server."""
    yield from _app(system_db_url, tmp_path, **_mail_config(smtp[0]))


@pytest.fixture
def world(app, client):
    """An admin, a role, an app (its key) and registration turned on for that app with that role."""
    admin = create_admin_user(app)
    token = login(client, admin["email"], admin["password"]).get_json()["session_token"]
    headers = {"Authorization": f"Bearer {token}"}
    role = client.post("/api/v2/system/role", json={"name": "member", "access": []}, headers=headers)
    made = client.post("/api/v2/system/app", json={"name": "shop"}, headers=headers).get_json()
    return {"admin": headers, "role_id": role.get_json()["id"], "app_id": made["id"], "key": made["api_key"]}


def _enable(client, world, **extra):
    body = {"enabled": True, "apps": [{"app_id": world["app_id"], "role_id": world["role_id"]}], **extra}
    response = client.put("/api/v2/system/registration", json=body, headers=world["admin"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _register(client, world, email="new@example.com", query="", **extra):
    body = {"email": email, "first_name": "New", "last_name": "Person", "new_password": "a fine password 1"}
    return client.post(REGISTER + query, json={**body, **extra}, headers={"X-Api-Key": world["key"]})


def _user(client, world, email="old@example.com", password="an old password 1", **extra):  # noqa: S107
    body = {"email": email, "name": "Old", "password": password, **extra}
    response = client.post("/api/v2/system/user", json=body, headers=world["admin"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# ---- registration ----


def test_registration_is_off_by_default_and_needs_an_api_key(client, world):
    assert _register(client, world).status_code == 403
    _enable(client, world)
    response = client.post(REGISTER, json={"email": "a@example.com", "password": "a fine password 1"})
    assert response.status_code == 401


def test_register_confirm_then_log_in(client, world, inbox):
    assert _enable(client, world)["mail_missing_setting"] is None
    response = _register(client, world)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"success": True, "confirmation_required": True}
    assert login(client, "new@example.com", "a fine password 1", USER_LOGIN).status_code == 401
    message = inbox.wait_for("new@example.com")[0]
    assert message["Subject"] == "Confirm your registration"
    assert message["From"] == "Bastion <no-reply@example.com>"
    assert f"{SPA}/#/confirm?email=new%40example.com" in message.get_payload(decode=True).decode()
    code = inbox.code_for("new@example.com")
    wrong = client.post("/api/v2/user/confirm", json={"email": "new@example.com", "code": "WRONGWRONG"})
    assert wrong.status_code == 401
    confirmed = client.post(
        "/api/v2/user/confirm?login=true",
        json={"email": "new@example.com", "code": code.lower()},
        headers={"X-Api-Key": world["key"]},
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["session_token"] and confirmed.get_json()["role_id"] == world["role_id"]
    assert confirmed.get_json()["name"] == "New Person"
    again = client.post("/api/v2/user/confirm", json={"email": "new@example.com", "code": code})
    assert again.status_code == 401  # single use
    assert login(client, "new@example.com", "a fine password 1", USER_LOGIN).status_code == 200


def test_a_known_address_gets_the_same_answer_and_a_note(client, world, inbox):
    _enable(client, world)
    _user(client, world)
    response = _register(client, world, email="old@example.com")
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "confirmation_required": True}
    note = inbox.wait_for("old@example.com")[0]
    assert note["Subject"] == "You already have an account"
    assert "Your code" not in note.get_payload(decode=True).decode()
    assert login(client, "old@example.com", "an old password 1", USER_LOGIN).status_code == 200


def test_registering_again_while_pending_sends_a_fresh_code(client, world, inbox):
    _enable(client, world)
    _register(client, world)
    first = inbox.code_for("new@example.com")
    _register(client, world)
    second = inbox.code_for("new@example.com", count=2)
    stale = client.post("/api/v2/user/confirm", json={"email": "new@example.com", "code": first})
    assert stale.status_code == 401
    assert (
        client.post("/api/v2/user/confirm", json={"email": "new@example.com", "code": second}).status_code
        == 200
    )


def test_a_code_no_longer_activates_an_account_the_admin_changed(app, client, world, inbox):
    _enable(client, world)
    _register(client, world)
    code = inbox.code_for("new@example.com")
    with app.app_context(), session_scope() as db:
        user = db.exec(sa.select(User).where(User.email == "new@example.com")).scalar_one()
        user_id = user.id
    client.patch(f"/api/v2/system/user/{user_id}", json={"is_active": False}, headers=world["admin"])
    response = client.post("/api/v2/user/confirm", json={"email": "new@example.com", "code": code})
    assert response.status_code == 401
    assert login(client, "new@example.com", "a fine password 1", USER_LOGIN).status_code == 401


def test_long_first_and_last_names_fit_the_name_column(client, world):
    _enable(client, world, skip_confirmation=True)
    response = _register(client, world, first_name="F" * 200, last_name="L" * 200)
    assert response.status_code == 200, response.get_json()


def test_skip_confirmation_answers_a_session(client, world, inbox):
    _enable(client, world, skip_confirmation=True)
    response = _register(client, world, query="?login=true")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["session_token"] and response.get_json()["role_id"] == world["role_id"]
    assert response.get_json()["success"] is True  # DreamFactory's Register answers it beside the token
    assert _register(client, world).status_code == 409
    assert inbox.to("new@example.com") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"enabled": True, "apps": []}, "apps"),
        ({"apps": [{"app_id": 999999, "role_id": 1}]}, "apps[0].app_id"),
        ({"apps": [{"app_id": 1, "role_id": 0}]}, "apps.0.role_id"),
        ({"enabled": None}, "enabled"),
        ({"colour": 1}, "colour"),
    ],
)
def test_bad_registration_settings_are_400_naming_the_field(client, world, body, field):
    response = client.put("/api/v2/system/registration", json=body, headers=world["admin"])
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["context"]["errors"]


def test_registration_settings_are_for_admins_only(client, world):
    assert client.get("/api/v2/system/registration").status_code == 401


# ---- password reset ----


def test_reset_by_code_sets_the_password_and_ends_every_session(client, world, inbox):
    _user(client, world)
    old = login(client, "old@example.com", "an old password 1", USER_LOGIN).get_json()["session_token"]
    known = client.post(PASSWORD + "?reset=true", json={"email": "old@example.com"})
    unknown = client.post(PASSWORD, json={"email": "nobody@example.com", "reset": True})
    assert known.status_code == unknown.status_code == 200
    assert known.get_json() == unknown.get_json() == {"success": True}
    code = inbox.code_for("old@example.com")
    body = {"email": "old@example.com", "code": code, "new_password": "a brand new password"}
    response = client.post(PASSWORD + "?login=true", json=body, headers={"X-Api-Key": world["key"]})
    assert response.status_code == 200, response.get_json()
    # DreamFactory's UserPasswordResource answers {"success": true, "session_token": ...}.
    assert response.get_json()["success"] is True and response.get_json()["session_token"]
    assert client.get(USER_LOGIN, headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert login(client, "old@example.com", "an old password 1", USER_LOGIN).status_code == 401
    assert login(client, "old@example.com", "a brand new password", USER_LOGIN).status_code == 200
    reuse = client.post(PASSWORD, json={**body, "new_password": "yet another password"})
    assert reuse.status_code == 401
    assert inbox.to("nobody@example.com") == []


def test_no_reset_mail_for_inactive_accounts_or_admins(client, world, inbox):
    _user(client, world, is_active=False)
    for address in ("old@example.com", "admin@example.com"):
        response = client.post(PASSWORD + "?reset=true", json={"email": address})
        assert response.get_json() == {"success": True}
    client.post(PASSWORD + "?reset=true", json={"email": "probe@example.com"})
    assert inbox.to("old@example.com") == inbox.to("admin@example.com") == []


def test_wrong_codes_are_throttled_like_logins(client, world, inbox):
    _user(client, world)
    client.post(PASSWORD + "?reset=true", json={"email": "old@example.com"})
    code = inbox.code_for("old@example.com")
    body = {"email": "old@example.com", "new_password": "a brand new password"}
    for _ in range(5):
        assert client.post(PASSWORD, json={**body, "code": "AAAAAAAAAA"}).status_code == 401
    throttled = client.post(PASSWORD, json={**body, "code": code})
    assert throttled.status_code == 429 and throttled.headers["Retry-After"]


def test_an_expired_code_is_refused_and_codes_are_stored_hashed(app, client, world, inbox):
    _user(client, world)
    client.post(PASSWORD + "?reset=true", json={"email": "old@example.com"})
    code = inbox.code_for("old@example.com")
    with app.app_context(), session_scope() as db:
        row = db.exec(sa.select(OneTimeCode)).scalar_one()
        assert code not in row.code_hash and row.purpose == "reset"
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.add(row)
    body = {"email": "old@example.com", "code": code, "new_password": "a brand new password"}
    assert client.post(PASSWORD, json=body).status_code == 401


def test_reset_mails_to_one_address_are_limited(client, world, inbox):
    _user(client, world)
    for _ in range(8):
        assert client.post(PASSWORD + "?reset=true", json={"email": "old@example.com"}).status_code == 200
    inbox.wait_for("old@example.com", 5)
    assert len(inbox.to("old@example.com")) == 5
    # The requests past the limit made no new code: the last one mailed still works. (Mails go out on
    # their own threads and may arrive out of order, so try each; exactly the newest is live.)
    bodies = [m.get_payload(decode=True).decode() for m in inbox.to("old@example.com")]
    codes = [re.search(r"Your code: (\S+)", b).group(1) for b in bodies]
    body = {"email": "old@example.com", "new_password": "a brand new password"}
    answers = [client.post(PASSWORD, json={**body, "code": c}).status_code for c in codes]
    assert sorted(answers) == [200, 401, 401, 401, 401]


def test_known_and_unknown_addresses_take_about_as_long(client, world, inbox):
    """Mail goes out in the background, so an answer does not wait on the SMTP server for known addresses."""
    import statistics
    import time

    _user(client, world)

    def timed(address: str) -> float:
        start = time.perf_counter()
        assert client.post(PASSWORD + "?reset=true", json={"email": address}).status_code == 200
        return time.perf_counter() - start

    known = [timed("old@example.com") for _ in range(4)]
    unknown = [timed(f"nobody{i}@example.com") for i in range(4)]
    assert abs(statistics.median(known) - statistics.median(unknown)) < 0.1, (known, unknown)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "not an address", "reset": True}, 400),
        ({"reset": True}, 400),
        ({"email": "a@example.com", "code": "X"}, 400),  # no new_password
        ({"email": "a@example.com", "code": "X", "new_password": "short"}, 400),
        ({"email": "a@example.com", "code": "", "new_password": "a long password 12"}, 400),
    ],
)
def test_bad_reset_bodies_are_400(client, world, body, status):
    assert client.post(PASSWORD, json=body).status_code == status


def test_the_old_password_change_still_needs_a_session(client, world):
    body = {"old_password": "x", "new_password": "a brand new password"}
    assert client.post(PASSWORD, json=body).status_code == 401
    assert client.post(PASSWORD).status_code == 401  # no body either: still "log in first"
    assert client.post(PASSWORD + "?reset=true", data="x", content_type="text/plain").status_code == 415


@pytest.mark.parametrize("path", [PASSWORD, "/api/v2/system/admin/password"])
def test_a_dreamfactory_password_change_answers_success_and_the_new_token(client, world, path):
    if path == PASSWORD:
        _user(client, world)
        started = login(client, "old@example.com", "an old password 1", USER_LOGIN)
        email, old_password = "old@example.com", "an old password 1"
    else:
        email, old_password = "admin@example.com", ADMIN_PASSWORD
        started = login(client, email, old_password)
    headers = {"X-DreamFactory-API-Key": world["key"]}
    headers["X-DreamFactory-Session-Token"] = started.get_json()["session_token"]
    body = {"old_password": old_password, "new_password": "a brand new password"}
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["success"] is True and answer["email"] == email
    # Every session ended with the old password: the answer carries the one to go on with.
    headers["X-DreamFactory-Session-Token"] = answer["session_token"]
    assert client.get(path.replace("password", "session"), headers=headers).status_code == 200


# ---- invitations ----


def test_an_invited_user_sets_a_first_password_with_the_code(app, client, world, inbox):
    made = _user(client, world, email="invited@example.com", password="placeholder pass 1")
    with app.app_context(), session_scope() as db:
        invitations.send_invite(db, db.get(User, made["id"]), app.config["SETTINGS"])
    message = inbox.wait_for("invited@example.com")[0]
    assert message["Subject"] == "You are invited"
    code = inbox.code_for("invited@example.com")
    body = {"email": "invited@example.com", "code": code, "new_password": "my own first password"}
    assert client.post(PASSWORD, json=body).status_code == 200
    assert login(client, "invited@example.com", "my own first password", USER_LOGIN).status_code == 200


# ---- without mail settings, and the SMTP connection itself ----


@pytest.fixture
def no_mail_app(system_db_url, tmp_path):
    yield from _app(system_db_url, tmp_path)


def test_without_mail_settings_the_endpoints_answer_503_naming_it(no_mail_app):
    client = no_mail_app.test_client()
    world_ = {}
    admin = create_admin_user(no_mail_app)
    token = login(client, admin["email"], admin["password"]).get_json()["session_token"]
    world_["admin"] = {"Authorization": f"Bearer {token}"}
    role = client.post("/api/v2/system/role", json={"name": "m", "access": []}, headers=world_["admin"])
    made = client.post("/api/v2/system/app", json={"name": "s"}, headers=world_["admin"]).get_json()
    world_.update(role_id=role.get_json()["id"], app_id=made["id"], key=made["api_key"])
    assert _enable(client, world_)["mail_missing_setting"] == "MAIL_HOST"
    for response in (
        _register(client, world_),
        client.post(PASSWORD + "?reset=true", json={"email": "a@example.com"}),
    ):
        assert response.status_code == 503, response.get_json()
        assert "MAIL_HOST" in response.get_json()["error"]["message"]
    _enable(client, world_, skip_confirmation=True)
    assert _register(client, world_).status_code == 200  # no mail needed


# Loopback only: the test server takes a login without TLS, which aiosmtpd rightly warns about.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_uses_the_password_and_a_failure_never_logs_it(caplog):
    with smtp_server(require_auth=True) as (port, inbox):
        good = load_settings(
            {
                "APP_ENV": "local",
                **_mail_config(port, MAIL_USERNAME="bastion", MAIL_PASSWORD="smtp pass word"),
            }
        )
        mail.send(good, mail.Outgoing("x@example.com", "hi", "body"))
        assert inbox.logins == [("bastion", "smtp pass word")]
        assert inbox.wait_for("x@example.com")
        bad = load_settings(
            {"APP_ENV": "local", **_mail_config(port, MAIL_USERNAME="bastion", MAIL_PASSWORD="wrong pw 42")}
        )
        with caplog.at_level(logging.DEBUG), pytest.raises(mail.MailFailed):
            mail.send(bad, mail.Outgoing("x@example.com", "hi", "body"))
    assert "wrong pw 42" not in caplog.text and "sending e-mail failed" in caplog.text
    assert "wrong pw 42" not in repr(bad)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAIL_TLS", "tls"),
        ("MAIL_PORT", "70000"),
        ("MAIL_PORT", "abc"),
        ("MAIL_FROM", "nobody"),
        ("SPA_URL", "console.example.com"),
        ("CODE_TTL_MINUTES", "0"),
    ],
)
def test_bad_mail_settings_stop_start_up_naming_them(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({"APP_ENV": "local", name: value})
