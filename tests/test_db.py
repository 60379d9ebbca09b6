"""The system-database engine (db.py): SQL parameters never reach an exception text or the log."""

from __future__ import annotations

import io
import logging
import traceback

import sqlalchemy as sa

from bastion.db import get_engine
from bastion.logs import RequestIdFilter

SECRET = "scrypt$secret-hash-value-0123456789"


def _failed_lookup(engine: sa.Engine) -> BaseException:
    """A statement that fails with the secret bound as a parameter (the driver's own text names no value)."""
    table = engine.dialect.identifier_preparer.quote("user")
    query = sa.text(f"SELECT id FROM {table} WHERE no_such_column = :hash")  # noqa: S608
    try:
        with engine.connect() as conn:
            conn.execute(query, {"hash": SECRET})
    except sa.exc.DBAPIError as exc:
        return exc
    raise AssertionError("the lookup should have failed")


def test_a_failed_statement_shows_no_parameters(app):
    with app.app_context():
        engine = get_engine()
        exc = _failed_lookup(engine)
    text = "".join(traceback.format_exception(exc))
    assert SECRET not in text
    assert "hide_parameters" in str(exc)


def test_a_logged_failure_carries_no_parameters(app):
    @app.get("/api/v2/lookup")
    def lookup():
        raise _failed_lookup(get_engine())

    handler = next(
        h
        for h in logging.getLogger("bastion").handlers
        if any(isinstance(f, RequestIdFilter) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        # SQLite reports a missing column as an OperationalError, which the system-outage handling
        # answers as 503 "the system database is unavailable"; either way the failure is logged.
        assert app.test_client().get("/api/v2/lookup").status_code in (500, 503)
    finally:
        handler.setStream(previous)
    assert stream.getvalue().strip()
    assert SECRET not in stream.getvalue()
