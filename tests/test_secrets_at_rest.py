"""After real traffic, neither the system database file nor the log holds a token or a password."""

from __future__ import annotations

import json
import urllib.request


def call(url, method="GET", body=None, token=None, query=""):
    request = urllib.request.Request(
        url + query, method=method, data=json.dumps(body).encode() if body else None
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_no_plaintext_token_or_password_at_rest(live_server):
    base = live_server.url + "/api/v2/system"
    status, session = call(
        base + "/admin/session",
        "POST",
        {"email": live_server.admin_email, "password": live_server.admin_password},
    )
    assert status == 200
    token = session["session_token"]
    new_password = "rest check password 42"
    status, created = call(
        base + "/admin",
        "POST",
        {"email": "rest@example.com", "name": "Rest", "password": new_password},
        token,
    )
    assert status == 201
    call(base + "/admin/session", query=f"?session_token={token}")
    call(base + "/admin/session", "POST", {"email": "rest@example.com", "password": "wrong password 42"})
    status, refreshed = call(base + "/admin/session", "PUT", token=token)
    assert status == 200
    # WAL mode keeps recent pages beside the main file: read both.
    database = b"".join(p.read_bytes() for p in live_server.instance.glob("bastion.db*"))
    log = live_server.log()
    for secret in (
        token,
        refreshed["session_token"],
        new_password,
        live_server.admin_password,
        "wrong password 42",
    ):
        assert secret.encode() not in database
        assert secret not in log
