"""CORS in real Chromium: a page from origin A calls the platform with fetch (DESIGN §7).

Origin A is `http://localhost:<port>`, served by a throw-away static server, and origin B the same server
as `http://127.0.0.1:<port>`; the platform is the session's gunicorn at `http://127.0.0.1:<other port>`,
so all three are different origins. Rules are added, changed and removed through the admin API while the
server runs: no restart is ever needed. A refused cross-origin call reaches the page as a TypeError
("Failed to fetch"), whatever the server answered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.live import free_port

pytestmark = pytest.mark.e2e

ENVIRONMENT = "/api/v2/system/environment"
ADMIN_LOGIN = "/api/v2/system/admin/session"
USER_LOGIN = "/api/v2/user/session"

# Runs in the page: the outcome of a fetch, or the name of the error the page saw.
FETCH = """async ([url, init]) => {
    try {
        const response = await fetch(url, init);
        return {status: response.status, body: await response.text()};
    } catch (error) {
        return {error: error.name};
    }
}"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        """Keep the test output clean."""


@pytest.fixture(scope="module")
def origin_a(tmp_path_factory) -> Iterator[str]:
    """A static page served from another origin than the platform's."""
    root = tmp_path_factory.mktemp("origin-a")
    (root / "index.html").write_text("<!doctype html><title>origin A</title><p>origin A</p>\n")
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class AdminApi:
    """The platform's admin API, for the test; remembers the rules it made so they can be removed."""

    def __init__(self, server) -> None:
        self.url = server.url
        self.http = requests.Session()
        login = {"email": server.admin_email, "password": server.admin_password}
        token = self.http.post(self.url + ADMIN_LOGIN, json=login, timeout=10).json()["session_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.created: list[int] = []

    def add_rule(self, **fields) -> int:
        response = self.http.post(self.url + "/api/v2/system/cors", json=fields, timeout=10)
        assert response.status_code == 201, response.text
        self.created.append(response.json()["id"])
        return self.created[-1]

    def change_rule(self, rule_id: int, **fields) -> None:
        response = self.http.patch(f"{self.url}/api/v2/system/cors/{rule_id}", json=fields, timeout=10)
        assert response.status_code == 200, response.text

    def remove_rules(self) -> None:
        while self.created:
            self.http.delete(f"{self.url}/api/v2/system/cors/{self.created.pop()}", timeout=10)


@pytest.fixture(scope="module")
def admin_session(live_server) -> Iterator[AdminApi]:
    """One admin login for the module (a login costs a full scrypt on the server)."""
    api = AdminApi(live_server)
    yield api
    api.http.close()


@pytest.fixture
def admin_api(admin_session) -> Iterator[AdminApi]:
    """Rules made through it are removed after the test; the init rule on api/v2/* is left alone."""
    yield admin_session
    admin_session.remove_rules()


@pytest.fixture
def call(page, origin_a, live_server):
    """fetch() from a page of origin A to a platform path."""
    page.goto(origin_a + "/index.html")

    def run(path: str, **init) -> dict:
        return page.evaluate(FETCH, [live_server.url + path, init])

    return run


def json_post(body: dict, **init) -> dict:
    return {"method": "POST", "headers": {"Content-Type": "application/json"}, "body": body, **init}


def test_a_get_works_once_a_rule_covers_the_origin(call, admin_api, origin_a):
    assert call(ENVIRONMENT) == {"error": "TypeError"}  # only the admin SPA's origin is open
    admin_api.add_rule(path=ENVIRONMENT, origins=[origin_a], methods=["GET"])
    answer = call(ENVIRONMENT)
    assert answer["status"] == 200 and '"Bastion"' in answer["body"]


def test_a_json_post_needs_the_preflight_to_allow_its_content_type(call, admin_api, origin_a, live_server):
    rule = admin_api.add_rule(path=ADMIN_LOGIN, origins=[origin_a], methods=["POST"])
    credentials = f'{{"email": "{live_server.admin_email}", "password": "{live_server.admin_password}"}}'
    assert call(ADMIN_LOGIN, **json_post(credentials)) == {"error": "TypeError"}
    admin_api.change_rule(rule, headers=["content-type"])
    answer = call(ADMIN_LOGIN, **json_post(credentials))
    assert answer["status"] == 200 and '"session_token"' in answer["body"]


def test_a_request_with_credentials_needs_a_rule_that_supports_them(call, admin_api, origin_a):
    rule = admin_api.add_rule(path=ENVIRONMENT, origins=[origin_a], methods=["GET"])
    assert call(ENVIRONMENT, credentials="include") == {"error": "TypeError"}
    admin_api.change_rule(rule, supports_credentials=True)
    assert call(ENVIRONMENT, credentials="include")["status"] == 200


def test_blocked_when_the_rule_is_disabled_or_the_origin_differs(call, admin_api, origin_a):
    rule = admin_api.add_rule(path=ENVIRONMENT, origins=[origin_a], methods=["GET"], enabled=False)
    assert call(ENVIRONMENT) == {"error": "TypeError"}
    port = int(origin_a.rsplit(":", 1)[1])
    for other in (f"http://localhost:{port + 1}", f"https://localhost:{port}", f"http://127.0.0.1:{port}"):
        admin_api.change_rule(rule, origins=[other], enabled=True)
        assert call(ENVIRONMENT) == {"error": "TypeError"}, other
    admin_api.change_rule(rule, origins=[origin_a])
    assert call(ENVIRONMENT)["status"] == 200


def test_the_page_reads_the_json_body_of_an_error(call, admin_api, origin_a, live_server):
    admin_api.add_rule(path=USER_LOGIN, origins=[origin_a], methods=["POST"], headers=["Content-Type"])
    credentials = f'{{"email": "{live_server.admin_email}", "password": "{live_server.admin_password}"}}'
    # An admin at the user login gets the same 401 as a wrong password (it must not confirm the password).
    answer = call(USER_LOGIN, **json_post(credentials))
    assert answer["status"] == 401
    assert '"code":401' in answer["body"].replace(" ", "") and "request_id" in answer["body"]


def test_a_rule_for_one_origin_never_cuts_another_origin_off(page, call, admin_api, origin_a, live_server):
    origin_b = origin_a.replace("//localhost:", "//127.0.0.1:")  # the same page from another origin
    admin_api.add_rule(path="api/v2/system/*", origins=[origin_b], methods=["GET"])
    admin_api.add_rule(path=ENVIRONMENT, origins=[origin_a], methods=["GET"])
    assert call(ENVIRONMENT)["status"] == 200
    page.goto(origin_b + "/index.html")
    answer = page.evaluate(FETCH, [live_server.url + ENVIRONMENT, {}])
    assert answer.get("status") == 200, answer  # the narrower rule does not admit B: it is not B's
