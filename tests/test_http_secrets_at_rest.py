"""No remote HTTP service secret in the system database files or the log after create, update, use, failure
and rotate (issue 20), on a gunicorn-served instance of its own, as tests/test_service_secrets_at_rest.py
does for SQL passwords: the old key in APP_KEY, the next one already in APP_OLD_KEYS, then `bastion
rotate-key` with the keys swapped while the server keeps forwarding.
"""

from __future__ import annotations

import socket

import pytest

from tests.live import start_server, stop_server
from tests.test_service_secrets_at_rest import (  # noqa: F401 (next_key: a fixture)
    next_key,
    rotate_key,
    spellings,
)
from tests.test_sqlmap import call
from tests.upstream import start_upstream

FIRST = "HttpAtRest first ü&=?1"
SECOND = "HttpAtRest second:2"
HEADER = "HttpAtRest header %3"


@pytest.fixture(scope="module")
def server(tmp_path_factory, next_key):  # noqa: F811 (the imported fixture)
    """A live platform whose secret box already accepts the next key, loopback open to HTTP services."""
    live = start_server(
        tmp_path_factory.mktemp("http_at_rest") / "instance",
        APP_OLD_KEYS=next_key,
        HTTP_SERVICES_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    yield live
    stop_server(live)


def test_no_http_service_secret_at_rest_or_in_the_log(server, next_key):  # noqa: F811
    upstream = start_upstream()
    try:
        status, session = call(
            server.url + "/api/v2/system/admin/session",
            body={"email": server.admin_email, "password": server.admin_password},
        )
        token = session["session_token"]
        base = server.url + "/api/v2/system/service"
        config = {
            "base_url": upstream.url,
            "auth": {"kind": "query", "name": "key", "value": FIRST},
            "headers": [{"name": "X-Key", "value": HEADER, "secret": True}],
        }
        status, service = call(base, token, {"name": "remote", "type": "http", "config": config})
        assert status == 201, service
        changed = {"config": {"auth": {"kind": "query", "name": "key", "value": SECOND}}}
        assert call(f"{base}/{service['id']}", token, changed, "PATCH")[0] == 200
        assert call(f"{server.url}/api/v2/remote/a?x=1", token)[0] == 200
        with socket.socket() as probe:  # a port nothing listens on: the failure is logged
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        down = {
            "name": "remote_down",
            "type": "http",
            "config": {**config, "base_url": f"http://127.0.0.1:{closed}"},
        }
        assert call(base, token, down)[0] == 201
        assert call(f"{server.url}/api/v2/remote_down/a", token)[0] == 502

        rotated = rotate_key(server, next_key, 4)
        # The server accepts the next key already: the service keeps sending the same secrets.
        assert call(f"{server.url}/api/v2/remote/b", token)[0] == 200
        assert (
            "key=HttpAtRest+second%3A2" in upstream.last().path and upstream.last().headers["x-key"] == HEADER
        )
    finally:
        upstream.stop()

    database = b"".join(p.read_bytes() for p in sorted(server.instance.glob("bastion.db*")))
    log = server.log()
    assert database and "remote API cannot be reached" in log
    texts = {"server log": log, "rotate-key output": rotated.stdout + rotated.stderr}
    for secret in (FIRST, SECOND, HEADER):
        for spelling in spellings(secret):
            assert spelling.encode() not in database, f"{spelling!r} in the system database"
            for where, text in texts.items():
                assert spelling not in text, f"{spelling!r} in the {where}"
