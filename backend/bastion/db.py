"""The system database: one engine per app and short-lived sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine


def make_engine(url: str, **options) -> Engine:
    """Create the system-database engine; SQLite gets foreign keys and a busy timeout."""
    # A failed statement's parameters (password hashes, token hashes, secrets) never reach an exception
    # text, and so never a logged traceback.
    options.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def backend_name(engine: Engine) -> str:
    """The database backend's name without URL or credentials (sqlite, postgresql, mysql)."""
    return engine.dialect.name


def init_app(app: Flask) -> None:
    """Bind the system-database engine to the app."""
    app.extensions["bastion.db"] = make_engine(app.config["SETTINGS"].database_url)


def get_engine() -> Engine:
    """The current app's system-database engine."""
    return current_app.extensions["bastion.db"]


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
