"""Layout and state of the admin SPA, in real Chromium (issue 18, "Layout and state"); phones at 390 px.

On a phone, lists are stacked cards that fit the screen with each row's name and actions in view; the menu
closes on any change of screen; logging out leaves no message for the next person; every resource is
edited on its own routed page; a list's search and page live in the URL, so reload and Back keep them;
the favicon is never fetched again.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, Request, expect

from tests.e2e.spa import log_in, open_area, suffix

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
PASSWORD = "a long enough password"


def _roles(api: requests.Session, live_server, prefix: str, count: int) -> list[dict]:
    made = []
    for i in range(count):
        body = {"name": f"{prefix}-{i:02d}", "description": "A role with a long description " * 3}
        answer = api.post(f"{live_server.url}/api/v2/system/role", json=body, timeout=10)
        assert answer.status_code == 201, answer.text
        made.append(answer.json())
    return made


def _fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("area", ["Roles", "Services", "Apps", "Users", "Admins", "CORS"])
def test_lists_are_cards_that_fit_a_phone(page, spa, live_server, api, hr_service, screens, area):
    tag = suffix()
    _roles(api, live_server, f"phone-{tag}", 1)
    system = f"{live_server.url}/api/v2/system"
    api.post(f"{system}/app", json={"name": f"phone-{tag}"}, timeout=10).raise_for_status()
    user = {"email": f"phone-{tag}@example.com", "name": "Phone", "password": PASSWORD}
    api.post(f"{system}/user", json=user, timeout=10).raise_for_status()
    page.set_viewport_size(PHONE)
    log_in(page, spa.url, live_server, screens)
    page.get_by_role("button", name="Menu").click()
    open_area(page, area)
    cards = page.get_by_test_id("list-card")
    expect(cards.first).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    assert _fits(page), "the list is wider than the phone"
    # The row's title and every action of the first card are on screen, not scrolled away.
    first = cards.first
    for button in first.get_by_role("button").all() + first.get_by_role("link").all():
        expect(button).to_be_in_viewport()
    expect(first.get_by_text(re.compile(r"active|inactive|enabled|disabled")).first).to_be_visible()
    screens.snap("cards")


def test_a_services_tables_are_cards_on_a_phone_and_keep_their_search(
    page, spa, live_server, hr_service, screens
):
    page.set_viewport_size(PHONE)
    log_in(page, spa.url, live_server, screens)
    page.goto(f"{spa.url}#/services/{hr_service['name']}/tables")
    cards = page.get_by_test_id("list-card")
    expect(cards).to_have_count(5)
    assert _fits(page), "the tables list is wider than the phone"
    page.get_by_label("Filter tables").fill("emp")
    expect(cards).to_have_count(2)  # employees, active_employees
    expect(page).to_have_url(re.compile(r"/tables\?filter=emp$"))
    page.reload()
    expect(cards).to_have_count(2)
    cards.get_by_role("link", name="employees", exact=True).click()
    expect(page.get_by_test_id("pager-status")).to_have_text("1–25 of 200")
    page.go_back()
    expect(page.get_by_label("Filter tables")).to_have_value("emp")
    screens.snap("tables-cards")


def test_the_phone_menu_closes_after_a_typed_url_and_back(page, spa, live_server, screens):
    page.set_viewport_size(PHONE)
    log_in(page, spa.url, live_server, screens)
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    menu.click()
    expect(nav).to_be_visible()
    page.goto(f"{spa.url}#/roles")
    expect(page.get_by_role("heading", name="Roles", level=1)).to_be_visible()
    expect(nav).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(nav).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Roles", level=1)).to_have_count(0)
    expect(nav).to_be_hidden()


def test_logging_out_clears_the_messages(page, spa, live_server, api, screens):
    role = _roles(api, live_server, f"bye-{suffix()}", 1)[0]
    log_in(page, spa.url, live_server, screens)
    page.goto(f"{spa.url}#/roles?filter={role['name']}")
    page.get_by_role("button", name=f"Delete {role['name']}").click()
    page.get_by_test_id("confirm").get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id("toast-success")).to_contain_text(f"Role {role['name']} deleted")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_test_id("login-notice")).to_have_text("You have been logged out")
    expect(page.get_by_test_id("toast-success")).to_have_count(0)
    log_in(page, spa.url, live_server, screens)
    expect(page.get_by_test_id("toasts").locator("> *")).to_have_count(0)


@pytest.mark.parametrize(
    ("area", "label", "path"),
    [
        ("Admins", "Email", "admins"),
        ("Apps", "Name", "apps"),
        ("Users", "Email", "users"),
        ("Roles", "Name", "roles"),
    ],
)
def test_every_resource_is_edited_on_its_own_page(page, spa, live_server, api, screens, area, label, path):
    tag = suffix()
    bodies = {
        "admins": (
            "admin",
            {"email": f"e-{tag}@example.com", "name": "E", "password": "a long enough password"},
        ),
        "apps": ("app", {"name": f"e-{tag}"}),
        "users": (
            "user",
            {"email": f"e-{tag}@example.com", "name": "E", "password": "a long enough password"},
        ),
        "roles": ("role", {"name": f"e-{tag}"}),
    }
    resource, body = bodies[path]
    made = api.post(f"{live_server.url}/api/v2/system/{resource}", json=body, timeout=10).json()
    shown = body.get("email", body.get("name"))
    log_in(page, spa.url, live_server, screens)
    open_area(page, area)
    page.get_by_role("searchbox").fill(shown)
    expect(page).to_have_url(re.compile(rf"#/{path}\?filter="))
    page.get_by_role("link", name=f"Edit {shown}").click()
    expect(page).to_have_url(re.compile(rf"#/{path}/{made['id']}/edit$"))
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.reload()
    expect(page.get_by_label(label, exact=True)).to_have_value(shown)
    # Back leaves the page for the list as it was left, search included.
    page.go_back()
    expect(page.get_by_role("searchbox")).to_have_value(shown)
    expect(page.get_by_role("row")).to_have_count(2)
    page.get_by_role("link", name=f"Edit {shown}").click()
    page.get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(re.compile(rf"#/{path}\?filter="))


def _twelve_roles_shown_by_ten(page, spa, live_server, api, screens, kind: str) -> str:
    """Twelve roles `<kind>-<suffix>-NN`, the Roles list searched for them at 10 rows a page; the prefix."""
    prefix = f"{kind}-{suffix()}"
    _roles(api, live_server, prefix, 12)
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Roles")
    page.get_by_role("searchbox").fill(prefix)
    page.get_by_label("Rows per page").select_option("10")
    return prefix


def test_a_lists_search_and_page_survive_reload_and_back(page, spa, live_server, api, screens):
    prefix = _twelve_roles_shown_by_ten(page, spa, live_server, api, screens, "paged")
    status = page.get_by_test_id("pager-status")
    expect(status).to_have_text("1–10 of 12")
    page.get_by_role("button", name="Next").click()
    expect(status).to_have_text("11–12 of 12")
    expect(page).to_have_url(re.compile(rf"#/roles\?filter={prefix}&page=2&size=10$"))
    page.reload()
    expect(page.get_by_role("searchbox")).to_have_value(prefix)
    expect(status).to_have_text("11–12 of 12")
    page.go_back()
    expect(status).to_have_text("1–10 of 12")
    expect(page.get_by_role("searchbox")).to_have_value(prefix)


def test_the_favicon_is_not_fetched_on_screen_changes(page, spa, live_server, screens):
    requests_made: list[Request] = []
    page.on("request", lambda r: requests_made.append(r))
    log_in(page, spa.url, live_server, screens)
    for area in ("Services", "Roles", "Apps", "Users", "Admins", "CORS", "Home"):
        open_area(page, area)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert [r.url for r in requests_made if "favicon" in r.url] == []


def test_a_question_left_open_by_back_is_answered_no(page, spa, live_server, api, screens):
    email = f"back-{suffix()}@example.com"
    body = {"email": email, "name": "Back", "password": PASSWORD}
    user = api.post(f"{live_server.url}/api/v2/system/user", json=body, timeout=10).json()
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Users")
    page.get_by_role("button", name=f"Deactivate {email}").click()
    confirm = page.get_by_test_id("confirm")
    expect(confirm).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    # The dialog went with its page: nothing over Home can still deactivate the user.
    expect(confirm).to_be_hidden()
    screens.snap("home-after-back")
    answer = api.get(f"{live_server.url}/api/v2/system/user/{user['id']}", timeout=10)
    assert answer.json()["is_active"] is True


def test_one_long_value_does_not_push_the_other_columns_out_of_view(page, spa, live_server, api, screens):
    name = f"long-{suffix()}"
    description = "Quarterly salary reporting for every department, contractors and interns included; " * 4
    body = {"name": name, "description": description}
    assert api.post(f"{live_server.url}/api/v2/system/role", json=body, timeout=10).status_code == 201
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Roles")
    page.get_by_role("searchbox", name="Filter roles").fill(name)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name))
    status = page.get_by_role("columnheader", name="Status")
    # Every column in view at 1280 px, with the long description cut rather than the table scrolled.
    expect(status).to_be_in_viewport(ratio=1)
    expect(row.get_by_text("active", exact=True)).to_be_in_viewport(ratio=1)
    cell = row.get_by_role("cell", name=description.strip()[:40])
    cell.hover()
    expect(cell).to_have_attribute("title", description.strip())
    screens.snap("long-description")


def test_a_list_sorts_by_its_headers_and_keeps_the_sort_in_the_route(page, spa, live_server, api, screens):
    prefix = _twelve_roles_shown_by_ten(page, spa, live_server, api, screens, "sorted")
    header = page.get_by_role("columnheader", name="Name")
    first_name = page.get_by_role("table", name="Roles").get_by_role("link").first
    expect(first_name).to_have_text(f"{prefix}-00")
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(first_name).to_have_text(f"{prefix}-11")
    expect(page).to_have_url(re.compile(rf"#/roles\?filter={prefix}&sort=-name&size=10$"))
    # The next page continues the same order, and a reload keeps it.
    page.get_by_role("button", name="Next").click()
    expect(first_name).to_have_text(f"{prefix}-01")
    page.reload()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(first_name).to_have_text(f"{prefix}-01")
    screens.snap("sorted")


def _marked(page: Page, table: str):
    """The rows of a list marked as the item just saved."""
    return page.get_by_role("table", name=table).locator("tbody tr[aria-current='true']")


def test_a_saved_item_is_shown_on_the_page_that_holds_it_and_marked(page, spa, live_server, api, screens):
    prefix = _twelve_roles_shown_by_ten(page, spa, live_server, api, screens, "made")
    status = page.get_by_test_id("pager-status")
    expect(status).to_have_text("1–10 of 12")
    page.get_by_role("link", name="New role").click()
    page.get_by_label("Name", exact=True).fill(f"{prefix}-12")
    page.get_by_role("button", name="Create role").click()
    # Back on the list as it was left (search, size), but on the page that holds the new role.
    expect(status).to_have_text("11–13 of 13")
    expect(page).to_have_url(re.compile(rf"#/roles\?filter={prefix}&page=2&size=10$"))
    expect(_marked(page, "Roles")).to_have_count(1)
    expect(_marked(page, "Roles").get_by_role("link", name=f"{prefix}-12", exact=True)).to_be_focused()
    screens.snap("created-marked")
    # The mark has done its work once the admin moves on.
    page.get_by_role("button", name="Previous").click()
    expect(status).to_have_text("1–10 of 13")
    page.get_by_role("button", name="Next").click()
    expect(status).to_have_text("11–13 of 13")
    expect(_marked(page, "Roles")).to_have_count(0)

    # An edit that moves the item in the admin's sort is followed to its new page too.
    page.get_by_role("button", name="Previous").click()
    page.get_by_role("columnheader", name="Name").get_by_role("button").click()
    expect(page).to_have_url(re.compile(rf"#/roles\?filter={prefix}&sort=name&size=10$"))
    page.get_by_role("link", name=f"Edit {prefix}-00").click()
    page.get_by_label("Name", exact=True).fill(f"{prefix}-zz")
    page.get_by_role("button", name="Save role").click()
    expect(page).to_have_url(re.compile(rf"#/roles\?filter={prefix}&sort=name&page=2&size=10$"))
    expect(_marked(page, "Roles").get_by_role("link", name=f"{prefix}-zz", exact=True)).to_be_visible()


def test_a_new_item_the_search_would_hide_is_shown_without_the_search(page, spa, live_server, screens):
    name = f"shown-{suffix()}"
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Apps")
    page.get_by_role("searchbox").fill("nothing is called this")
    page.get_by_role("link", name="New app").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Create app").click()
    # The key is shown first, once; the list comes when its dialog is closed.
    page.get_by_test_id("key-modal").get_by_role("button", name="I have stored the key").click()
    expect(page.get_by_role("searchbox")).to_have_value("")
    expect(_marked(page, "Apps").get_by_role("cell", name=name, exact=True)).to_be_visible()
    screens.snap("shown-without-search")
