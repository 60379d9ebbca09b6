"""A docs-only team member in the SPA, in real Chromium (issue 7, DESIGN §9).

The user's role for the console app holds a single `api_docs` entry for one service. Logged in as a user,
they see the API Docs page alone, the document of exactly that service, and can "try it" with their own
session (the data call is refused: docs grant no data). Admin screens are out of reach, typed URLs
included, and the page talks to no host but the platform and its own origin — the lazily loaded viewer
included. The SPA is served under the Content-Security-Policy of the shipped nginx config, so the viewer
is also proven to run under it.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, Request, expect

from bastion.demo_seed import create_demo_database
from tests.e2e.spa import allow_origins, build_spa, serve_spa, suffix
from tests.live import ROOT

pytestmark = pytest.mark.e2e

PASSWORD = "docs reader password"


def _post(api: requests.Session, url: str, body: dict) -> dict:
    answer = api.post(url, json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def docs_reader(live_server, api, hr_service, tmp_path_factory) -> dict:
    """A second service, a docs-only role for hr, a console app and a user with that role for it."""
    system = f"{live_server.url}/api/v2/system"
    path = tmp_path_factory.mktemp("other") / "other.db"
    create_demo_database(str(path), employees=10)
    tag = suffix()
    other = _post(
        api,
        f"{system}/service",
        {"name": f"other-{tag}", "config": {"engine": "sqlite", "database": str(path)}},
    )
    docs = [{"service": "api_docs", "component": hr_service["name"], "verbs": ["GET"]}]
    role = _post(api, f"{system}/role", {"name": f"docs-{tag}", "access": docs})
    app = _post(api, f"{system}/app", {"name": f"console-{tag}"})
    email = f"reader-{tag}@example.com"
    user = {"email": email, "name": "Docs reader", "password": PASSWORD}
    _post(api, f"{system}/user", {**user, "app_roles": [{"app_id": app["id"], "role_id": role["id"]}]})
    return {"email": email, "key": app["api_key"], "role": role["name"], "other": other["name"]}


def _deployed_csp(platform: str) -> str:
    """The SPA host's Content-Security-Policy from the shipped nginx config, naming this platform."""
    conf = (ROOT / "deploy" / "nginx" / "admin.conf").read_text()
    policy = re.search(r'add_header Content-Security-Policy "([^"]+)"', conf)[1]
    return policy.replace("https://api.example.com", platform)


@pytest.fixture(scope="module")
def console(live_server, api, docs_reader, tmp_path_factory):
    """The SPA build with the console app's key in its config.json, on its own origin, under the CSP."""
    folder = tmp_path_factory.mktemp("console") / "dist"
    csp = {"Content-Security-Policy": _deployed_csp(live_server.url)}
    served = serve_spa(build_spa(), folder, live_server.url, api_key=docs_reader["key"], headers=csp)
    allow_origins(api, live_server.url, [served.origin])
    yield served
    served.stop()


def _log_in_as_user(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("User (API docs)").check()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("current-user")).to_have_text(email)


def test_a_docs_only_user_sees_the_granted_docs_and_nothing_else(
    page, console, live_server, hr_service, docs_reader, screens
):
    requests_made: list[Request] = []
    console_messages: list[str] = []
    page.on("request", lambda r: requests_made.append(r))
    page.on("console", lambda m: console_messages.append(m.text))
    hr = hr_service["name"]
    _log_in_as_user(page, console.url, docs_reader["email"])
    expect(page).to_have_url(re.compile(r"#/docs$"))
    # The docs and their own account (profile, password): no admin area.
    nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(nav).to_have_text(["API Docs", "Account"])
    expect(page.get_by_test_id("current-user").locator("xpath=..")).to_contain_text(docs_reader["role"])
    documents = page.get_by_role("navigation", name="API documents").get_by_role("link")
    expect(documents).to_have_text([hr])
    screens.snap("docs-list")

    documents.first.click()
    viewer = page.get_by_test_id("docs-viewer")
    operation = viewer.get_by_role("button", name=re.compile(r"^GET \/_table\/employees List")).first
    expect(operation).to_be_visible(timeout=20_000)
    screens.snap("docs-viewer")
    operation.click()
    viewer.get_by_role("button", name="Try it out").first.click()
    with page.expect_response(lambda r: "/_table/employees" in r.url and r.request.method == "GET") as tried:
        viewer.get_by_role("button", name="Execute").first.click()
    # The viewer sent the user's own session and the console key: refused, because docs grant no data.
    headers = tried.value.request.all_headers()
    assert tried.value.status == 403
    assert headers["authorization"].startswith("Bearer ") and headers["x-api-key"] == docs_reader["key"]

    for typed in ("#/services", "#/roles", "#/apps", "#/", f"#/services/{hr}/tables"):
        page.goto(console.url + typed)
        expect(page).to_have_url(re.compile(r"#/docs$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("API docs")
    screens.snap("redirected")

    # A document their role does not open says so in place, and what to ask an admin for.
    page.goto(console.url + f"#/docs/{docs_reader['other']}")
    refused = page.get_by_test_id("docs-refused")
    expect(refused).to_contain_text(f"Your role does not open the API docs of {docs_reader['other']}")
    expect(refused).to_contain_text(f"ask an admin to add an api_docs entry for {docs_reader['other']}")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_test_id("login-notice")).to_have_text("You have been logged out")

    urls = [r.url for r in requests_made]
    assert not [u for u in urls if "/api/v2/system/" in u], "a user session makes no admin API call"
    # data: and blob: URLs (the viewer's inline images) name no host.
    hosts = [u for u in urls if not u.startswith(("data:", "blob:"))]
    assert all(u.startswith((console.origin + "/", live_server.url + "/")) for u in hosts), hosts
    assert not [m for m in console_messages if "Content Security Policy" in m]
