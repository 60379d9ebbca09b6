"""Least privilege through the admin SPA, end to end in real Chromium (issue 6).

An admin builds, only through the screens, a role whose entry filters the HR employees to one department,
an app with that default role (its key read once from the dialog), a user with the role for the app and a
CORS rule for a third origin; then a page on that origin calls the data API with the key by fetch and gets
exactly the filtered rows. Bad entries on the way show the platform's message on the field they name.

The test has a service of its own: its CORS rule, the longest match for that service's paths, lets in the
data page's origin alone, and must not shut the SPA out of the session's shared HR service.
"""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.spa import add_demo_service, log_in, open_area, serve_folder, suffix

pytestmark = pytest.mark.e2e

DEPARTMENT = 2
# Runs in the page on the other origin: the data API called with the app's key.
FETCH_ROWS = """async ([url, key]) => {
    const response = await fetch(url, {headers: {'X-Api-Key': key}});
    return {status: response.status, body: await response.json()};
}"""


@pytest.fixture(scope="module")
def data_page(tmp_path_factory):
    """A static page on an origin of its own: neither the platform's nor the SPA's."""
    root = tmp_path_factory.mktemp("data-page")
    (root / "index.html").write_text("<!doctype html><title>HR widget</title><p>HR widget</p>\n")
    served = serve_folder(root, host="localhost")
    yield served
    served.stop()


@pytest.fixture(scope="module")
def sales_db(live_server, api, tmp_path_factory) -> dict:
    """A SQLite service over a fresh demo HR database (200 employees), made through the API."""
    return add_demo_service(live_server, api, tmp_path_factory.mktemp("sales"), "sales-db")


def _department_count(path, department: int) -> int:
    with sqlite3.connect(path) as db:
        query = "SELECT count(*) FROM employees WHERE department_id = ?"
        return db.execute(query, (department,)).fetchone()[0]


def _create_role(page: Page, hr: str, name: str) -> None:
    """A role on hr's employees, GET only, rows of one department; entries with a bad column and a bad
    value first."""
    open_area(page, "Roles")
    page.get_by_role("link", name="New role").click()
    page.get_by_label("Name", exact=True).fill(name)
    entries = [("employees", "department_id", str(DEPARTMENT)), ("departments", "no_such_column", "x")]
    entries.append(("departments", "budget", "lots"))
    for index, (table, column, value) in enumerate(entries):
        page.get_by_role("button", name="Add access entry").click()
        entry = page.get_by_test_id(f"entry-{index}")
        entry.get_by_label("Service", exact=True).select_option(hr)
        entry.get_by_label("Component", exact=True).select_option(f"_table/{table}")
        entry.get_by_role("button", name="Add filter").click()
        row = entry.get_by_role("group", name="Filter 1")
        row.get_by_label("Column", exact=True).fill(column)
        row.get_by_label("Value", exact=True).fill(value)
    page.get_by_role("button", name="Create role").click()
    # The platform names the second entry's filter column; the first entry has nothing to say.
    message = page.get_by_test_id("error-access[1].filters[0].name")
    expect(message).to_have_text("unknown column 'no_such_column'")
    column = page.get_by_test_id("entry-1").get_by_label("Column", exact=True)
    expect(column).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("error-access[0].filters[0].name")).to_have_count(0)
    # A value the column cannot hold is named on save, not left to deny every request of the table.
    value_message = page.get_by_test_id("error-access[2].filters[0].value")
    expect(value_message).to_contain_text("'lots' is not a valid value for column 'budget'")
    page.get_by_role("button", name="Remove entry 3").click()
    page.get_by_role("button", name="Remove entry 2").click()
    page.get_by_role("button", name="Create role").click()
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


