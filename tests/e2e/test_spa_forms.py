"""Forms that help, in real Chromium (issue 18, "Forms").

A field's message goes once the field is edited; empty required fields and malformed formats are named
before anything is sent; the platform's own messages read as instructions; the one-time key is not lost
to a stray Escape; the explain panel shows the deciding entry's row filters and a real service; the
service form's "API docs" select is never blank nor shows internal values, and it builds the remote HTTP
type's auth and headers editors (secrets in password inputs, kept on edit unless the target moves); the
user form names the app a docs role must be assigned for.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Request, expect

from tests.e2e.spa import allow_origins, build_spa, log_in, open_area, serve_spa, suffix

pytestmark = pytest.mark.e2e
SYSTEM_WRITES = re.compile(r"/api/v2/system/(admin|app|user|role|service|cors)(/\d+)?$")


def _post(api: requests.Session, live_server, resource: str, body: dict) -> dict:
    answer = api.post(f"{live_server.url}/api/v2/system/{resource}", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _writes(requests_made: list[Request]) -> list[str]:
    return [r.url for r in requests_made if r.method in ("POST", "PATCH") and SYSTEM_WRITES.search(r.url)]


@pytest.mark.parametrize(
    ("area", "new", "button", "messages"),
    [
        ("Admins", "New admin", "Create admin", {"email": "Enter an e-mail address", "name": "Enter a name"}),
        ("Apps", "New app", "Create app", {"name": "Enter a name"}),
        (
            "Users",
            "New user",
            "Create user",
            {"email": "Enter an e-mail address", "password": "Enter a password"},
        ),
        ("Roles", "New role", "Create role", {"name": "Enter a name"}),
        ("Services", "New service", "Create service", {"name": "Enter a name", "config.database": "Enter"}),
        ("CORS", "New rule", "Create rule", {"path": "Enter a path"}),
    ],
)
def test_empty_required_fields_are_named_before_sending(
    page, spa, live_server, screens, area, new, button, messages
):
    requests_made: list[Request] = []
    page.on("request", lambda r: requests_made.append(r))
    log_in(page, spa.url, live_server, screens)
    open_area(page, area)
    page.get_by_role("link", name=new).click()
    page.get_by_role("button", name=button).click()
    for field, message in messages.items():
        expect(page.get_by_test_id(f"error-{field}")).to_contain_text(message)
    # The first field in error has the focus, and nothing went to the platform.
    expect(page.locator("[aria-invalid='true']").first).to_be_focused()
    assert _writes(requests_made) == []
    screens.snap("checked")


def test_formats_are_checked_and_a_message_goes_when_its_field_is_edited(page, spa, live_server, screens):
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Admins")
    page.get_by_role("link", name="New admin").click()
    form = page.get_by_test_id("admin-form")
    form.get_by_label("Email").fill("not-an-email")
    form.get_by_label("Password").fill("short")
    form.get_by_role("button", name="Create admin").click()
    expect(form.get_by_test_id("error-email")).to_have_text(
        "Enter an e-mail address such as name@example.com"
    )
    expect(form.get_by_test_id("error-password")).to_have_text("Use at least 12 characters")
    form.get_by_label("Email").fill("ops@example.com")
    expect(form.get_by_test_id("error-email")).to_have_count(0)
    expect(form.get_by_label("Email")).to_have_attribute("aria-invalid", "false")
    # Only the edited field's message went.
    expect(form.get_by_test_id("error-password")).to_be_visible()

    # A message of the platform's (a role name) clears on edit too.
    open_area(page, "Roles")
    page.get_by_role("link", name="New role").click()
    page.get_by_role("button", name="Create role").click()
    expect(page.get_by_test_id("error-name")).to_have_text("Enter a name")
    page.get_by_label("Name", exact=True).fill("r")
    expect(page.get_by_test_id("error-name")).to_have_count(0)


def test_a_column_list_ticked_with_no_column_is_named_before_sending(page, spa, live_server, screens):
    requests_made: list[Request] = []
    page.on("request", lambda r: requests_made.append(r))
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Roles")
    page.get_by_role("link", name="New role").click()
    page.get_by_label("Name", exact=True).fill("no columns")
    page.get_by_role("button", name="Add access entry").click()
    entry = page.get_by_test_id("entry-0")
    entry.get_by_label("Only these columns").check()
    page.get_by_role("button", name="Create role").click()
    expect(entry.get_by_test_id("error-access[0].fields")).to_have_text(
        'Choose at least one column, or untick "Only these columns" to allow every column'
    )
    # Deny by default: a new entry names no service (not even "All services") until one is chosen.
    expect(entry.get_by_test_id("error-access[0].service")).to_have_text(
        'Choose a service, or "All services" for every one'
    )
    assert _writes(requests_made) == []
    entry.get_by_label("Service", exact=True).select_option(label="All services")
    entry.get_by_label("Only these columns").uncheck()
    page.get_by_role("button", name="Create role").click()
    expect(page.get_by_text("no columns").first).to_be_visible()
    assert len(_writes(requests_made)) == 1


def test_server_messages_on_cors_origins_clear_on_edit_and_read_as_instructions(
    page, spa, live_server, screens
):
    log_in(page, spa.url, live_server, screens)
    open_area(page, "CORS")
    page.get_by_role("link", name="New rule").click()
    # The list's tester has a Path field too: wait for the form's page before filling.
    expect(page.get_by_role("heading", name="New CORS rule")).to_be_visible()
    page.get_by_label("Path", exact=True).fill(f"api/v2/forms-{suffix()}/*")
    page.get_by_label("Origins").fill("ftp://files.example.com")
    page.get_by_role("button", name="Create rule").click()
    expect(page.get_by_test_id("error-origins")).to_contain_text("is not an origin")
    page.get_by_label("Origins").fill("https://app.example.com")
    expect(page.get_by_test_id("error-origins")).to_have_count(0)

    # A limit only the platform knows comes back in plain words, not pydantic's.
    open_area(page, "Apps")
    page.get_by_role("link", name="New app").click()
    page.get_by_test_id("app-form").get_by_label("Name", exact=True).fill("x" * 65)
    page.get_by_role("button", name="Create app").click()
    expect(page.get_by_test_id("error-name")).to_have_text("Use at most 64 characters")


def test_the_one_time_key_is_not_lost_to_escape_or_the_close_button(page, spa, live_server, screens):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=spa.origin)
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Apps")
    name = f"keyed-{suffix()}"
    page.get_by_role("link", name="New app").click()
    page.get_by_test_id("app-form").get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Create app").click()
    dialog = page.get_by_test_id("key-modal")
    expect(dialog).to_contain_text("cannot be shown again")

    page.keyboard.press("Escape")
    confirm = page.get_by_test_id("confirm")
    expect(confirm).to_contain_text("The key was not copied")
    confirm.get_by_role("button", name="Cancel").click()
    expect(dialog.get_by_test_id("api-key")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(confirm).to_be_visible()
    screens.snap("asked")
    confirm.get_by_role("button", name="Cancel").click()
    expect(dialog.get_by_test_id("api-key")).to_be_visible()

    # Once copied, Escape closes it at once and leads back to the list.
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog).to_contain_text("Copied to the clipboard")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(confirm).to_be_hidden()
    expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()

    # Rotating from the list asks the same way.
    page.get_by_role("button", name=f"Rotate key of {name}").click()
    page.get_by_test_id("confirm").get_by_role("button", name="Rotate key").click()
    expect(dialog).to_contain_text("The old key no longer works")
    dialog.get_by_role("button", name="Close").click()
    confirm.get_by_role("button", name="Close without copying").click()
    expect(dialog).to_be_hidden()


def test_explain_shows_the_entrys_row_filters_and_a_real_service(
    page, spa, live_server, api, hr_service, screens
):
    hr, tag = hr_service["name"], suffix()
    entry = {
        "service": hr,
        "component": "_table/employees",
        "verbs": ["GET"],
        "filters": [{"name": "department_id", "operator": "=", "value": 3}],
    }
    role = _post(api, live_server, "role", {"name": f"filtered-{tag}", "access": [entry]})
    app = _post(api, live_server, "app", {"name": f"explained-{tag}", "role_id": role["id"]})
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Roles")
    panel = page.get_by_role("region", name="Explain a decision")
    panel.get_by_role("button", name="Explain").click()
    expect(panel.get_by_test_id("error-app")).to_have_text("Choose an app")
    expect(panel.get_by_test_id("error-path")).to_have_text("Enter a path")
    path = panel.get_by_label("Path")
    expect(path).to_have_attribute("placeholder", re.compile(r"^/api/v2/[a-z0-9_-]+/_table$"))
    service = path.get_attribute("placeholder").split("/")[3]
    services = api.get(f"{live_server.url}/api/v2/system/service", timeout=10).json()["resource"]
    assert service in {s["name"] for s in services}
    panel.get_by_label("App").select_option(label=app["name"])
    path.fill(f"/api/v2/{hr}/_table/employees")
    panel.get_by_role("button", name="Explain").click()
    expect(panel.get_by_test_id("explain-filters")).to_have_text("department_id = 3")


def test_the_api_docs_select_is_never_blank_nor_internal(page, spa, live_server, api, tmp_path, screens):
    database = tmp_path / "plain.db"
    database.touch()
    plain = _post(
        api,
        live_server,
        "service",
        {"name": f"plain-{suffix()}", "config": {"engine": "sqlite", "database": str(database)}},
    )
    assert "docs" not in plain["config"]
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Services")
    page.get_by_role("link", name="New service").click()
    docs = page.get_by_label("API docs")
    expect(docs).to_have_value("follow_role")
    expect(docs.locator("option")).to_have_text(
        ["On: each caller sees what their role allows", "Off: no API docs"]
    )
    expect(page.get_by_role("main")).not_to_contain_text("follow_role")

    page.goto(f"{spa.url}#/services/{plain['id']}/edit")
    expect(page.get_by_label("API docs")).to_have_value("follow_role")


@pytest.fixture(scope="module")
def console_spa(live_server, api, tmp_path_factory):
    """The SPA with a console app's key in its config.json, as `make run` writes it."""
    app = _post(api, live_server, "app", {"name": f"console-{suffix()}"})
    served = serve_spa(
        build_spa(), tmp_path_factory.mktemp("console") / "dist", live_server.url, api_key=app["api_key"]
    )
    allow_origins(api, live_server.url, [served.origin])
    yield {"spa": served, "app": app["name"]}
    served.stop()


