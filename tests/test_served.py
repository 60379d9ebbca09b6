"""What a real gunicorn, run with deploy/gunicorn.conf.py, lets through to the platform (issue 12).

Forwarded headers are the platform's decision alone (TRUSTED_PROXIES, TRUSTED_PROXY_IPS), never
gunicorn's; its access log holds one line per request whatever the path; and every answer, its own
refusals included, is the JSON envelope.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from urllib.parse import quote

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


def _raw(server, request: bytes) -> bytes:
    """Send bytes as they are (no client library normalises them) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


FORGED = '127.0.0.1 "GET /api/v2/system/admin" 200 999 1ms rid=forged'


@pytest.mark.parametrize(
    ("encoded", "escaped"),
    [
        ("%0a", "\\n"),
        ("%0d%0a", "\\r\\n"),
        ("%00", "\\x00"),
        ("%1b[2J", "\\x1b[2J"),
        ("%7f", "\\x7f"),
        ("%c2%85", "\\x85"),
        ("%e2%80%a8", "\\u2028"),
    ],
)
def test_a_control_character_in_a_path_cannot_forge_an_access_log_line(direct, encoded, escaped):
    marker = f"forge{uuid.uuid4().hex}"
    path = f"/api/v2/{marker}{encoded}{quote(FORGED)}"
    answer = _raw(direct, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 ")
    stop = time.monotonic() + 5
    while marker not in direct.log() and time.monotonic() < stop:
        time.sleep(0.05)
    log = direct.log_path.read_bytes()
    lines = [line for line in log.decode("utf-8", "replace").splitlines() if marker in line]
    assert len(lines) == 1, lines
    assert f"{marker}{escaped}127.0.0.1 " in lines[0]
    assert not any(line.startswith(FORGED) for line in log.decode("utf-8", "replace").splitlines())
    assert b"\x00" not in log and b"\x1b" not in log and b"\xc2\x85" not in log


def test_gunicorns_error_log_escapes_and_masks_what_a_bad_request_line_carries(direct):
    marker = f"bad{uuid.uuid4().hex}"
    answer = _raw(direct, f"GET /{marker}?api_key=s3cr3t\x01x HTTP/1.1 extra\r\nHost: x\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 400")
    stop = time.monotonic() + 5
    while marker not in direct.log() and time.monotonic() < stop:
        time.sleep(0.05)
    lines = [line for line in direct.log().splitlines() if marker in line]
    assert lines and "s3cr3t" not in direct.log() and "\x01" not in direct.log()


def _parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def _assert_envelope(answer: bytes, status: int) -> dict:
    code, headers, body = _parse(answer)
    assert code == status, answer[:300]
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    error = json.loads(body)["error"]
    assert error["code"] == error["status_code"] == status
    assert error["request_id"] == headers["x-request-id"]
    return error


@pytest.mark.parametrize("size", [20_000, 100_000])
def test_an_over_long_url_gets_a_json_414(direct, size):
    path = "/api/v2/system/admin?filter=" + "a" * size + "&api_key=s3cr3t"
    answer = _raw(direct, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    error = _assert_envelope(answer, 414)
    assert "8190" in error["message"]
    assert "s3cr3t" not in direct.log()


@pytest.mark.parametrize(
    "request_line",
    [
        b"GET /api/v2 HTTP/1.1 extra",
        b"GET /api/v2\x01 HTTP/1.1",
        b"G\x00T /api/v2 HTTP/1.1",
        b"GET /api/v2 HTTP/9",
    ],
)
def test_malformed_http_gets_a_json_400(direct, request_line):
    error = _assert_envelope(_raw(direct, request_line + b"\r\nHost: x\r\n\r\n"), 400)
    assert error["message"] == "Malformed HTTP request"


def test_over_large_headers_get_a_json_answer(direct):
    answer = _raw(direct, b"GET /api/v2 HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n")
    assert _parse(answer)[0] in (400, 431)
    _assert_envelope(answer, _parse(answer)[0])


@pytest.mark.parametrize(
    "path", ["/api/v2", "/api/v2/system/admin", "/api/system/environment", "/api/v2/nope/x"]
)
def test_a_bare_options_is_never_an_html_page(live_server, path):
    answer = requests.options(live_server.url + path, timeout=10)
    assert answer.status_code == (404 if "nope" in path else 204), answer.text
    assert not answer.headers.get("Content-Type", "").startswith("text/html")
    if answer.status_code == 204:
        assert answer.content == b"" and "OPTIONS" in answer.headers["Allow"]
    else:
        assert answer.json()["error"]["code"] == answer.status_code
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
