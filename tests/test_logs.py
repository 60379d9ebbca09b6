"""The platform's log lines (logs.py): one line per record, control characters escaped (issue 12)."""

from __future__ import annotations

import io
import logging
import threading

import pytest

from bastion.logs import OneLineFormatter, RequestIdFilter, escape_controls


@pytest.mark.parametrize(
    ("raw", "written"),
    [
        ("a\nb", "a\\nb"),
        ("a\r\nb", "a\\r\\nb"),
        ("a\x00b\tc", "a\\x00b\\tc"),
        ("\x1b[2J\x7f", "\\x1b[2J\\x7f"),
        ("next\x85line\u2028sep\u2029", "next\\x85line\\u2028sep\\u2029"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("café ✓ plain", "café ✓ plain"),
    ],
)
def test_escape_controls(raw, written):
    assert escape_controls(raw) == written


def _bastion_handler() -> logging.Handler:
    handlers = logging.getLogger("bastion").handlers
    return next(h for h in handlers if any(isinstance(f, RequestIdFilter) for f in h.filters))


def _only_thread(ident: int) -> logging.Filter:
    only = logging.Filter()
    only.filter = lambda record: record.thread == ident
    return only


def test_a_failing_request_logs_one_line_whatever_its_text(app):
    @app.get("/api/v2/boom")
    def boom():
        raise RuntimeError("bad\n2026-11-30 INFO [x] bastion: forged\x00 line?api_key=k3y&x=1")

    handler = _bastion_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    # Background threads (a cache listener of another app) may log meanwhile: only this request's count.
    this_thread = _only_thread(threading.get_ident())
    handler.addFilter(this_thread)
    try:
        answer = app.test_client().get("/api/v2/boom")
    finally:
        handler.removeFilter(this_thread)
        handler.setStream(previous)
    assert answer.status_code == 500
    written = stream.getvalue()
    assert written.count("\n") == 1 and written.endswith("\n")  # the trace included, on one line
    assert "\x00" not in written and "k3y" not in written
    assert "bad\\n2026-11-30 INFO [x] bastion: forged\\x00 line?api_key=[hidden]&x=1" in written
    assert "Traceback (most recent call last):\\n" in written


def test_the_wrapper_keeps_the_inner_format():
    record = logging.LogRecord("bastion", logging.WARNING, __file__, 1, "user %s", ("a\nb",), None)
    formatter = OneLineFormatter(logging.Formatter("%(levelname)s %(message)s"))
    assert formatter.format(record) == "WARNING user a\\nb"


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        (
            'psycopg.errors.NotNullViolation: null value in column "name"\n'
            "DETAIL:  Failing row contains (7, a@example.com, null, $scrypt$n=16384$c2VjcmV0aGFzaA, t).",
            "$scrypt$n=16384$c2VjcmV0aGFzaA",
        ),
        ("DETAIL:  Key (token_hash)=(9f86d081884c7d65) already exists.", "9f86d081884c7d65"),
        (
            'pymysql.err.ProgrammingError: (1064, "You have an error in your SQL syntax; check the manual '
            "near 'hunter2-password' WHERE id = 3' at line 1\")",
            "hunter2-password",
        ),
    ],
)
def test_values_a_database_quotes_in_its_errors_are_hidden(raw, secret):
    formatter = OneLineFormatter(logging.Formatter("%(message)s"))
    record = logging.LogRecord("bastion", logging.ERROR, __file__, 1, raw, None, None)
    written = formatter.format(record)
    assert secret not in written and "hidden" in written