def test_the_user_form_names_the_app_a_docs_role_is_for(page, console_spa, live_server, screens):
    log_in(page, console_spa["spa"].url, live_server, screens)
    open_area(page, "Users")
    page.get_by_role("link", name="New user").click()
    hint = page.get_by_test_id("docs-hint")
    expect(hint).to_contain_text("api_docs entry for the app")
    expect(hint.locator("strong")).to_have_text(console_spa["app"])


def test_an_empty_login_is_named_before_sending(page, spa, screens):
    requests_made: list[Request] = []
    page.on("request", lambda r: requests_made.append(r))
    page.goto(spa.url)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("error-email")).to_have_text("Enter your e-mail address")
    expect(page.get_by_test_id("error-password")).to_have_text("Enter your password")
    page.get_by_label("Email").fill("admin@example.com")
    expect(page.get_by_test_id("error-email")).to_have_count(0)
    assert not [r for r in requests_made if "/session" in r.url]


def test_the_service_form_builds_the_http_type_from_its_description(page, spa, live_server, api, screens):
    """Auth is a kind with its own inputs, headers are rows; secrets go in password inputs, kept on edit."""
    requests_made: list[Request] = []
    page.on("request", lambda r: requests_made.append(r))
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Services")
    page.get_by_role("link", name="New service").click()
    page.get_by_label("Type").select_option(label="Remote HTTP API")
    expect(page.get_by_label("Base URL")).to_be_visible()
    expect(page.get_by_label("Database")).to_have_count(0)
    expect(page.get_by_text("Used in URLs: /api/v2/<name>/<path>")).to_be_visible()
    expect(page.get_by_label("Authentication")).to_have_value("none")
    expect(page.get_by_label("Token")).to_have_count(0)
    expect(page.get_by_label("Forwarded client headers")).to_have_value(re.compile(r'"Accept-Language"'))
    name = f"remote-{suffix()}"
    page.get_by_label("Name", exact=True).fill(name)
    # The platform resolves the host when saving and this machine has no DNS: a public address literal
    # passes the check, and saving a service never connects to it.
    page.get_by_label("Base URL").fill("https://93.184.215.14/1.1")
    page.get_by_label("Authentication").select_option("bearer")
    expect(page.get_by_label("Token")).to_have_attribute("type", "password")
    page.get_by_label("Token").fill("tok-secret-1")
    page.get_by_role("button", name="Add header").click()
    page.get_by_label("Header name 1").fill("X-Tenant")
    page.get_by_label("Header value 1").fill("acme")
    page.get_by_role("button", name="Add header").click()
    page.get_by_label("Header name 2").fill("X-Api-Key")
    page.get_by_label("Header 2 is secret").check()
    expect(page.get_by_label("Header value 2")).to_have_attribute("type", "password")
    page.get_by_label("Header value 2").fill("hdr-secret-2")

    # A structured field left as JSON is still checked before anything is sent.
    page.get_by_label("Forwarded client headers").fill('["Accept"')
    page.get_by_role("button", name="Create service").click()
    expect(page.get_by_test_id("error-config.forward_headers")).to_contain_text("is not valid JSON")
    assert _writes(requests_made) == []
    screens.snap("http-form")

    page.get_by_label("Forwarded client headers").fill('["Accept"]')
    page.get_by_role("button", name="Create service").click()
    # The session's server holds services of other tests: the new one may be on another page of the list.
    expect(page.get_by_role("status")).to_contain_text(f"Service {name} created")
    created = [r for r in requests_made if r.method == "POST" and r.url.endswith("/system/service")]
    assert created[-1].post_data_json["config"]["auth"] == {"kind": "bearer", "token": "tok-secret-1"}
    assert created[-1].post_data_json["config"]["headers"] == [
        {"name": "X-Tenant", "value": "acme", "secret": False},
        {"name": "X-Api-Key", "value": "hdr-secret-2", "secret": True},
    ]
    stored = _service_config(api, live_server, name)
    assert stored["auth"] == {"kind": "bearer", "token": "**********"}
    assert "secret-" not in str(stored)

    # On edit the secrets are empty password inputs; moving the base URL needs them again (the platform's
    # 400 lands on the fields), and once retyped the change is saved.
    page.goto(f"{spa.url}#/services/{_service(api, live_server, name)['id']}/edit")
    expect(page.get_by_label("Token")).to_have_value("")
    expect(page.get_by_label("Token")).to_have_attribute("placeholder", re.compile("unchanged"))
    expect(page.get_by_label("Header value 1")).to_have_value("acme")
    expect(page.get_by_label("Header value 2")).to_have_value("")
    expect(page.get_by_label("Header value 2")).to_have_attribute("type", "password")
    # Another kind offers no stored secret; back on the stored kind it is kept again.
    page.get_by_label("Authentication").select_option("header")
    expect(page.get_by_label("Token")).to_have_count(0)
    expect(page.get_by_label("Key value")).to_have_attribute("placeholder", "")
    page.get_by_label("Authentication").select_option("bearer")
    expect(page.get_by_label("Token")).to_have_attribute("placeholder", re.compile("unchanged"))
    page.get_by_label("Base URL").fill("https://93.184.215.15/1.1")
    page.get_by_role("button", name="Save service").click()
    expect(page.get_by_test_id("error-config.auth")).to_contain_text("re-enter the secrets")
    expect(page.get_by_test_id("error-config.headers")).to_contain_text("re-enter the secrets")
    screens.snap("http-form-resend")
    page.get_by_label("Token").fill("tok-secret-3")
    page.get_by_label("Header value 2").fill("hdr-secret-4")
    page.get_by_role("button", name="Save service").click()
    expect(page.get_by_role("status")).to_contain_text(f"Service {name} saved")
    patches = [r for r in requests_made if r.method == "PATCH" and "/system/service/" in r.url]
    assert patches[-1].post_data_json["config"]["auth"] == {"kind": "bearer", "token": "tok-secret-3"}
    stored = _service_config(api, live_server, name)
    assert stored["base_url"] == "https://93.184.215.15/1.1"
    assert stored["headers"][1] == {"name": "X-Api-Key", "value": "**********", "secret": True}


