"""Connections to data-service databases: URLs, validation, the engine pool and connection tests."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from bastion.data import dberrors, engines, timeouts
from bastion.db import make_engine
from bastion.errors import BadRequest, ValidationError
from tests.databases import MYSQL_ADMIN_URL, config_from_url
from tests.tcp_proxy import TcpProxy

SPECIAL_PASSWORD = "p@ss/w:rd?#%&= x"


def network_config(engine: str, **overrides) -> dict:
    """A config for the local PostgreSQL or MariaDB server."""
    base = {
        "postgresql": {"port": 5432, "username": "postgres", "database": "postgres"},
        "mysql": {"port": 3306, "username": "root", "database": "information_schema"},
    }[engine]
    return {"engine": engine, "host": "127.0.0.1", **base, **overrides}


@pytest.fixture
def sqlite_file(tmp_path):
    """An existing SQLite database file with one table."""
    path = tmp_path / "data.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
    return str(path)


# build_url


@pytest.mark.parametrize(
    ("engine", "driver", "port"),
    [("postgresql", "postgresql+psycopg", 5432), ("mysql", "mysql+pymysql", 3306)],
)
def test_build_url_network_engines_keep_special_passwords(engine, driver, port):
    url = engines.build_url(network_config(engine, password=SPECIAL_PASSWORD, port=str(port)))
    assert url.drivername == driver
    assert (url.host, url.port, url.password) == ("127.0.0.1", port, SPECIAL_PASSWORD)
    rendered = url.render_as_string(hide_password=False)
    assert sa.engine.make_url(rendered).password == SPECIAL_PASSWORD


def test_build_url_mysql_defaults_to_utf8mb4_and_options_override():
    assert engines.build_url(network_config("mysql")).query["charset"] == "utf8mb4"
    url = engines.build_url(network_config("mysql", options={"charset": "latin1", "read_timeout": 7}))
    assert url.query == {"charset": "latin1", "read_timeout": "7"}


def test_build_url_sqlite_opens_read_write_without_creating(tmp_path):
    url = engines.build_url({"engine": "sqlite", "database": str(tmp_path / "a b#.db")})
    assert url.drivername == "sqlite"
    assert url.database == f"file:{tmp_path}/a%20b%23.db"
    assert url.query == {"mode": "rw", "uri": "true"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"database": ""}, "database"),
        ({"database": None}, "database"),
        ({"engine": "oracle"}, "engine"),
        ({"engine": None}, "engine"),
        ({"port": 0}, "port"),
        ({"port": 65536}, "port"),
        ({"port": "abc"}, "port"),
        ({"port": True}, "port"),
        ({"host": ""}, "host"),
        ({"options": "charset=utf8"}, "options"),
        ({"options": {"a": {"nested": 1}}}, "options"),
    ],
)
def test_build_url_rejects_bad_config(change, field):
    with pytest.raises(ValidationError) as caught:
        engines.build_url({**network_config("postgresql"), **change})
    assert field in caught.value.context["errors"]


def test_build_url_reports_every_bad_field_at_once():
    with pytest.raises(ValidationError) as caught:
        engines.build_url({"engine": "mysql", "port": -1})
    assert set(caught.value.context["errors"]) == {"database", "host", "port"}


# EnginePool


class Loader:
    """A config loader that counts its calls, standing in for the decrypting service lookup."""

    def __init__(self, path: str):
        self.path = path
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        return {"engine": "sqlite", "database": self.path}


def closed_connections(engine: sa.Engine) -> list:
    """A list that grows each time the engine's pool closes a DBAPI connection."""
    closed: list = []
    sa.event.listen(engine, "close", lambda *_: closed.append(1))
    return closed


@pytest.mark.parametrize("engine", ["postgresql", "mysql"])
@pytest.mark.parametrize(("options", "timeout"), [({}, 5), ({"connect_timeout": "2"}, 2)])
def test_network_engines_time_out_connecting(engine, options, timeout):
    built = engines.create_engine(network_config(engine, options=options))
    seen: dict = {}
    sa.event.listen(built, "do_connect", lambda _dialect, _record, _args, params: seen.update(params))
    with built.connect():
        pass
    assert int(seen["connect_timeout"]) == timeout
    assert built.pool.size() == engines.POOL_OPTIONS["pool_size"]
    built.dispose()


def test_pool_reuses_the_engine_of_a_version(sqlite_file):
    pool, loader = engines.EnginePool(), Loader(sqlite_file)
    first = pool.get(1, 1, loader)
    assert pool.get(1, 1, loader) is first
    assert loader.calls == 1
    with first.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    pool.dispose_all()


