"""Browser tests: real Chromium through Playwright, one browser for the whole session (TOOLCHAIN.md).

The SPA fixtures are shared by every SPA test: an admin API session, the SPA served on its own origin
and let in by the SPA's CORS rule, a demo HR service, and screenshots kept for failures.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page

from tests.e2e.spa import ARTIFACTS, Screens, add_demo_service, admin_api, allow_origins, build_spa, serve_spa

CHROMIUM = "/usr/lib/chromium/chromium"  # the real binary; the /usr/bin wrapper adds flags and noise
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch the system Chromium instead of a Playwright download."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def api(live_server) -> requests.Session:
    """A requests session logged in as the platform's admin."""
    return admin_api(live_server)


@pytest.fixture(scope="session")
def spa(live_server, api, tmp_path_factory):
    """The SPA on 127.0.0.1, configured for the platform on 127.0.0.1."""
    served = serve_spa(build_spa(), tmp_path_factory.mktemp("spa") / "dist", live_server.url)
    allow_origins(api, live_server.url, [served.origin])
    yield served
    served.stop()


@pytest.fixture(scope="session")
def hr_service(live_server, api, tmp_path_factory) -> dict:
    """A SQLite service over the demo HR database (200 employees), made through the API."""
    return add_demo_service(live_server, api, tmp_path_factory.mktemp("hr"), "hr")


@pytest.fixture
def screens(request, page: Page, live_server):
    """Screens of this test; saved to test-artifacts/<test>/ when it fails."""
    page.set_default_timeout(10_000)
    shots = Screens(page)
    failed_before = request.session.testsfailed
    yield shots
    # The call phase is reported before fixtures are torn down, so a failure is counted by now.
    if request.session.testsfailed > failed_before:
        shots.save(ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name), live_server.log())
