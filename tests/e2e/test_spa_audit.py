"""The Audit page, a user's live sessions and the apps' key use, in real Chromium against a live platform."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.spa import log_in, open_area, suffix

pytestmark = pytest.mark.e2e


def test_a_change_in_the_spa_shows_in_the_audit_page(page: Page, spa, live_server, screens):
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Roles")
    name = f"audited-{suffix()}"
    page.get_by_role("link", name="New role").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Create role").click()
    # Searched for: with more than a page of roles (other tests' in this session), it is not on page 1.
    page.get_by_role("searchbox", name="Filter roles").fill(name)
    expect(page.get_by_role("table", name="Roles")).to_contain_text(name)
    screens.snap("role created")

    open_area(page, "Audit")
    filters = page.get_by_role("form", name="Audit filters")
    filters.get_by_label("Action").select_option("create")
    filters.get_by_label("Resource", exact=True).select_option("role")
    filters.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"#/audit\?action=create&resource_type=role$"))
    events = page.get_by_role("table", name="Audit events")
    row = events.get_by_role("row").filter(has_text=f'name: "{name}"')
    expect(row).to_contain_text(live_server.admin_email)
    expect(row).to_contain_text("create")
    screens.snap("audit page")
    page.reload()  # the filters live in the route
    expect(
        page.get_by_role("table", name="Audit events").get_by_role("row").filter(has_text=name)
    ).to_have_count(1)


def test_the_user_form_ends_every_session_of_the_user(page: Page, spa, live_server, api, screens):
    email = f"sess-{suffix()}@example.com"
    password = "user password long enough"
    created = api.post(
        f"{live_server.url}/api/v2/system/user",
        json={"email": email, "name": "S", "password": password},
        timeout=10,
    )
    created.raise_for_status()
    answer = requests.post(
        f"{live_server.url}/api/v2/user/session", json={"email": email, "password": password}, timeout=10
    )
    token = answer.json()["session_token"]
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Users")
    page.get_by_role("link", name=f"Edit {email}").click()
    sessions = page.get_by_test_id("user-sessions")
    expect(sessions).to_contain_text("127.0.0.1")
    screens.snap("user sessions")
    sessions.get_by_role("button", name="End all").click()
    page.get_by_role("dialog", name="End sessions").get_by_role("button", name="End all").click()
    expect(sessions).to_contain_text("No live session")
    gone = requests.get(
        f"{live_server.url}/api/v2/user/session", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert gone.status_code == 401


def test_apps_show_when_their_key_was_last_used(page: Page, spa, live_server, api, screens):
    name = f"used-{suffix()}"
    key = api.post(f"{live_server.url}/api/v2/system/app", json={"name": name}, timeout=10).json()["api_key"]
    requests.get(f"{live_server.url}/api/v2", headers={"X-Api-Key": key}, timeout=10)
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Apps")
    row = page.get_by_role("table", name="Apps").get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("from 127.0.0.1")
