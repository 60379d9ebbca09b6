"""Login throttling as a user meets it: gunicorn with 2 workers, an instance made with the CLI, no Redis.

Each request goes on a new connection, so either worker may answer it; the access log names the worker
(its pid) that answered each login, and the test goes on until both have refused one.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

from tests.databases import scratch_database
from tests.live import start_server, stop_server

LOGIN = "/api/v2/system/admin/session"
# The worker's pid first, then the path and the status, in place of the shipped format.
ACCESS_FORMAT = "--access-logformat='pid=%(p)s %(U)s %(s)s'"


def post(base: str, path: str, body: dict) -> tuple[int, dict, dict]:
    """POST JSON on a fresh connection; (status, headers, body)."""
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as answer:
        return answer.code, dict(answer.headers), json.loads(answer.read())


def worker_statuses(log: str) -> list[tuple[str, int]]:
    """(worker pid, status) of every login answered so far, in order."""
    pattern = rf"pid=<(\d+)> {re.escape(LOGIN)} (\d+)"
    return [(pid, int(status)) for pid, status in re.findall(pattern, log)]


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def server(request, tmp_path):
    """gunicorn with 2 workers and no REDIS_URL, on a SQLite, PostgreSQL or MariaDB system database."""
    settings = {"BASTION_WORKERS": "2", "REDIS_URL": "", "GUNICORN_CMD_ARGS": ACCESS_FORMAT}
    with scratch_database(request.param, str(tmp_path)) as url:
        if request.param != "sqlite":
            settings["DATABASE_URL"] = url
        live = start_server(tmp_path / "instance", **settings)
        try:
            yield live
        except BaseException:
            print(live.log())
            raise
        finally:
            stop_server(live)


def test_eight_wrong_passwords_are_refused_from_the_sixth_on_whatever_worker_answers(server):
    wrong = {"email": server.admin_email, "password": "not the password!"}
    answers = [post(server.url, LOGIN, wrong) for _ in range(8)]
    assert [status for status, _, _ in answers] == [401] * 5 + [429] * 3, server.log()
    for _, headers, body in answers[5:]:
        assert 0 < int(headers["Retry-After"]) <= 15 * 60
        assert body["error"]["code"] == 429
    # The right password is refused too, by both workers, until the window passes.
    right = {"email": server.admin_email, "password": server.admin_password}
    for _ in range(40):
        assert post(server.url, LOGIN, right)[0] == 429
        refusing = {pid for pid, status in worker_statuses(server.log()) if status == 429}
        if len(refusing) == 2:
            break
    assert len(refusing) == 2, "only one worker answered:\n" + server.log()
