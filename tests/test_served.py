"""What a real gunicorn, run with deploy/gunicorn.conf.py, lets through to the platform (issue 12).

Forwarded headers are the platform's decision alone (TRUSTED_PROXIES, TRUSTED_PROXY_IPS), never
gunicorn's; its access log holds one line per request whatever the path; and every answer, its own
refusals included, is the JSON envelope.
"""

from __future__ import annotations

import pytest
import requests

from tests.live import start_server, stop_server

SCHEME_HEADERS = [
    {"X-Forwarded-Proto": "https"},
    {"X-Forwarded-Ssl": "on"},
    {"X-Forwarded-Protocol": "ssl"},
]


@pytest.fixture(scope="module")
def direct(tmp_path_factory):
    """gunicorn reached directly from loopback, HTTPS required and no proxy trusted."""
    server = start_server(
        tmp_path_factory.mktemp("direct") / "instance",
        REQUIRE_HTTPS="true",
        TRUSTED_PROXIES="0",
        BASTION_WORKERS="1",
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def behind_remote_proxy(tmp_path_factory):
    """One trusted proxy at 10.9.9.9: loopback, where the test calls from, plays a direct client."""
    server = start_server(
        tmp_path_factory.mktemp("remote-proxy") / "instance",
        REQUIRE_HTTPS="true",
        TRUSTED_PROXIES="1",
        TRUSTED_PROXY_IPS="10.9.9.9/32",
        ADMIN_ALLOWED_NETWORKS="10.1.0.0/16",
        BASTION_WORKERS="1",
    )
    yield server
    stop_server(server)


def _login(server, headers: dict) -> requests.Response:
    body = {"email": server.admin_email, "password": server.admin_password}
    url = f"{server.url}/api/v2/system/admin/session"
    return requests.post(url, json=body, headers=headers, timeout=10)


@pytest.mark.parametrize("headers", SCHEME_HEADERS, ids=lambda h: next(iter(h)))
def test_a_scheme_header_from_loopback_does_not_satisfy_require_https(direct, headers):
    answer = _login(direct, headers)
    assert answer.status_code == 403, answer.text
    assert "HTTPS is required" in answer.json()["error"]["message"]
    assert "session_token" not in answer.text


def test_disagreeing_scheme_headers_are_not_gunicorns_business(direct):
    # gunicorn used to answer its own HTML 400 when two scheme headers disagreed.
    answer = _login(direct, {"X-Forwarded-Proto": "http", "X-Forwarded-Ssl": "on"})
    assert answer.status_code == 403
    assert answer.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"},
        {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Ssl": "on", "X-Forwarded-Proto": "https"},
    ],
)
def test_a_client_that_is_not_a_listed_proxy_is_judged_on_its_own_address(behind_remote_proxy, headers):
    answer = _login(behind_remote_proxy, headers)
    assert answer.status_code == 403, answer.text
    assert "HTTPS is required" in answer.json()["error"]["message"]
    assert "session_token" not in answer.text
