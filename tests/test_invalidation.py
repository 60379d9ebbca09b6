"""Cache invalidation through the system database: a bump made by one app reaches another."""

from __future__ import annotations

from bastion.db import session_scope
from bastion.invalidation import CounterReader, VersionedCache, bump, current_version
from tests.conftest import make_app


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


def test_a_broken_counter_connection_is_replaced(app):
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
    with app.test_request_context():
        current_version("cors")
    assert _reader(app)._held
    app.extensions["bastion.db"].dispose()
    assert not _reader(app)._held
