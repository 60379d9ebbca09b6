"""The deadline of one exchange with a remote API (http_deadline): what its expiry shuts, and what not.

The watchdog's timing is exercised end to end by the trickling upstream of test_http_services.py; here
`expire` is called directly, so nothing depends on how fast the machine is.
"""

from __future__ import annotations

import socket
from types import SimpleNamespace

from bastion.http_deadline import Deadline, Watchdog


def test_expiry_shuts_the_connection_of_a_running_exchange_so_a_blocked_read_ends():
    ours, theirs = socket.socketpair()
    with ours, theirs, Deadline(60) as deadline:
        deadline.watch(SimpleNamespace(sock=ours))
        deadline.expire()
        assert deadline.passed
        assert ours.recv(1) == b""  # the end of the stream, at once: a read would not wait


def test_a_connection_watched_after_expiry_is_shut_at_once():
    ours, theirs = socket.socketpair()
    with ours, theirs, Deadline(60) as deadline:
        deadline.expire()  # connecting took the whole time
        deadline.watch(SimpleNamespace(sock=ours))
        assert ours.recv(1) == b""


def test_a_finished_exchange_is_never_shut_its_connection_may_serve_another():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        with Deadline(60) as deadline:
            deadline.watch(SimpleNamespace(sock=ours))
        deadline.expire()  # the watchdog coming late
        assert not deadline.passed
        theirs.sendall(b"x")
        assert ours.recv(1) == b"x"


def test_the_watchdog_forgets_finished_exchanges():
    watchdog = Watchdog()
    for _ in range(3000):
        with Deadline(300) as deadline:
            watchdog.add(deadline)
    running = Deadline(300)
    watchdog.add(running)
    assert len(watchdog._heap) < 1100  # compacted every 1,024 exchanges, not one entry per request
    assert any(item[2] is running for item in watchdog._heap)
