"""A session that ends while a form is open, in real Chromium: the typed form is not lost.

The session is ended for real, by logging its token out from another client, as an admin's token expires or
is revoked mid-form. Saving then asks for the same admin's password in a dialog over the page (labelled,
focus kept inside, Escape cancels); once logged in, what was being saved is sent again and lands, and no
password or typed secret is kept in the browser's storage. Cancelling goes to the login page as before.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.spa import log_in, open_area, session_token, suffix

pytestmark = pytest.mark.e2e
USER_PASSWORD = "the new user's own secret"
FOCUS_OUTSIDE_DIALOG = """() => {
  const active = document.activeElement
  return Boolean(active && active !== document.body && !active.closest('dialog[data-testid="relogin"]'))
}"""


def _end_session(page: Page, live_server) -> None:
    """Log the SPA's token out from another client: its next request meets a 401."""
    headers = {"Authorization": f"Bearer {session_token(page)}"}
    answer = requests.delete(f"{live_server.url}/api/v2/system/admin/session", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text


def _stored(page: Page) -> str:
    """Everything the page keeps in sessionStorage and localStorage, as one text."""
    return page.evaluate("JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage)])")


def test_an_ended_session_asks_for_the_password_over_the_form_and_the_save_goes_through(
    page, spa, live_server, api, screens
):
    email = f"draft-{suffix()}@example.com"
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Users")
    page.get_by_role("link", name="New user").click()
    form = page.get_by_test_id("user-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Name").fill("Draft Kept")
    form.get_by_label("Password").fill(USER_PASSWORD)
    _end_session(page, live_server)

    form.get_by_role("button", name="Create user").click()
    dialog = page.get_by_role("dialog", name="Your session has ended")
    expect(dialog).to_be_visible()
    why = re.compile(rf"^Log in again as {re.escape(live_server.admin_email)} to carry on")
    expect(dialog).to_have_accessible_description(why)
    password = dialog.get_by_label("Password")
    expect(password).to_be_focused()
    screens.snap("asked")
    # The page behind is out of reach: tabbing never takes focus out of the dialog.
    for _ in range(6):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_OUTSIDE_DIALOG) is False
    # The form is still there behind it, as typed.
    expect(form.get_by_label("Email")).to_have_value(email)

    password.fill("not the admin's password")
    dialog.get_by_role("button", name="Log in").click()
    expect(dialog.get_by_role("alert")).to_have_text("Invalid email or password")
    expect(password).to_have_value("")
    expect(password).to_be_focused()
    password.fill(live_server.admin_password)
    dialog.get_by_role("button", name="Log in").click()

    # The save was sent again with the new session: the user exists, with what was typed.
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("toast-success")).to_contain_text(f"User {email} created")
    users = api.get(f"{live_server.url}/api/v2/system/user", timeout=10).json()["resource"]
    assert [u["name"] for u in users if u["email"] == email] == ["Draft Kept"]
    login = {"email": email, "password": USER_PASSWORD}
    assert requests.post(f"{live_server.url}/api/v2/user/session", json=login, timeout=10).status_code == 200
    # Neither the admin's password nor the typed secret was kept anywhere in the browser.
    stored = _stored(page)
    assert live_server.admin_password not in stored and USER_PASSWORD not in stored
    screens.snap("saved")


def test_cancelling_the_password_question_goes_to_the_login_page(page, spa, live_server, api, screens):
    name = f"cancelled-{suffix()}"
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Roles")
    page.get_by_role("link", name="New role").click()
    page.get_by_label("Name", exact=True).fill(name)
    _end_session(page, live_server)
    page.get_by_role("button", name="Create role").click()
    dialog = page.get_by_role("dialog", name="Your session has ended")
    expect(dialog.get_by_label("Password")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("login-notice")).to_have_text("Your session expired, please log in again")
    assert page.evaluate("sessionStorage.getItem('bastion.session')") is None
    roles = api.get(f"{live_server.url}/api/v2/system/role", timeout=10).json()["resource"]
    assert name not in [r["name"] for r in roles]
