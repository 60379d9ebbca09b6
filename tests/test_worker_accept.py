"""The thread worker accepts a connection only while one of its threads is free (serving.JsonErrorWorker):
a busy worker leaves new connections in the listen queue for another worker, instead of taking every
kept-alive connection of a client while the other workers idle."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from tests.live import start_server, stop_server


@pytest.fixture
def one_worker_two_threads(tmp_path):
    server = start_server(tmp_path / "instance", BASTION_WORKERS="1", GUNICORN_CMD_ARGS="--threads 2")
    yield server
    stop_server(server)


def _worker_pid(server) -> int:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    assert len(children) == 1
    return int(children[0])


def _client_sockets(pid: int, port: int) -> int:
    """How many established connections to `port` the process holds (from /proc, no tools needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01" and fields[9] in inodes:
            held += 1
    return held


def _until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_worker_with_every_thread_busy_accepts_no_more_connections(one_worker_two_threads):
    server = one_worker_two_threads
    worker = _worker_pid(server)
    clients = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(3)]
    try:
        # Two silent connections hold both threads (each waits for its request): the third is not taken.
        assert _until(lambda: _client_sockets(worker, server.port) == 2)
        time.sleep(0.5)
        assert _client_sockets(worker, server.port) == 2
        clients[0].sendall(b"GET /api/v2/system/environment HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert clients[0].recv(65536).startswith(b"HTTP/1.1 200")
        # That thread is free again (its connection waits, kept alive, in the poller): the third is taken.
        assert _until(lambda: _client_sockets(worker, server.port) == 3)
        clients[2].sendall(b"GET /api/v2/system/environment HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert clients[2].recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        for client in clients:
            client.close()
