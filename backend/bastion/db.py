"""The system database: one engine per app and short-lived sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from bastion import current
from bastion.config import current_settings
from bastion.data import timeouts


def make_engine(url: str, limits: timeouts.Limits = timeouts.MIGRATIONS, **options) -> Engine:
    """Create the system-database engine with timeouts (data/timeouts.py); SQLite gets foreign keys."""
    # A failed statement's parameters (password hashes, token hashes, secrets) never reach an exception
    # text, and so never a logged traceback.
    options.setdefault("hide_parameters", True)
    connect_args = timeouts.connect_args(make_url(url), limits)
    if url.startswith("sqlite"):
        connect_args["check_same_thread"] = False
        engine = create_engine(url, connect_args=connect_args, **options)
        timeouts.install(engine, limits)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    options.setdefault("pool_pre_ping", True)
    engine = create_engine(url, connect_args=connect_args, **options)
    timeouts.install(engine, limits)
    return engine


def backend_name(engine: Engine) -> str:
    """The database backend's name without URL or credentials (sqlite, postgresql, mysql)."""
    return engine.dialect.name


def init_app(app: Flask) -> None:
    """Bind the system-database engine to the app."""
    app.extensions["bastion.db"] = make_engine(current_settings(app).database_url, timeouts.SYSTEM)


def get_engine() -> Engine:
    """The current app's system-database engine."""
    return current.extensions()["bastion.db"]


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
