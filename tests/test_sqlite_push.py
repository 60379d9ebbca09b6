"""Counters of a SQLite system database behind its generation mark (sqlite_push.py): steady requests read
nothing, a marked change is read by the very next request, an unmarked one within the lease, a writer
that cannot mark waits the lease out, and a worker that cannot map the mark reads on every request."""

from __future__ import annotations

import logging
import os
import time

import pytest
import sqlalchemy as sa

from bastion import sqlite_push
from bastion.db import session_scope
from bastion.invalidation import bump, current_version
from bastion.migrate import upgrade
from tests.conftest import make_app


@pytest.fixture
def system_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'system.db'}"
    upgrade(url)
    return url


@pytest.fixture
def two_apps(system_url, tmp_path):
    apps = [make_app(system_url, str(tmp_path / name)) for name in ("a", "b")]
    yield apps
    for application in apps:
        application.extensions["bastion.db"].dispose()


def _version(application, area: str = "access") -> int:
    with application.test_request_context():
        return current_version(area)


def _counting_polls(application, monkeypatch) -> list:
    """Start the app's reader and record each counter query it sends from now on."""
    _version(application)
    reader, polls = application.extensions["bastion.counters"], []
    query = reader._query
    monkeypatch.setattr(reader, "_query", lambda connection: polls.append(1) or query(connection))
    return polls


def test_steady_requests_read_nothing_and_a_marked_change_is_read_by_the_next(two_apps, monkeypatch):
    writer, other = two_apps
    polls = _counting_polls(other, monkeypatch)
    before = _version(other)
    assert [_version(other) for _ in range(50)] == [before] * 50
    assert len(polls) <= 1  # at most a lease renewal, never a read per request
    with writer.app_context(), session_scope() as db:
        bump(db, "access")
    polls.clear()
    assert _version(other) == before + 1  # the very next request
    assert polls == [1]


def test_an_unmarked_change_is_read_within_the_lease(two_apps, system_url, monkeypatch):
    monkeypatch.setattr(sqlite_push, "LEASE", 0.3)
    _, other = two_apps
    before = _version(other)
    engine = sa.create_engine(system_url)
    with engine.begin() as conn:  # by hand, as an operator with the sqlite3 shell would
        conn.exec_driver_sql("UPDATE cache_version SET version = version + 1 WHERE name = 'access'")
    engine.dispose()
    deadline = time.monotonic() + 0.3 + 0.2
    while _version(other) != before + 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_writer_that_cannot_mark_waits_out_the_lease(two_apps, monkeypatch, caplog):
    monkeypatch.setattr(sqlite_push, "LEASE", 0.3)
    writer, other = two_apps
    before = _version(other)

    def refuse(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(sqlite_push, "_write_mark", refuse)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, "bastion"), writer.app_context(), session_scope() as db:
        bump(db, "access")
    assert time.monotonic() - started >= 0.3  # the other worker's lease has run out meanwhile
    assert "could not mark a cache change" in caplog.text
    assert _version(other) == before + 1


def test_a_worker_that_cannot_map_the_mark_reads_on_every_request(system_url, tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_push, "LEASE", 0.2)
    path = sqlite_push.mark_path(sa.create_engine(system_url))
    os.mkdir(path)  # something else stands where the mark should be
    application = make_app(system_url, str(tmp_path / "blocked"))
    try:
        polls = _counting_polls(application, monkeypatch)
        for _ in range(5):
            _version(application)
        assert len(polls) == 5
        with application.app_context(), session_scope() as db:
            bump(db, "cors")  # the writer cannot mark either: it waits, then answers
        assert _version(application, "cors") >= 1
    finally:
        application.extensions["bastion.db"].dispose()
        os.rmdir(path)


def test_a_rolled_back_change_marks_nothing(two_apps, system_url):
    writer, _ = two_apps
    path = sqlite_push.mark_path(writer.extensions["bastion.db"])
    _version(writer)
    with open(path, "rb") as mark:
        before = mark.read()
    with pytest.raises(RuntimeError), writer.app_context(), session_scope() as db:
        bump(db, "cors")
        raise RuntimeError("the change fails after its bump")
    with writer.app_context(), session_scope():
        pass  # a later transaction carries nothing over
    with open(path, "rb") as mark:
        assert mark.read() == before


def test_the_mark_file_is_private_and_memory_databases_have_none(two_apps):
    writer, _ = two_apps
    _version(writer)
    path = sqlite_push.mark_path(writer.extensions["bastion.db"])
    assert os.stat(path).st_mode & 0o077 == 0
    assert sqlite_push.mark_path(sa.create_engine("sqlite://")) is None
