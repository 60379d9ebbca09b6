"""The overall deadline of one exchange with a remote API: connect, headers and body within `timeout`.

urllib3's timeouts bound each connect and each socket read, so an upstream that sends a byte now and
then could hold a worker far longer than the service's timeout. Each exchange therefore runs under a
Deadline: the pool's connections report themselves to it when they connect or send a request, and at
the deadline a watchdog shuts their socket down, which wakes a read blocked anywhere (status line,
headers or body). One watchdog thread per process keeps every running exchange's deadline in a heap
(a timer thread per exchange cost about 0.6 CPU ms per request, more than half the proxying). The
caller also checks `passed` between reads and before answering, so a body cut short by the shutdown is
never passed on as if it were whole.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from contextvars import ContextVar
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

COMPACT_EVERY = 1024
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
        self._done = False

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

    @property
    def done(self) -> bool:
        """Whether the exchange is over (the watchdog may forget it)."""
        return self._done

    def expire(self) -> None:
        """The watchdog's call at the deadline: mark the exchange late and shut the connection it uses,
        unless the exchange is over (its connection may be back in the pool, serving another)."""
        with self._lock:
            if self._done:
                return
            self._expired = True
            conn = self._conn
        if conn is not None:
            _shut(conn)

    def __enter__(self) -> Deadline:
        """Make this the running exchange's deadline and hand it to the watchdog."""
        self._token = _current.set(self)
        _watchdog.add(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        """The exchange is over: the watchdog leaves its connection alone from now on."""
        with self._lock:
            self._done = True
        _current.reset(self._token)


class Watchdog:
    """One thread per process that expires the deadlines of exchanges still running when they pass."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._pid: int | None = None

    def add(self, deadline: Deadline) -> None:
        """Watch a deadline; the thread wakes early only when it is the earliest."""
        with self._wake:
            if self._pid != os.getpid():  # first use, or a forked worker: threads do not survive a fork
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="bastion-http-deadlines", daemon=True).start()
            order = next(self._order)
            if order % COMPACT_EVERY == 0:
                # Finished exchanges leave the heap when they reach its top; behind a long timeout
                # they could pile up, so they are all dropped every COMPACT_EVERY exchanges.
                self._heap = [item for item in self._heap if not item[2].done]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (deadline.ends, order, deadline))
            if self._heap[0][2] is deadline:
                self._wake.notify()

    def _due(self) -> tuple[list[Deadline], float | None]:
        """The running deadlines that passed (finished ones dropped), and how long to sleep after."""
        now, due = time.monotonic(), []
        while self._heap and (self._heap[0][0] <= now or self._heap[0][2].done):
            deadline = heapq.heappop(self._heap)[2]
            if not deadline.done:
                due.append(deadline)
        return due, (self._heap[0][0] - now if self._heap else None)

    def _run(self) -> None:
        """Sleep until the earliest deadline, expire what passed, repeat."""
        while True:
            with self._wake:
                due, wait = self._due()
                if not due:
                    self._wake.wait(wait)
                    continue
            for deadline in due:  # outside the heap's lock: a shutdown may take a moment
                deadline.expire()


_watchdog = Watchdog()


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
