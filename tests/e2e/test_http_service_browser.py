"""A remote HTTP service called from a browser page of another origin (issue 20): CORS preflight, then GET.

The platform here is a gunicorn of its own with HTTP_SERVICES_ALLOWED_NETWORKS=127.0.0.0/8, since its
stand-in upstream (tests/upstream.py) listens on 127.0.0.1 and the session's server keeps the default
that refuses loopback. The browser and the page's origin are the session's and module's as elsewhere.
The SPA's role editor, served for that platform, takes a typed path for an HTTP service.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.spa import Screens, admin_api, allow_origins, build_spa, log_in, open_area, serve_spa
from tests.e2e.test_cors_browser import FETCH, AdminApi, origin_a  # noqa: F401 (origin_a is a fixture)
from tests.live import start_server, stop_server
from tests.upstream import Upstream, start_upstream

pytestmark = pytest.mark.e2e

TOKEN = "Browser-Upstream-Token-7"
TIMELINE = "/api/v2/twitter/statuses/home_timeline.json?count=2"


@pytest.fixture(scope="module")
def opened_server(tmp_path_factory):
    """A platform that lets HTTP services reach loopback."""
    server = start_server(
        tmp_path_factory.mktemp("http_e2e") / "instance", HTTP_SERVICES_ALLOWED_NETWORKS="127.0.0.0/8"
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    """The recording stand-in remote API."""
    server = start_upstream()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def twitter(opened_server, upstream) -> tuple[AdminApi, str]:
    """The `twitter` service, a role allowing GET on statuses/*, and an app key with it."""
    admin = AdminApi(opened_server)
    service = {
        "name": "twitter",
        "type": "http",
        "config": {"base_url": upstream.url + "/1.1", "auth": {"kind": "bearer", "token": TOKEN}},
    }
    assert admin.http.post(opened_server.url + "/api/v2/system/service", json=service, timeout=10).ok
    role = {"name": "reader", "access": [{"service": "twitter", "component": "statuses/*", "verbs": ["GET"]}]}
    made = admin.http.post(opened_server.url + "/api/v2/system/role", json=role, timeout=10).json()
    app = admin.http.post(
        opened_server.url + "/api/v2/system/app", json={"name": "web", "role_id": made["id"]}, timeout=10
    )
    return admin, app.json()["api_key"]


def test_a_page_of_another_origin_calls_the_remote_api_once_a_rule_covers_its_path(
    page,
    origin_a,  # noqa: F811 (the imported fixture)
    opened_server,
    upstream,
    twitter,
):
    admin, key = twitter
    page.goto(origin_a + "/index.html")
    init = {"headers": {"X-Api-Key": key}}  # a custom header: the browser sends a preflight first

    def call() -> dict:
        return page.evaluate(FETCH, [opened_server.url + TIMELINE, init])

    assert call() == {"error": "TypeError"}  # no rule admits this origin yet
    admin.add_rule(path="api/v2/twitter/*", origins=[origin_a], methods=["GET"], headers=["X-Api-Key"])
    try:
        answer = call()
    finally:
        admin.remove_rules()
    assert answer.get("status") == 200, answer
    assert '"/1.1/statuses/home_timeline.json"' in answer["body"] and TOKEN not in answer["body"]
    received = [s for s in upstream.seen if s.path.startswith("/1.1/statuses/home_timeline.json")]
    assert [s.method for s in received] == ["GET"]  # the preflight was the platform's, never forwarded
    assert (
        received[0].headers["authorization"] == f"Bearer {TOKEN}" and "x-api-key" not in received[0].headers
    )


@pytest.fixture(scope="module")
def opened_spa(opened_server, tmp_path_factory):
    """The SPA served on its own origin for the opened platform, let in by its CORS rule."""
    served = serve_spa(build_spa(), tmp_path_factory.mktemp("http_spa") / "dist", opened_server.url)
    allow_origins(admin_api(opened_server), opened_server.url, [served.origin])
    yield served
    served.stop()


def test_the_role_editor_takes_a_typed_path_for_an_http_service(page, opened_spa, opened_server, twitter):
    admin, _ = twitter
    page.set_default_timeout(10_000)
    log_in(page, opened_spa.url, opened_server, Screens(page))
    open_area(page, "Roles")
    page.get_by_role("link", name="New role").click()
    page.get_by_label("Name", exact=True).fill("timeline-editor")
    page.get_by_role("button", name="Add access entry").click()
    entry = page.get_by_test_id("entry-0")
    entry.get_by_label("Service", exact=True).select_option("twitter")
    entry.get_by_label("Component", exact=True).fill("statuses/*")
    expect(entry.get_by_role("button", name="Add filter")).to_have_count(0)  # no rows to filter
    entry.get_by_label("GET").check()
    page.get_by_role("button", name="Create role").click()
    expect(page.get_by_role("link", name="timeline-editor", exact=True)).to_be_visible()
    roles = admin.http.get(opened_server.url + "/api/v2/system/role", timeout=10).json()["resource"]
    saved = next(r for r in roles if r["name"] == "timeline-editor")
    assert [(e["service"], e["component"], e["verbs"]) for e in saved["access"]] == [
        ("twitter", "statuses/*", ["GET"])
    ]