def test_pool_replaces_and_disposes_an_outdated_engine(sqlite_file):
    pool, loader = engines.EnginePool(), Loader(sqlite_file)
    old = pool.get(1, 1, loader)
    with old.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    closed = closed_connections(old)
    new = pool.get(1, 2, loader)
    assert new is not old
    assert closed == [1]
    assert loader.calls == 2
    # A worker that has not yet seen version 2 still gets the newer engine, not a rebuilt old one.
    assert pool.get(1, 1, loader) is new
    pool.dispose_all()


def test_pool_dispose_forgets_one_service(sqlite_file):
    pool, loader = engines.EnginePool(), Loader(sqlite_file)
    first, other = pool.get(1, 1, loader), pool.get(2, 1, loader)
    with first.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    closed = closed_connections(first)
    pool.dispose(1)
    pool.dispose(99)
    assert closed == [1]
    assert pool.get(1, 1, loader) is not first
    assert pool.get(2, 1, loader) is other
    pool.dispose_all()
    assert pool.get(2, 1, loader) is not other
    pool.dispose_all()


def test_pool_builds_one_engine_under_concurrent_requests(sqlite_file):
    pool, loader = engines.EnginePool(), Loader(sqlite_file)
    results: list[sa.Engine] = []
    threads = [threading.Thread(target=lambda: results.append(pool.get(7, 3, loader))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loader.calls == 1
    assert len({id(engine) for engine in results}) == 1
    pool.dispose_all()


# test_connection


def test_connection_succeeds_on_every_engine(scratch_db_url):
    if scratch_db_url.startswith("sqlite"):
        sqlite3.connect(sa.engine.make_url(scratch_db_url).database).close()
    engines.test_connection(config_from_url(scratch_db_url))


def assert_fails(config: dict, reason: str, caplog) -> str:
    """Run a connection test that must fail; check the reason and that no password leaks."""
    with caplog.at_level(logging.WARNING, logger="bastion"), pytest.raises(BadRequest) as caught:
        engines.test_connection(config)
    message = caught.value.message
    assert reason in message
    assert caplog.records, "the driver's text should be logged"
    if config.get("password"):
        assert config["password"] not in message
        assert config["password"] not in caplog.text
    assert caught.value.__suppress_context__
    return message


def test_connection_reports_missing_postgresql_database(caplog):
    config = network_config("postgresql", database="bastion_missing_db", password=SPECIAL_PASSWORD)
    assert_fails(config, "database 'bastion_missing_db' does not exist", caplog)


def test_connection_reports_missing_mysql_database(caplog):
    config = network_config("mysql", database="bastion_missing_db", password="")
    assert_fails(config, "database 'bastion_missing_db' does not exist", caplog)


@pytest.fixture
def mysql_user():
    """A MariaDB user with a password, dropped afterwards."""
    name = "bastion_t_" + uuid.uuid4().hex[:8]
    admin = sa.create_engine(MYSQL_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE USER '{name}'@'%' IDENTIFIED BY :pw"), {"pw": SPECIAL_PASSWORD})
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP USER IF EXISTS '{name}'@'%'"))
        admin.dispose()


def test_connection_mysql_password_with_special_characters_works(mysql_user):
    engines.test_connection(network_config("mysql", username=mysql_user, password=SPECIAL_PASSWORD))


def test_connection_reports_mysql_authentication_failure(mysql_user, caplog):
    config = network_config("mysql", username=mysql_user, password="Wr0ng-p@ss/word")
    assert_fails(config, f"authentication failed for user '{mysql_user}'", caplog)


@pytest.mark.parametrize("engine", ["postgresql", "mysql"])
def test_connection_reports_refused_port(engine, caplog):
    config = network_config(engine, port=1, password=SPECIAL_PASSWORD)
    assert_fails(config, "connection refused", caplog)


def test_connection_never_creates_a_missing_sqlite_file(tmp_path):
    path = tmp_path / "typo.db"
    with pytest.raises(BadRequest, match="not found"):
        engines.test_connection({"engine": "sqlite", "database": str(path)})
    # The pooled engine refuses too, even without the existence check in front of it.
    engine = engines.create_engine({"engine": "sqlite", "database": str(path)})
    with pytest.raises(sa.exc.OperationalError):
        engine.connect()
    engine.dispose()
    assert not path.exists()


def test_connection_reports_a_file_that_is_not_sqlite(tmp_path, caplog):
    path = tmp_path / "notes.db"
    path.write_text("not a database " * 100)
    assert_fails({"engine": "sqlite", "database": str(path)}, "not a SQLite database", caplog)


def test_connection_validates_before_connecting():
    with pytest.raises(ValidationError):
        engines.test_connection({"engine": "postgresql", "database": "x"})


def test_scrub_masks_plain_and_url_quoted_passwords():
    text = f"failed for {SPECIAL_PASSWORD} and p%40ss%2Fw%3Ard%3F%23%25%26%3D%20x"
    assert engines.scrub(text, SPECIAL_PASSWORD) == "failed for ********** and **********"
    assert engines.scrub("unchanged", None) == "unchanged"


# timeouts (data/timeouts.py)

SLOW = {
    "postgresql": "SELECT pg_sleep(3)",
    "mysql": "SELECT SLEEP(3)",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
}


def test_a_statement_past_query_timeout_is_cancelled_and_the_connection_lives_on(scratch_db_url):
    if scratch_db_url.startswith("sqlite"):
        sqlite3.connect(sa.engine.make_url(scratch_db_url).database).close()
    built = engines.create_engine(config_from_url(scratch_db_url, query_timeout=1))
    try:
        with built.connect() as connection:
            started = time.monotonic()
            with pytest.raises(sa.exc.OperationalError) as raised:
                connection.execute(sa.text(SLOW[built.dialect.name]))
            assert time.monotonic() - started < 2.5
            assert dberrors.outage_kind(raised.value) == "timeout"
            assert dberrors.outage_error(raised.value, "s").code == 504
            connection.rollback()
            assert connection.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        built.dispose()


def test_a_frozen_postgresql_costs_a_read_at_most_its_deadline():
    # The proxy holds every byte: the server cannot cancel anything, so the client's deadline must end it.
    proxy = TcpProxy(5432).start()
    built = engines.create_engine(network_config("postgresql", port=proxy.port, query_timeout=1))
    try:
        with built.connect() as connection:
            assert connection.execute(sa.text("SELECT 1")).scalar() == 1
            proxy.freeze()
            started = time.monotonic()
            with pytest.raises(sa.exc.OperationalError) as raised:
                connection.execute(sa.text("SELECT 1"))
            assert time.monotonic() - started < 1 + timeouts.READ_GRACE + 1
            assert dberrors.outage_kind(raised.value) == "timeout"
            assert raised.value.connection_invalidated
        proxy.thaw()
        with built.connect() as connection:
            assert connection.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        proxy.thaw()
        built.dispose()
        proxy.stop()


@pytest.mark.parametrize("engine", ["postgresql", "mysql"])
def test_network_engines_get_read_bounds_and_keepalives(engine):
    built = engines.create_engine(network_config(engine, query_timeout=7))
    seen: dict = {}
    sa.event.listen(built, "do_connect", lambda _dialect, _record, _args, params: seen.update(params))
    with built.connect() as connection:
        if engine == "postgresql":
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "7s"
            assert seen["keepalives"] == 1
        else:
            assert float(connection.exec_driver_sql("SELECT @@max_statement_time").scalar()) == 7
            assert seen["read_timeout"] == 8
    built.dispose()


@pytest.mark.parametrize("value", [0, 3601, -1, 2.5, "30", True])
def test_query_timeout_must_be_whole_seconds_in_range(value, sqlite_file):
    with pytest.raises(ValidationError) as raised:
        engines.build_url({"engine": "sqlite", "database": sqlite_file, "query_timeout": value})
    assert "query_timeout" in raised.value.context["errors"]


def test_the_system_database_engine_is_bounded_too(system_db_url):
    engine = make_engine(system_db_url, timeouts.SYSTEM)
    seen: dict = {}
    sa.event.listen(engine, "do_connect", lambda _dialect, _record, _args, params: seen.update(params))
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "15s"
                assert seen["connect_timeout"] == 5
            elif engine.dialect.name == "mysql":
                assert float(connection.exec_driver_sql("SELECT @@max_statement_time").scalar()) == 15
                assert seen["connect_timeout"] == 5
            else:
                with pytest.raises(sa.exc.OperationalError, match="interrupted"):
                    connection.connection.dbapi_connection.query_timeout = 0.2
                    connection.exec_driver_sql(SLOW["sqlite"])
    finally:
        engine.dispose()


def test_pool_retain_disposes_gone_and_outdated_engines_only(sqlite_file):
    pool, loader = engines.EnginePool(), Loader(sqlite_file)
    kept, edited, gone = pool.get(1, 1, loader), pool.get(2, 1, loader), pool.get(3, 1, loader)
    released = pool.retain({1: 1, 2: 2})
    assert sorted((service_id, engine is edited or engine is gone) for service_id, engine in released) == [
        (2, True),
        (3, True),
    ]
    assert pool.versions() == {1: 1}
    assert pool.get(1, 1, loader) is kept
    pool.dispose_all()
