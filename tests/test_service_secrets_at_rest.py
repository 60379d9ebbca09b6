"""No service password in the system database files or the log after create, update, test and rotate.

A gunicorn-served instance of its own (so that rotating its keys disturbs no other test) starts with the
old key in APP_KEY and the next one already in APP_OLD_KEYS, as an operator preparing a rotation would
configure it; `bastion rotate-key` then runs against it with the keys swapped, and the server keeps
opening the services in between. Afterwards `instance/bastion.db*` (WAL included), the server log and the
command's output are searched for every spelling of every password.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import urllib.parse

import pytest

from bastion.cli import main
from tests.conftest import TEST_KEY
from tests.databases import PG_ADMIN_URL, config_from_url
from tests.live import BIN, start_server, stop_server
from tests.test_sqlmap import call

FIRST = "AtRest first/pw ü&=?%1"
SECOND = "AtRest second:pw@#%2"
FAILING = "AtRest third pw+;3"


def spellings(secret: str) -> set[str]:
    """The ways a password could be written down: plain, URL-quoted, JSON-escaped."""
    return {
        secret,
        urllib.parse.quote(secret),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }


@pytest.fixture(scope="module")
def next_key() -> str:
    """The key the instance rotates to."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["generate-key"]) == 0
    return out.getvalue().strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory, next_key):
    """A live platform whose secret box already accepts the next key."""
    live = start_server(tmp_path_factory.mktemp("at_rest") / "instance", APP_OLD_KEYS=next_key)
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def token(server) -> str:
    """An admin session token on the module's server."""
    status, session = call(
        server.url + "/api/v2/system/admin/session",
        body={"email": server.admin_email, "password": server.admin_password},
    )
    assert status == 200, session
    return session["session_token"]


def _service_test(server, token: str, service_id: int) -> tuple[int, dict]:
    return call(f"{server.url}/api/v2/system/service/{service_id}/test", token, {})


def _create_update_and_use(server, token: str) -> int:
    """A PostgreSQL service created with one password, updated to another, tested and read through."""
    base = server.url + "/api/v2/system/service"
    config = config_from_url(PG_ADMIN_URL, password=FIRST)
    status, service = call(base, token, {"name": "at_rest", "config": config})
    assert status == 201, service
    status, updated = call(f"{base}/{service['id']}", token, {"config": {"password": SECOND}}, "PATCH")
    assert status == 200 and updated["config"]["password"] == "**********", updated
    assert _service_test(server, token, service["id"])[0] == 200
    assert call(f"{server.url}/api/v2/at_rest/_table", token)[0] == 200
    return service["id"]


def _create_failing(server, token: str) -> int:
    """A service whose database does not exist: its connection test fails and the failure is logged."""
    config = config_from_url(PG_ADMIN_URL, password=FAILING, database="bastion_no_such_database")
    status, service = call(
        server.url + "/api/v2/system/service", token, {"name": "at_rest_bad", "config": config}
    )
    assert status == 201, service
    status, failure = _service_test(server, token, service["id"])
    assert status == 400 and "does not exist" in failure["error"]["message"], failure
    return service["id"]


def rotate_key(server, next_key: str, secrets: int) -> subprocess.CompletedProcess:
    """`bastion rotate-key` against the running instance, the next key now current; it re-seals `secrets`."""
    rotated = subprocess.run(
        [str(BIN / "bastion"), "rotate-key"],
        env={**server.env, "APP_KEY": next_key, "APP_OLD_KEYS": TEST_KEY},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.startswith(f"re-encrypted {secrets} secret(s)"), rotated.stdout
    return rotated


def test_no_service_password_at_rest_or_in_the_log(server, token, next_key):
    good, bad = _create_update_and_use(server, token), _create_failing(server, token)
    rotated = rotate_key(server, next_key, 2)
    # The server already accepts the next key: the services keep working, the failing one keeps failing.
    assert _service_test(server, token, good)[0] == 200
    assert call(f"{server.url}/api/v2/at_rest/_table", token)[0] == 200
    assert _service_test(server, token, bad)[0] == 400

    database = b"".join(p.read_bytes() for p in sorted(server.instance.glob("bastion.db*")))
    log = server.log()
    assert database and "connection test to postgresql" in log
    texts = {"server log": log, "rotate-key output": rotated.stdout + rotated.stderr}
    for password in (FIRST, SECOND, FAILING):
        for spelling in spellings(password):
            assert spelling.encode() not in database, f"{spelling!r} in the system database"
            for where, text in texts.items():
                assert spelling not in text, f"{spelling!r} in the {where}"


def test_reading_a_service_whose_database_is_unreachable_is_not_an_internal_error(server, token):
    config = config_from_url(PG_ADMIN_URL, database="bastion_gone_database")
    status, service = call(server.url + "/api/v2/system/service", token, {"name": "gone", "config": config})
    assert status == 201, service
    status, body = call(f"{server.url}/api/v2/gone/_table", token)
    assert status in (400, 502, 503), (status, body)
    assert "gone" in body["error"]["message"], body
