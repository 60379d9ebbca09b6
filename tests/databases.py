"""Scratch databases on the machine's real servers, created and dropped by the tests."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("BASTION_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN_URL = os.environ.get("BASTION_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")
ENGINES = ("sqlite", "postgresql", "mysql")


def _scratch_name() -> str:
    return "bastion_t_" + uuid.uuid4().hex[:12]


@contextlib.contextmanager
def scratch_database(engine: str, tmp_dir: str) -> Iterator[str]:
    """Yield the SQLAlchemy URL of a new, empty database of the given engine, dropped afterwards."""
    name = _scratch_name()
    if engine == "sqlite":
        yield f"sqlite:///{os.path.join(tmp_dir, name + '.db')}"
        return
    admin_url = PG_ADMIN_URL if engine == "postgresql" else MYSQL_ADMIN_URL
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield str(sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            if engine == "postgresql":
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


def _foreign_keys_on(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


@contextlib.contextmanager
def reflected_database(
    engine_name: str, tmp_dir: str, create_schema: Callable[[sa.Engine], None]
) -> Iterator[tuple[sa.Engine, dict[str, sa.Table]]]:
    """A scratch database given its schema, then reflected; SQLite enforces foreign keys as servers do."""
    with scratch_database(engine_name, tmp_dir) as url:
        engine = sa.create_engine(url)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _foreign_keys_on)
        try:
            create_schema(engine)
            metadata = sa.MetaData()
            metadata.reflect(engine)
            yield engine, metadata.tables
        finally:
            engine.dispose()


@contextlib.contextmanager
def created_tables(url: str, metadata: sa.MetaData) -> Iterator[tuple[sa.Engine, dict[str, sa.Table]]]:
    """An engine on the URL with the metadata's tables created, and those tables as reflected."""
    engine = sa.create_engine(url)
    try:
        metadata.create_all(engine)
        reflected = sa.MetaData()
        reflected.reflect(engine)
        yield engine, dict(reflected.tables)
    finally:
        engine.dispose()


@contextlib.contextmanager
def recorded(target: object, event: str, keep: Callable[..., object]) -> Iterator[list]:
    """What ``keep`` makes of each SQLAlchemy ``event`` of ``target`` inside the block (None is dropped)."""
    seen: list = []

    def record(*args: object) -> None:
        kept = keep(*args)
        if kept is not None:
            seen.append(kept)

    sa.event.listen(target, event, record)
    try:
        yield seen
    finally:
        sa.event.remove(target, event, record)


def config_from_url(url: str, **overrides) -> dict:
    """A plaintext service config equivalent to a SQLAlchemy URL."""
    parsed = sa.engine.make_url(url)
    config = {
        "engine": parsed.get_backend_name(),
        "host": parsed.host,
        "port": parsed.port,
        "database": parsed.database,
        "username": parsed.username,
        "password": parsed.password,
        "options": {},
    }
    return {**config, **overrides}
