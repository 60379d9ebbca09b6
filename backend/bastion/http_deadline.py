"""The overall deadline of one exchange with a remote API: connect, headers and body within `timeout`.

urllib3's timeouts bound each connect and each socket read, so an upstream that sends a byte now and
then could hold a worker far longer than the service's timeout. Each exchange therefore runs under a
Deadline: the pool's connections report themselves to it when they connect or send a request, and at
the deadline a timer shuts their socket down, which wakes a read blocked anywhere (status line, headers
or body). The caller also checks `passed` between reads and before answering, so a body cut short by
the shutdown is never passed on as if it were whole.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from contextvars import ContextVar
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

_current: ContextVar[Deadline | None] = ContextVar("bastion_http_deadline", default=None)


def _shut(conn: Any) -> None:
    """Shut a connection's socket down at the OS level (an SSL socket's own shutdown would unwrap it
    under the reading thread); the blocked read sees the end of the stream."""
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed: nothing is reading from it
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Deadline:
    """The end of one exchange; when it passes, the connection in use is shut down."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._conn: Any = None
        self._expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        """Seconds left (never below a millisecond, so a connect timeout stays valid)."""
        return max(self.ends - time.monotonic(), 0.001)

    @property
    def passed(self) -> bool:
        """Whether the exchange has run out of time."""
        return self._expired or time.monotonic() >= self.ends

    def watch(self, conn: Any) -> None:
        """Take the connection the exchange uses; shut it at once if the deadline already passed."""
        with self._lock:
            self._conn = conn
            expired = self._expired
        if expired:
            _shut(conn)

    def _expire(self) -> None:
        """The timer's end: mark the exchange late and shut the connection it uses."""
        with self._lock:
            self._expired = True
            conn = self._conn
        if conn is not None:
            _shut(conn)

    def __enter__(self) -> Deadline:
        """Make this the running exchange's deadline and start its timer."""
        self._token = _current.set(self)
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop the timer; the exchange is over."""
        self._timer.cancel()
        _current.reset(self._token)


def _watch(conn: Any) -> None:
    """Hand a connection to the running exchange's deadline, if one runs."""
    deadline = _current.get()
    if deadline is not None:
        deadline.watch(conn)


class _Watched:
    """A connection that reports itself to the running exchange's deadline (connect may happen lazily,
    inside request, or before it for TLS; a pooled connection is already connected)."""

    def connect(self) -> None:
        """Connect, then let the deadline watch the new socket."""
        super().connect()  # type: ignore[misc]
        _watch(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        """Send a request on a connection the deadline watches."""
        _watch(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


class WatchedHTTPConnection(_Watched, HTTPConnection):
    """A plain connection under the exchange's deadline."""


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    """A TLS connection under the exchange's deadline."""


class HTTPPool(urllib3.HTTPConnectionPool):
    """A plain pool whose connections obey the exchange's deadline."""

    ConnectionCls = WatchedHTTPConnection


class HTTPSPool(urllib3.HTTPSConnectionPool):
    """A TLS pool whose connections obey the exchange's deadline."""

    ConnectionCls = WatchedHTTPSConnection
