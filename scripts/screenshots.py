"""Regenerate the admin SPA's screenshots in docs/screenshots/ (never edit them by hand).

Starts a throwaway platform under gunicorn, builds and serves the SPA on its own origin, adds a little
demo data through the API and drives the real Chromium through the screens, as the browser tests do:

    PYTHONPATH=backend:. .venv/bin/python scripts/screenshots.py            # every screenshot
    PYTHONPATH=backend:. .venv/bin/python scripts/screenshots.py list-390   # only the ones named

Each screenshot is one function registered with @shot(name, viewport); it gets a logged-in page and the
demo data.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "backend"), str(ROOT)]

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.e2e.spa import ServedSpa, add_demo_service, platform_with_spa  # noqa: E402
from tests.live import LiveServer  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass
class Demo:
    """What a screenshot may use: the served SPA, the platform, an admin API session, the HR service."""

    spa: ServedSpa
    server: LiveServer
    api: requests.Session
    hr: str


Shot = Callable[[Page, Demo], None]
SHOTS: dict[str, tuple[Shot, dict]] = {}


def shot(name: str, viewport: dict = DESKTOP) -> Callable[[Shot], Shot]:
    """Register a screenshot: docs/screenshots/<name>.png, taken at this viewport size."""

    def register(function: Shot) -> Shot:
        SHOTS[name] = (function, viewport)
        return function

    return register


@shot("form-error")
def form_error(page: Page, demo: Demo) -> None:
    """A CORS rule the platform refuses: its message, in plain words, on the field it names."""
    page.goto(f"{demo.spa.url}#/cors/new")
    page.get_by_label("Path", exact=True).fill("api/v2/hr/*")
    page.get_by_label("Origins").fill("ftp://files.example.com")
    page.get_by_role("button", name="Create rule").click()
    expect(page.get_by_test_id("error-origins")).to_be_visible()
    # The form focused the field in error; show the page from its top, header and title included.
    page.evaluate("window.scrollTo(0, 0)")


@shot("list-390", PHONE)
def list_on_a_phone(page: Page, demo: Demo) -> None:
    """The roles list on a 390 px phone: stacked cards, every row's name, status and actions in view."""
    page.goto(f"{demo.spa.url}#/roles")
    expect(page.get_by_test_id("list-card").first).to_be_visible()


@shot("table-editor")
def table_editor(page: Page, demo: Demo) -> None:
    """The record form, built from the table's schema, open over the demo service's employees grid."""
    page.goto(f"{demo.spa.url}#/services/{demo.hr}/tables/employees")
    expect(page.get_by_test_id("pager-status")).to_have_text("1–25 of 200")
    page.get_by_role("button", name="Edit record 1", exact=True).click()
    form = page.get_by_test_id("record-form")
    expect(form.get_by_label("last_name", exact=True)).to_have_value("Tanaka")
    # The foreign key's picker names the related row once the departments are read: "7 · Legal".
    expect(form.get_by_label("department_id", exact=True).locator("option:checked")).to_contain_text("·")


@shot("table-editor-390", PHONE)
def table_editor_on_a_phone(page: Page, demo: Demo) -> None:
    """The employees grid on a 390 px phone: it scrolls in its frame, each row's actions stay in view."""
    page.goto(f"{demo.spa.url}#/services/{demo.hr}/tables/employees")
    expect(page.get_by_test_id("pager-status")).to_have_text("1–25 of 200")


def _demo_data(server: LiveServer, api: requests.Session, folder: Path) -> str:
    hr = add_demo_service(server, api, folder, "hr")["name"]
    sales = [{"name": "department_id", "operator": "=", "value": 2}]
    roles = [
        ("sales-clerk", "Reads the Sales department's employees", sales),
        ("hr-manager", "Reads and edits every employee", []),
        ("docs-reader", "Reads the API docs of hr, no data", None),
    ]
    for name, description, filters in roles:
        if filters is None:
            access = [{"service": "api_docs", "component": hr, "verbs": ["GET"]}]
        else:
            access = [{"service": hr, "component": "_table/employees", "verbs": ["GET"], "filters": filters}]
        body = {"name": name, "description": description, "access": access}
        api.post(f"{server.url}/api/v2/system/role", json=body, timeout=10).raise_for_status()
    return hr


def _log_in(page: Page, demo: Demo) -> None:
    page.goto(demo.spa.url)
    page.get_by_label("Email").fill(demo.server.admin_email)
    page.get_by_label("Password").fill(demo.server.admin_password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("current-admin")).to_be_visible()


def main() -> None:
    """Take the screenshots asked for (all by default) into docs/screenshots/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[[], *SHOTS], help="screenshots to take (default: all)")
    names = parser.parse_args().names or list(SHOTS)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bastion-shots-") as tmp, platform_with_spa(Path(tmp)) as running:
        server, api, spa = running
        demo = Demo(spa=spa, server=server, api=api, hr=_demo_data(server, api, Path(tmp)))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name in names:
                function, viewport = SHOTS[name]
                page = browser.new_page(viewport=viewport)
                _log_in(page, demo)
                function(page, demo)
                page.screenshot(path=str(OUT / f"{name}.png"))
                print(OUT / f"{name}.png")
                page.close()
            browser.close()


if __name__ == "__main__":
    main()
