"""Forgot password, end to end in Chromium: ask for a code, read it from a real SMTP server, type it, choose
a new password, land logged in, and log in again with it (issue 15 §4)."""

from __future__ import annotations

import json
import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.spa import allow_origins, build_spa, serve_spa
from tests.live import start_server, stop_server
from tests.smtp_server import smtp_server

EMAIL = "forgetful@example.com"
OLD_PASSWORD = "the password I forgot"
NEW_PASSWORD = "a password I will keep"


@pytest.fixture(scope="module")
def mailbox():
    with smtp_server() as (port, inbox):
        yield port, inbox


@pytest.fixture(scope="module")
def platform(mailbox, tmp_path_factory):
    """The SPA on its own origin and a platform that e-mails links to it through the loopback SMTP server."""
    folder = tmp_path_factory.mktemp("self-service") / "dist"
    spa = serve_spa(build_spa(), folder, "http://127.0.0.1:1")  # the platform's URL is written below
    mail = {
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(mailbox[0]),
        "MAIL_TLS": "none",
        "MAIL_FROM": "no-reply@example.com",
        "SPA_URL": spa.url,
    }
    server = start_server(tmp_path_factory.mktemp("self-service-live") / "instance", **mail)
    try:
        api = requests.Session()
        body = {"email": server.admin_email, "password": server.admin_password}
        token = api.post(f"{server.url}/api/v2/system/admin/session", json=body, timeout=10).json()
        api.headers["Authorization"] = f"Bearer {token['session_token']}"
        app = api.post(f"{server.url}/api/v2/system/app", json={"name": "console"}, timeout=10).json()
        user = {"email": EMAIL, "name": "Forgetful", "password": OLD_PASSWORD}
        api.post(f"{server.url}/api/v2/system/user", json=user, timeout=10).raise_for_status()
        (folder / "config.json").write_text(json.dumps({"apiBaseUrl": server.url, "apiKey": app["api_key"]}))
        allow_origins(api, server.url, [spa.origin])
        role = api.post(f"{server.url}/api/v2/system/role", json={"name": "member"}, timeout=10).json()
        server.registration = {"app_id": app["id"], "role_id": role["id"]}
        yield spa, server
    finally:
        stop_server(server)
        spa.stop()


def _log_in_as_user(page: Page, password: str) -> None:
    page.get_by_label("User (API docs)").check()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_forgot_password_end_to_end(page: Page, platform, mailbox):
    spa, server = platform
    inbox = mailbox[1]
    page.set_default_timeout(10_000)
    page.goto(spa.url)
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_test_id("reset-sent")).to_contain_text(EMAIL)

    body = inbox.wait_for(EMAIL)[0].get_payload(decode=True).decode()
    link = re.search(r"Type it at (\S+)", body).group(1)
    assert link.startswith(spa.url + "#/reset-password?email=")
    code = inbox.code_for(EMAIL)

    page.goto(link)
    expect(page.get_by_label("Email")).to_have_value(EMAIL)
    page.get_by_label("Code from the e-mail").fill(code)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and log in").click()
    expect(page.get_by_test_id("current-user")).to_have_text(EMAIL)

    page.get_by_role("button", name="Log out").click()
    _log_in_as_user(page, OLD_PASSWORD)
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("current-user")).to_have_text(EMAIL)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    expect(page.get_by_test_id("profile-email")).to_have_text(EMAIL)
    assert server.log().count(code) == 0  # the code never reaches the platform's log

    # A wrong current password is said under its field; the user stays signed in (it was a 401 that
    # read as "your session ended" and logged them out).
    page.get_by_label("Current password").fill(OLD_PASSWORD)
    page.get_by_label("New password", exact=True).fill("yet another long password")
    page.get_by_label("Repeat the new password").fill("yet another long password")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_test_id("error-old_password")).to_contain_text("does not match the current password")
    expect(page.get_by_test_id("current-user")).to_have_text(EMAIL)
    expect(page.get_by_test_id("profile-email")).to_have_text(EMAIL)


def test_register_and_confirm_then_the_admin_sees_the_setting(page: Page, platform, mailbox):
    spa, server = platform
    inbox = mailbox[1]
    admin = requests.Session()
    body = {"email": server.admin_email, "password": server.admin_password}
    token = admin.post(f"{server.url}/api/v2/system/admin/session", json=body, timeout=10).json()
    admin.headers["Authorization"] = f"Bearer {token['session_token']}"
    setting = {"enabled": True, "apps": [server.registration]}
    admin.put(f"{server.url}/api/v2/system/registration", json=setting, timeout=10).raise_for_status()

    page.set_default_timeout(10_000)
    page.goto(spa.url)
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password").fill("a newcomer's password")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_test_id("register-sent")).to_contain_text("newcomer@example.com")
    page.get_by_role("link", name="I have the code").click()
    page.get_by_label("Code from the e-mail").fill(inbox.code_for("newcomer@example.com"))
    page.get_by_role("button", name="Confirm and log in").click()
    expect(page.get_by_test_id("current-user")).to_have_text("newcomer@example.com")
    page.get_by_role("button", name="Log out").click()

    page.get_by_label("Email").fill(server.admin_email)
    page.get_by_label("Password").fill(server.admin_password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Registration").click()
    expect(page.get_by_label("Anyone may register")).to_be_checked()
    expect(page.get_by_label("Skip the e-mailed confirmation")).not_to_be_checked()
    expect(page.get_by_test_id("mail-missing")).to_have_count(0)