def _create_app(page: Page, spa, name: str, role: str) -> str:
    """Create an app with the role as default; read its key from the one-time dialog and copy it."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=spa.origin)
    open_area(page, "Apps")
    page.get_by_role("link", name="New app").click()
    form = page.get_by_test_id("app-form")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Default role").select_option(label=role)
    form.get_by_role("button", name="Create app").click()
    dialog = page.get_by_test_id("key-modal")
    expect(dialog).to_contain_text("cannot be shown again")
    key = dialog.get_by_test_id("api-key").input_value()
    assert key.startswith("bak_")
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog).to_contain_text("Copied to the clipboard")
    assert page.evaluate("navigator.clipboard.readText()") == key
    dialog.get_by_role("button", name="I have stored the key").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("cell", name=key[:10], exact=True)).to_be_visible()
    return key


def _create_user(page: Page, email: str, app: str, role: str) -> None:
    """Create a user with the role for the app; a duplicate app row is refused on that row first."""
    open_area(page, "Users")
    page.get_by_role("link", name="New user").click()
    form = page.get_by_test_id("user-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Name").fill("Sales clerk")
    form.get_by_label("Password", exact=True).fill("a long enough password")
    for number in (1, 2):
        form.get_by_role("button", name="Add app role").click()
        row = form.get_by_role("group", name=f"Assignment {number}")
        row.get_by_label("App").select_option(label=app)
        row.get_by_label("Role").select_option(label=role)
    form.get_by_role("button", name="Create user").click()
    expect(form.get_by_test_id("error-app_roles[1].app_id")).to_have_text("one role per app")
    form.get_by_role("button", name="Remove assignment 2").click()
    form.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("cell", name=email, exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=f"{app} → {role}", exact=True)).to_be_visible()


def _create_cors_rule(page: Page, path: str, origin: str) -> None:
    """A rule for the data page's origin on hr's paths; a bad origin is named on its field first."""
    open_area(page, "CORS")
    page.get_by_role("link", name="New rule").click()
    # The list has a Path filter of its own: type only once the rule's form is there.
    expect(page.get_by_role("heading", name="New CORS rule")).to_be_visible()
    page.get_by_label("Path", exact=True).fill(path)
    page.get_by_label("Origins").fill("ftp://files.example.com")
    page.get_by_role("button", name="Create rule").click()
    expect(page.get_by_test_id("error-origins")).to_contain_text("'ftp://files.example.com' is not an origin")
    page.get_by_label("Origins").fill(origin)
    page.get_by_role("button", name="Create rule").click()
    expect(page.get_by_role("link", name=path, exact=True)).to_be_visible()


def _explain(page: Page, app: str, path: str, role: str) -> None:
    """The explain panel names the role and its row filter for the app."""
    open_area(page, "Roles")
    panel = page.get_by_role("region", name="Explain a decision")
    panel.get_by_label("App").select_option(label=app)
    panel.get_by_label("Path").fill(path)
    panel.get_by_role("button", name="Explain").click()
    result = panel.get_by_test_id("explain-result")
    expect(result).to_contain_text("allowed")
    expect(result).to_contain_text(role)
    expect(result).to_contain_text(f"department_id = {DEPARTMENT}")


def test_a_filtered_role_made_in_the_spa_reaches_a_page_on_an_allowed_origin(
    page, spa, live_server, api, sales_db, data_page, screens
):
    hr, tag = sales_db["name"], suffix()
    role, app, email = f"sales-{tag}", f"widget-{tag}", f"clerk-{tag}@example.com"
    log_in(page, spa.url, live_server, screens)

    _create_role(page, hr, role)
    screens.snap("roles")
    key = _create_app(page, spa, app, role)
    assert key not in page.content()
    screens.snap("apps")
    _create_user(page, email, app, role)
    screens.snap("users")
    _create_cors_rule(page, f"api/v2/{hr}/*", data_page.origin)
    screens.snap("cors")
    _explain(page, app, f"/api/v2/{hr}/_table/employees", role)

    apps = api.get(f"{live_server.url}/api/v2/system/app", timeout=10).json()["resource"]
    app_row = next(a for a in apps if a["name"] == app)
    users = api.get(f"{live_server.url}/api/v2/system/user", timeout=10).json()["resource"]
    assert next(u for u in users if u["email"] == email)["app_roles"] == [
        {"app_id": app_row["id"], "role_id": app_row["role_id"]}
    ]

    other = page.context.new_page()
    other.goto(data_page.url)
    url = f"{live_server.url}/api/v2/{hr}/_table/employees?limit=1000&include_count=true"
    answer = other.evaluate(FETCH_ROWS, [url, key])
    other.close()
    assert answer["status"] == 200, answer
    rows = answer["body"]["resource"]
    assert len(rows) == answer["body"]["meta"]["count"] == _department_count(sales_db["path"], DEPARTMENT)
    assert rows and {r["department_id"] for r in rows} == {DEPARTMENT}

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_test_id("login-notice")).to_have_text("You have been logged out")
