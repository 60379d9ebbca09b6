"""Shared by the push tests (test_push_common, test_cache_push, test_redis_push)."""

from __future__ import annotations

import time

from bastion import cache_push
from bastion.db import session_scope
from bastion.invalidation import bump, current_version

REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own: the tests publish and kill clients there


def listening(application) -> cache_push.ListenerThread:
    """The app's listener, once its first read is in (bounded wait)."""
    with application.test_request_context():
        current_version("access")  # starts the listener
    listener = application.extensions["bastion.counters"]._listener
    assert isinstance(listener, cache_push.ListenerThread)
    deadline = time.monotonic() + 10
    while listener.fresh() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert listener.fresh() is not None
    return listener


def served(listener: cache_push.ListenerThread) -> dict[str, int]:
    """The counters the listener last read, trusted this instant or not: fresh() is None while its socket
    holds unread bytes (its own renewal read, a second notification), which makes requests poll (safe)
    but says nothing about what it acknowledged."""
    counters = listener._state[0]
    assert counters is not None, "the listener lost its connection"
    return dict(counters)


def polls_then_reconnects(writer, other, listener: cache_push.ListenerThread) -> None:
    """With its listener lost, the other app still sees a change at once (it polls), and the listener
    comes back by itself with the change in its counters (bounded wait)."""
    with other.test_request_context():
        before = current_version("access")
    with writer.app_context(), session_scope() as db:
        bump(db, "access")
    with other.test_request_context():
        assert current_version("access") == before + 1
    deadline = time.monotonic() + 10
    while (counters := listener.fresh()) is None and time.monotonic() < deadline:  # it reconnects by itself
        time.sleep(0.05)
    assert counters is not None and counters["access"] == before + 1