def _service(api: requests.Session, live_server, name: str) -> dict:
    found = api.get(
        f"{live_server.url}/api/v2/system/service", params={"filter": f"name = '{name}'"}, timeout=10
    )
    return found.json()["resource"][0]


def _service_config(api: requests.Session, live_server, name: str) -> dict:
    return _service(api, live_server, name)["config"]


def test_focus_returns_to_the_button_that_opened_a_dialog(page, spa, live_server, api, screens):
    email = f"focus-{suffix()}@example.com"
    _post(api, live_server, "user", {"email": email, "name": "Focus", "password": "a long enough secret"})
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Users")
    page.get_by_role("searchbox", name="Filter users").fill(email)
    opener = page.get_by_role("button", name=f"Set password for {email}")
    # Escape, then a saved password: each time a keyboard user is back where they were, not at the page top.
    opener.click()
    expect(page.get_by_test_id("password-form")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("password-form")).to_be_hidden()
    expect(opener).to_be_focused()
    opener.press("Enter")
    page.get_by_label("New password").fill("another long secret")
    page.get_by_label("Repeat the password").fill("another long secret")
    page.get_by_test_id("password-form").get_by_role("button", name="Set password").click()
    expect(page.get_by_text(f"User {email} has a new password")).to_be_visible()
    expect(opener).to_be_focused()


def test_focus_lands_on_the_lists_heading_when_its_row_is_deleted(page, spa, live_server, api, screens):
    name = f"gone-{suffix()}"
    _post(api, live_server, "role", {"name": name})
    log_in(page, spa.url, live_server, screens)
    open_area(page, "Roles")
    page.get_by_role("searchbox", name="Filter roles").fill(name)
    page.get_by_role("button", name=f"Delete {name}").press("Enter")
    page.get_by_test_id("confirm").get_by_role("button", name="Delete").press("Enter")
    expect(page.get_by_text(f"Role {name} deleted")).to_be_visible()
    expect(page.get_by_role("heading", name="Roles", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("searchbox", name="Filter roles")).to_be_focused()
