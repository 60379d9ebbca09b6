"""The admin SPA in real Chromium, served on its own origin and calling the platform through its CORS rule.

The SPA is built once (when stale) and served from copies of dist/, each with its own config.json: one at
http://127.0.0.1:<p> calling http://127.0.0.1:<api>, one at http://localhost:<q> calling
http://localhost:<api>. Both origins are added to the SPA's CORS rule on `api/v2/*`, so every call below
crosses origins exactly as in production. On failure, a screenshot of each screen the
test passed through goes to test-artifacts/<test>/, with the end of the platform's log.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, Request, Response, expect

from bastion import __version__
from bastion.demo_seed import create_demo_database
from tests.e2e.spa import allow_origins, build_spa, log_in, open_area, serve_spa, session_token, suffix

pytestmark = pytest.mark.e2e

PG_PASSWORD = "pg-secret-" + uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def spa_localhost(live_server, api, tmp_path_factory):
    """The same build on localhost, configured for the platform under the name localhost."""
    base = f"http://localhost:{live_server.port}"
    served = serve_spa(build_spa(), tmp_path_factory.mktemp("spa") / "dist", base, host="localhost")
    allow_origins(api, live_server.url, [served.origin])
    yield served
    served.stop()


def test_login_shows_the_platform_and_its_counts(page, spa, live_server, api, screens):
    log_in(page, spa.url, live_server, screens)
    expect(page.get_by_test_id("env-version")).to_have_text(__version__)
    expect(page.get_by_test_id("env-database")).to_have_text("sqlite")
    services = len(api.get(f"{live_server.url}/api/v2/system/service").json()["resource"])
    admins = len(api.get(f"{live_server.url}/api/v2/system/admin").json()["resource"])
    # The counts are the Inventory card's (the advisor's); Home no longer repeats them in a card of its own.
    expect(page.get_by_test_id("inventory-services")).to_have_text(str(services))
    expect(page.get_by_test_id("inventory-admins")).to_have_text(str(admins))
    screens.snap("home")


def _fill_service(page: Page, name: str, config: dict[str, str]) -> None:
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Engine").select_option(config.pop("engine"))
    for label, value in config.items():
        page.get_by_label(label, exact=True).fill(value)


def test_services_from_the_form_never_send_a_password_back(page, spa, live_server, screens, tmp_path):
    responses: list[Response] = []
    requests_made: list[Request] = []
    page.on("response", lambda r: responses.append(r))
    page.on("request", lambda r: requests_made.append(r))
    demo = tmp_path / "demo.db"
    create_demo_database(str(demo), employees=200)
    sqlite_name, pg_name = f"demo-{suffix()}", f"pg-{suffix()}"
    log_in(page, spa.url, live_server, screens)

    open_area(page, "Services")
    page.get_by_role("link", name="New service").click()
    _fill_service(page, sqlite_name, {"engine": "sqlite", "Database": str(demo)})
    screens.snap("new-sqlite-service")
    page.get_by_role("button", name="Create service").click()
    expect(page.get_by_role("link", name=sqlite_name, exact=True)).to_be_visible()

    page.get_by_role("link", name="New service").click()
    pg = {"engine": "postgresql", "Host": "127.0.0.1", "Port": "5432", "Database": "test"}
    _fill_service(page, pg_name, {**pg, "Username": "postgres", "Password": PG_PASSWORD})
    page.get_by_role("button", name="Create service").click()
    expect(page.get_by_role("link", name=pg_name, exact=True)).to_be_visible()
    screens.snap("services")

    page.get_by_role("button", name=f"Test {pg_name}").click()
    expect(page.get_by_test_id("toast-success").last).to_contain_text(f"Connected to service '{pg_name}'")

    # Editing shows the stored secret as an empty, marked input, and saving without retyping keeps it.
    page.get_by_role("link", name=f"Edit {pg_name}").click()
    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_value("")
    expect(password).to_have_attribute("placeholder", re.compile("unchanged"))
    screens.snap("edit-service")
    page.get_by_label("Label", exact=True).fill("Postgres test database")
    page.get_by_role("button", name="Save service").click()
    expect(page.get_by_role("cell", name="Postgres test database")).to_be_visible()
    page.get_by_role("button", name=f"Test {pg_name}").click()
    expect(page.get_by_test_id("toast-success").last).to_contain_text(f"Connected to service '{pg_name}'")

    page.get_by_role("button", name=f"Delete {pg_name}").click()
    expect(page.get_by_test_id("confirm")).to_contain_text(f"Delete service {pg_name}?")
    page.get_by_test_id("confirm").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("link", name=pg_name, exact=True)).to_have_count(0)

    api_calls = [r for r in requests_made if r.url.startswith(live_server.url)]
    sent = [r.post_data or "" for r in api_calls if r.method in ("POST", "PATCH")]
    assert sum(PG_PASSWORD in body for body in sent) == 1, "the password is sent once, on create"
    patches = [json.loads(r.post_data) for r in api_calls if r.method == "PATCH"]
    assert patches and all("password" not in p.get("config", {}) for p in patches)
    bodies = [r.body() for r in responses if r.request.method != "OPTIONS"]
    assert bodies and not any(PG_PASSWORD.encode() in body for body in bodies)
    assert all(r.url.startswith((spa.origin, live_server.url)) for r in requests_made)


def test_a_sqlite_file_not_there_yet_is_saved_with_a_warning_that_stays(
    page, spa, live_server, screens, tmp_path
):
    path = tmp_path / "later.db"
    name = f"later-{suffix()}"
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Services")
    page.get_by_role("link", name="New service").click()
    _fill_service(page, name, {"engine": "sqlite", "Database": str(path)})
    page.get_by_role("button", name="Create service").click()
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    warning = page.get_by_test_id("toast-warning")
    expect(warning).to_contain_text(f"Service {name}: config.database: {path} does not exist on this host")
    screens.snap("service-warning")
    # The file copied next: the next save is quiet, and the warning stays until it is closed.
    create_demo_database(str(path), employees=5)
    page.get_by_role("link", name=f"Edit {name}").click()
    page.get_by_label("Label", exact=True).fill("Copied")
    page.get_by_role("button", name="Save service").click()
    expect(page.get_by_test_id("toast-success").last).to_contain_text(f"Service {name} saved")
    expect(warning).to_have_count(1)
    warning.get_by_role("button", name="Dismiss").click()
    expect(warning).to_have_count(0)
    page.get_by_role("button", name=f"Delete {name}").click()
    page.get_by_test_id("confirm").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)


def _rows_count(path: Path, where: str) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT count(*) FROM employees WHERE {where}").fetchone()[0]


def test_table_browser_pages_and_filters(page, spa, live_server, hr_service, screens):
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Services")
    page.get_by_role("link", name=hr_service["name"], exact=True).click()
    expect(page.get_by_role("link", name="employees", exact=True)).to_be_visible()
    screens.snap("tables")
    page.get_by_role("link", name="employees", exact=True).click()

    status = page.get_by_test_id("pager-status")
    grid = page.get_by_role("table", name="Rows of employees")
    expect(status).to_have_text("1–25 of 200")
    expect(grid.get_by_role("row")).to_have_count(26)
    screens.snap("table")
    page.get_by_role("button", name="Next").click()
    expect(status).to_have_text("26–50 of 200")
    # The first cell holds the row's selection box.
    expect(grid.get_by_role("row").nth(1).get_by_role("cell").nth(1)).to_have_text("26")
    page.get_by_label("Rows per page").select_option("50")
    expect(status).to_have_text("1–50 of 200")

    where = "department_id = 3 and salary > 50000"
    expected = _rows_count(hr_service["path"], where)
    page.get_by_label("Filter").fill(where)
    page.get_by_role("button", name="Apply").click()
    expect(status).to_have_text(f"1–{expected} of {expected}")
    screens.snap("filtered")

    page.get_by_label("Filter").fill("salary >")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("error-filter")).to_contain_text("Invalid filter at position")


def test_bad_forms_show_the_server_message_on_the_field(page, spa, live_server, screens):
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Services")
    page.get_by_role("link", name="New service").click()
    _fill_service(page, f"bad-{suffix()}", {"engine": "sqlite", "Database": "relative.db"})
    page.get_by_role("button", name="Create service").click()
    expect(page.get_by_test_id("error-config.database")).to_contain_text("must be an absolute file path")
    expect(page.get_by_label("Database", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("error-name")).to_have_count(0)
    screens.snap("service-errors")

    open_area(page, "Admins")
    page.get_by_role("link", name="New admin").click()
    form = page.get_by_test_id("admin-form")
    form.get_by_label("Email").fill("not-an-email")
    form.get_by_label("Name").fill("Nobody")
    form.get_by_label("Password").fill("short")
    form.get_by_role("button", name="Create admin").click()
    # Checked in the browser before sending, in the platform's words.
    expect(form.get_by_test_id("error-email")).to_contain_text("Enter an e-mail address such as")
    expect(form.get_by_test_id("error-password")).to_have_text("Use at least 12 characters")
    screens.snap("admin-errors")


def test_admins_are_created_given_a_password_and_deleted_after_confirming(page, spa, live_server, screens):
    email, password = f"ops-{suffix()}@example.com", "a long enough password"
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Admins")
    page.get_by_role("link", name="New admin").click()
    form = page.get_by_test_id("admin-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Name").fill("Ops")
    form.get_by_label("Password").fill("first password, long")
    form.get_by_role("button", name="Create admin").click()
    expect(page.get_by_role("cell", name=email, exact=True)).to_be_visible()

    page.get_by_role("button", name=f"Set password for {email}").click()
    dialog = page.get_by_test_id("password-form")
    dialog.get_by_label("New password").fill(password)
    dialog.get_by_label("Repeat the password").fill(password)
    dialog.get_by_role("button", name="Set password").click()
    expect(page.get_by_test_id("toast-success").last).to_contain_text(f"{email} has a new password")
    login = {"email": email, "password": password}
    assert requests.post(f"{live_server.url}/api/v2/system/admin/session", json=login, timeout=10).ok

    page.get_by_role("button", name=f"Delete {email}").click()
    screens.snap("confirm-delete")
    page.get_by_test_id("confirm").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("cell", name=email, exact=True)).to_be_visible()
    page.get_by_role("button", name=f"Delete {email}").click()
    page.get_by_test_id("confirm").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("cell", name=email, exact=True)).to_have_count(0)


def test_log_out_ends_the_session(page, spa, live_server, screens):
    log_in(page, spa.url, live_server, screens)
    token = session_token(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_test_id("login-notice")).to_have_text("You have been logged out")
    assert page.evaluate("sessionStorage.getItem('bastion.session')") is None
    headers = {"Authorization": f"Bearer {token}"}
    answer = requests.get(f"{live_server.url}/api/v2/system/admin/session", headers=headers, timeout=10)
    assert answer.status_code == 401


def test_an_expired_session_returns_to_login_with_a_message(page, spa, live_server, screens):
    log_in(page, spa.url, live_server, screens)
    # Let the home page finish its own calls first: the next call must be the first to meet the revocation.
    expect(page.get_by_test_id("inventory-admins")).to_have_text(re.compile(r"\d+"))
    expect(page.get_by_test_id("env-version")).to_have_text(re.compile(r"\d"))
    expect(page.get_by_test_id("recent-audit")).to_be_visible()
    headers = {"Authorization": f"Bearer {session_token(page)}"}
    requests.delete(f"{live_server.url}/api/v2/system/admin/session", headers=headers, timeout=10)
    open_area(page, "Admins")
    expect(page.get_by_test_id("login-notice")).to_have_text("Your session expired, please log in again")
    screens.snap("expired")
    page.get_by_label("Email").fill(live_server.admin_email)
    page.get_by_label("Password").fill(live_server.admin_password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Admins")).to_be_visible()


def test_the_same_build_works_under_another_host_name(page, spa_localhost, live_server, screens):
    requests_made: list[Request] = []
    page.on("request", lambda r: requests_made.append(r))
    log_in(page, spa_localhost.url, live_server, screens)
    open_area(page, "Admins")
    expect(page.get_by_role("cell", name=live_server.admin_email, exact=True)).to_be_visible()
    open_area(page, "Services")
    expect(page.get_by_role("table", name="Services")).to_be_visible()
    screens.snap("services-on-localhost")
    api_hosts = {r.url.split("/api/")[0] for r in requests_made if "/api/" in r.url}
    assert api_hosts == {f"http://localhost:{live_server.port}"}


def test_times_are_shown_in_the_admins_time_zone(browser, spa, live_server, api, screens):
    # The platform answers some times without an offset (UTC on a SQLite system database): a browser in
    # Paris must not show those an hour early next to the times that carry "+00:00".
    context = browser.new_context(timezone_id="Europe/Paris", locale="en-GB")
    page = context.new_page()
    try:
        log_in(page, spa.url, live_server, screens)
        admins = api.get(f"{live_server.url}/api/v2/system/admin", timeout=10).json()["resource"]
        admin = next(a for a in admins if a["email"] == live_server.admin_email)
        moment = datetime.fromisoformat(admin["last_login_at"])
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        shown = moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y, %H:%M:%S")
        open_area(page, "Admins")
        me = page.get_by_role("cell", name=live_server.admin_email, exact=True)
        row = page.get_by_role("row").filter(has=me)
        expect(row.get_by_role("cell", name=shown, exact=True)).to_be_visible()
    finally:
        context.close()
