"""Counters pushed by PostgreSQL LISTEN/NOTIFY (cache_push.py): a lost listener makes its worker poll, a
silent listener is waited out, rolled-back changes notify nobody. What every push promises (a change in
the other worker's counters when its commit returns, ...) is in test_push_common.py."""

from __future__ import annotations

import logging
import time

import pytest
import sqlalchemy as sa

from bastion import cache_push
from bastion.db import session_scope
from bastion.invalidation import bump, current_version
from bastion.migrate import upgrade
from tests.conftest import make_app
from tests.databases import scratch_database
from tests.push_helpers import listening, polls_then_reconnects, served


@pytest.fixture(scope="module")
def pg_system_url(tmp_path_factory):
    with scratch_database("postgresql", str(tmp_path_factory.mktemp("push"))) as url:
        upgrade(url)
        yield url


@pytest.fixture
def two_apps(pg_system_url, tmp_path):
    apps = [make_app(pg_system_url, str(tmp_path / name)) for name in ("a", "b")]
    yield apps
    for application in apps:
        application.extensions["bastion.db"].dispose()


def _sql(url: str, sql: str, *params) -> list:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(sql, *params).fetchall()
        conn.commit()
    engine.dispose()
    return rows


def test_a_lost_listener_makes_its_worker_poll_until_it_is_back(two_apps, pg_system_url):
    writer, other = two_apps
    listener = listening(other)
    pid = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
    (backend,) = _sql(pg_system_url, pid, (listener.name,))[0]
    _sql(pg_system_url, "SELECT pg_terminate_backend(%s)", (backend,))
    deadline = time.monotonic() + 10
    while _sql(pg_system_url, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    # The listener's backend is gone, so the writer does not wait for it: the other app must poll.
    polls_then_reconnects(writer, other, listener)


def test_a_listener_that_never_acknowledges_is_waited_out(two_apps, pg_system_url, monkeypatch, caplog):
    writer, _ = two_apps
    monkeypatch.setattr(cache_push, "LEASE", 0.3)
    silent = sa.create_engine(pg_system_url, connect_args={"application_name": cache_push.PREFIX + "silent"})
    logs = caplog.at_level(logging.WARNING, "bastion")
    with silent.connect(), logs, writer.app_context(), session_scope() as db:
        bump(db, "cors")
    silent.dispose()
    assert "did not acknowledge" in caplog.text and cache_push.PREFIX + "silent" in caplog.text


def test_a_rolled_back_change_notifies_nobody_and_returns_its_connection(two_apps):
    writer, other = two_apps
    listener = listening(other)
    before = served(listener)["cors"]
    engine = writer.extensions["bastion.db"]
    with pytest.raises(RuntimeError), writer.app_context(), session_scope() as db:
        bump(db, "cors")
        raise RuntimeError("the change fails after its bump")
    assert engine.pool.checkedout() == 0
    with other.test_request_context():
        assert current_version("cors") == before


def test_a_rolled_back_savepoint_keeps_the_wait_for_the_changes_committed_around_it(two_apps):
    writer, other = two_apps
    listener = listening(other)
    before = served(listener)["access"]
    with writer.app_context(), session_scope() as db:
        bump(db, "access")
        savepoint = db.begin_nested()
        bump(db, "cors")
        savepoint.rollback()
    assert served(listener)["access"] == before + 1  # acknowledged before the commit returned
