"""Counters pushed by PostgreSQL LISTEN/NOTIFY (cache_push.py): a change is in every listener's counters
when its commit returns, a lost listener makes its worker poll, and a silent listener is waited out."""

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


def _listening(application) -> cache_push.Listener:
    """The app's listener, once its first read is in (bounded wait)."""
    with application.test_request_context():
        current_version("access")  # starts the listener
    listener = application.extensions["bastion.counters"]._listener
    deadline = time.monotonic() + 10
    while listener.fresh() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert listener.fresh() is not None
    return listener


def _sql(url: str, sql: str, *params) -> list:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(sql, *params).fetchall()
        conn.commit()
    engine.dispose()
    return rows


def test_a_change_is_in_the_other_apps_pushed_counters_when_its_commit_returns(two_apps, monkeypatch):
    writer, other = two_apps
    listener = _listening(other)
    reader, polls = other.extensions["bastion.counters"], []
    poll = reader._query
    monkeypatch.setattr(reader, "_query", lambda connection: polls.append(1) or poll(connection))
    before = listener.fresh()["access"]
    with writer.app_context(), session_scope() as db:
        bump(db, "access")
    assert listener.fresh()["access"] == before + 1  # acknowledged before the commit returned
    with other.test_request_context():
        assert current_version("access") == before + 1
    assert polls == []  # the request read nothing from the database


def test_a_lost_listener_makes_its_worker_poll_until_it_is_back(two_apps, pg_system_url):
    writer, other = two_apps
    listener = _listening(other)
    pid = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
    (backend,) = _sql(pg_system_url, pid, (listener.name,))[0]
    _sql(pg_system_url, "SELECT pg_terminate_backend(%s)", (backend,))
    deadline = time.monotonic() + 10
    while _sql(pg_system_url, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    # The listener's backend is gone, so the writer does not wait for it: the other app must poll.
    with other.test_request_context():
        before = current_version("access")
    with writer.app_context(), session_scope() as db:
        bump(db, "access")
    with other.test_request_context():
        assert current_version("access") == before + 1
    deadline = time.monotonic() + 10
    while listener.fresh() is None and time.monotonic() < deadline:  # it reconnects by itself
        time.sleep(0.05)
    assert listener.fresh()["access"] == before + 1


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
    listener = _listening(other)
    before = listener.fresh()["cors"]
    engine = writer.extensions["bastion.db"]
    with pytest.raises(RuntimeError), writer.app_context(), session_scope() as db:
        bump(db, "cors")
        raise RuntimeError("the change fails after its bump")
    assert engine.pool.checkedout() == 0
    with other.test_request_context():
        assert current_version("cors") == before


def test_a_rolled_back_savepoint_keeps_the_wait_for_the_changes_committed_around_it(two_apps):
    writer, other = two_apps
    listener = _listening(other)
    before = listener.fresh()["access"]
    with writer.app_context(), session_scope() as db:
        bump(db, "access")
        savepoint = db.begin_nested()
        bump(db, "cors")
        savepoint.rollback()
    assert listener.fresh()["access"] == before + 1  # acknowledged before the commit returned


def test_a_savepoint_that_rolled_back_its_only_bump_does_not_make_the_writer_wait(
    two_apps, monkeypatch, caplog
):
    # Its notification still goes out at commit, but no counter moved: waiting for a version that was
    # never committed would hold the writer for the whole lease and log a listener as silent.
    writer, other = two_apps
    listener = _listening(other)
    monkeypatch.setattr(cache_push, "LEASE", 20.0)
    before = listener.fresh()["cors"]
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, "bastion"), writer.app_context(), session_scope() as db:
        savepoint = db.begin_nested()
        bump(db, "cors")
        savepoint.rollback()
    assert time.monotonic() - started < 10, "the writer waited for a change that never committed"
    assert "did not acknowledge" not in caplog.text
    assert listener.fresh()["cors"] == before
