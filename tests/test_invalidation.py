"""Cache invalidation through the system database: a bump made by one app reaches another."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bastion.db import session_scope
from bastion.invalidation import CounterReader, VersionedCache, bump, current_version
from bastion.system_outage import Grace, SystemDatabaseUnavailable
from tests.conftest import add_sqlite_service, make_app


def test_a_bump_in_one_app_rebuilds_the_cache_of_another(app, system_db_url, tmp_path):
    other = make_app(system_db_url, str(tmp_path))
    builds = []
    cache = VersionedCache("cors", lambda: builds.append(1) or len(builds))
    with other.test_request_context():
        assert cache.get() == 1
    with other.test_request_context():
        assert cache.get() == 1
    with app.app_context(), session_scope() as db:
        bump(db, "cors")
    with other.test_request_context():
        assert cache.get() == 2
    other.extensions["bastion.db"].dispose()


def _reader(app) -> CounterReader:
    return app.extensions["bastion.counters"]


def test_the_counter_reader_sees_each_commit_and_holds_no_transaction(app, system_db_url, tmp_path):
    # One held connection per thread: on MariaDB (REPEATABLE READ) a connection left in a transaction
    # would read the same counters forever and block DDL; autocommit rules both out.
    with app.test_request_context():
        before = current_version("access")
    for expected in (before + 1, before + 2):
        with app.app_context(), session_scope() as db:
            bump(db, "access")
        with app.test_request_context():
            assert current_version("access") == expected
    engine = app.extensions["bastion.db"]
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            states = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%%'"
            )
            assert states.scalar_one() == 0


def _polling(app) -> CounterReader:
    """The app's counter reader with push off (cache_push.py, sqlite_push.py): it polls on every request."""
    reader = app.extensions["bastion.counters"] = CounterReader(app.extensions["bastion.db"])
    reader._push, reader._generation = None, None
    return reader


def test_a_broken_counter_connection_is_replaced(app):
    _polling(app)
    with app.test_request_context():
        current_version("cors")
    reader = _reader(app)
    broken = reader._local.connection[1]
    broken.close()  # as if the server had dropped it
    with app.test_request_context():
        assert current_version("cors") >= 0
    assert reader._local.connection[1] is not broken
    assert broken not in reader._held


def test_a_connection_from_before_a_fork_is_not_reused(app, monkeypatch):
    _polling(app)
    with app.test_request_context():
        current_version("cors")
    reader = _reader(app)
    inherited = reader._local.connection[1]
    monkeypatch.setattr("bastion.invalidation.os.getpid", lambda: -1)
    with app.test_request_context():
        current_version("cors")
    assert reader._local.connection[1] is not inherited
    assert not getattr(inherited, "closed", False)  # the parent's connection is left alone


def test_disposing_the_engine_closes_the_held_connections(app):
    _polling(app)
    with app.test_request_context():
        current_version("cors")
    assert _reader(app)._held
    app.extensions["bastion.db"].dispose()
    assert not _reader(app)._held


CHANGES = {
    "deleted": ("DELETE", None),
    "deactivated": ("PATCH", {"is_active": False}),
    "edited": ("PATCH", {"config": {"max_records": 50}}),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_changed_service_is_released_by_another_app_on_its_next_request(
    app, client, admin_headers, system_db_url, tmp_path, change
):
    service = add_sqlite_service(
        client, admin_headers, tmp_path / "notes.db", ["CREATE TABLE notes (id INTEGER PRIMARY KEY)"], "notes"
    )
    other = make_app(system_db_url, str(tmp_path / "other"))
    reader = other.test_client()
    try:
        for _ in range(3):  # the third read compiles a plan, which holds the reflected table
            assert reader.get("/api/v2/notes/_table/notes", headers=admin_headers).status_code == 200
        pool, cached = other.extensions["bastion.engines"], other.extensions["bastion.schemas"]
        engine = pool.get(service["id"], 0, dict)
        closed: list = []
        sa.event.listen(engine, "close", lambda *_: closed.append(1))
        assert service["id"] in cached and other.extensions["bastion.read_plans"].plan_count() >= 1
        method, body = CHANGES[change]
        answer = client.open(
            f"/api/v2/system/service/{service['id']}", method=method, json=body, headers=admin_headers
        )
        assert answer.status_code == 200, answer.get_json()
        # Any request will do: this one does not touch the service at all.
        assert reader.get("/api/v2/system/environment", headers=admin_headers).status_code == 200
        assert closed == [1]
        assert service["id"] not in pool.versions()
        assert service["id"] not in cached
        assert not [key for key in other.extensions["bastion.read_plans"]._plans if key[0] is engine.dialect]
    finally:
        other.extensions["bastion.engines"].dispose_all()
        other.extensions["bastion.db"].dispose()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_grace_serves_the_last_counters_for_its_seconds_only(app):
    clock, calls = Clock(), []
    grace = Grace(10, clock)

    def failing() -> dict:
        calls.append(clock.now)
        raise ConnectionError("down")

    with app.test_request_context():
        with pytest.raises(SystemDatabaseUnavailable):
            grace.read(failing, (ConnectionError,))  # nothing was ever read: nothing to serve
        assert grace.read(lambda: {"access": 3}, (ConnectionError,)) == {"access": 3}
        clock.now += 5
        assert grace.read(failing, (ConnectionError,)) == {"access": 3}
        clock.now += 0.5  # within a second of a failure the database is not asked again
        assert grace.read(failing, (ConnectionError,)) == {"access": 3}
        assert calls == [100.0, 105.0]
        clock.now += 5  # 10.5 s after the last good read: the grace is over, and each request asks
        with pytest.raises(SystemDatabaseUnavailable):
            grace.read(failing, (ConnectionError,))
        assert calls[-1] == clock.now
        assert grace.read(lambda: {"access": 4}, (ConnectionError,)) == {"access": 4}
