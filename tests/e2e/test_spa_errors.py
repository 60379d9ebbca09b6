"""What the admin SPA says when the platform cannot answer: an admin must never read a failure as "none".

The platform is made unreachable for one kind of call with Playwright's routing (the browser sees a refused
connection, as when the platform is down or its CORS rule does not admit the SPA), after a real login.
"""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.spa import build_spa, log_in, open_area, serve_folder

pytestmark = pytest.mark.e2e

UNREACHABLE = "Cannot reach the platform"


def _refuse(page: Page, url_glob: str) -> None:
    page.route(url_glob, lambda route: route.abort("connectionrefused"))


@pytest.mark.parametrize(
    ("area", "call", "says", "never"),
    [
        ("Roles", "role", "Could not load the roles", "No roles yet"),
        ("Users", "user", "Could not load the users", "No users yet"),
        ("Audit", "audit", "Could not load the audit events", "No event matches the filters"),
    ],
)
def test_a_list_that_could_not_be_loaded_says_so(page, spa, live_server, screens, area, call, says, never):
    log_in(page, spa.url, live_server, screens)
    _refuse(page, f"{live_server.url}/api/v2/system/{call}*")
    open_area(page, area)
    table = page.get_by_role("table")
    expect(table.get_by_role("cell", name=says)).to_contain_text(UNREACHABLE)
    expect(table.get_by_text(never)).to_have_count(0)
    screens.snap("list-failed")
    # Once the platform answers again, a reload shows the rows and the failure is gone.
    page.unroute(f"{live_server.url}/api/v2/system/{call}*")
    page.reload()
    expect(table.get_by_role("cell", name=says)).to_have_count(0)


def test_a_platform_down_is_said_once_not_once_per_call(page, spa, live_server, screens):
    log_in(page, spa.url, live_server, screens)
    _refuse(page, f"{live_server.url}/api/**")
    # The roles page calls for roles, apps and users at once (the explain panel's selects): all fail alike.
    open_area(page, "Roles")
    expect(page.get_by_role("table").get_by_role("cell", name="Could not load the roles")).to_be_visible()
    toasts = page.get_by_test_id("toasts").locator("> *")
    expect(toasts).to_have_count(1)
    expect(toasts).to_contain_text(UNREACHABLE)
    screens.snap("one-toast")


def test_a_host_without_config_json_is_named_as_such(page, tmp_path, screens):
    # Like nginx's try_files in deploy/nginx/admin.conf, the test host answers a missing file with index.html.
    folder = tmp_path / "dist"
    shutil.copytree(build_spa(), folder, ignore=shutil.ignore_patterns("config.json"))
    served = serve_folder(folder)
    try:
        page.goto(served.url)
        expect(page.get_by_role("heading", name="The admin console cannot start")).to_be_visible()
        expect(page.get_by_text("config.json is missing: put it next to index.html")).to_be_visible()
    finally:
        served.stop()


def test_home_cards_say_they_could_not_load_instead_of_waiting_for_ever(page, spa, live_server, screens):
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Roles")
    for call in ("environment", "advisor", "audit"):
        _refuse(page, f"{live_server.url}/api/v2/system/{call}*")
    open_area(page, "Home")
    for title in ("Platform", "Security", "Last audit events"):
        card = page.locator("section.card", has=page.get_by_role("heading", name=title))
        expect(card.get_by_role("status")).to_contain_text(f"Could not load: {UNREACHABLE}")
    expect(page.get_by_test_id("env-version")).to_have_text("—")
    expect(page.get_by_test_id("inventory-roles")).to_have_text("—")
    expect(page.get_by_text("…")).to_have_count(0)
    screens.snap("home-failed")
