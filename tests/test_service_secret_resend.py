"""A stored password is never sent to a new target (issue 12, Medium 3).

An admin who changes where a service connects (engine, host, port, database, username or options) must
type the password again: the mask, or no password at all, is a 400 on PATCH, PUT and a connection test
with an edited config. A listener of our own, speaking just enough of PostgreSQL's protocol to ask for a
clear-text password, records what reaches it.
"""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from bastion.secrets import MASK

SERVICES = "/api/v2/system/service"
STORED = "Stored-Secret-1"
RESEND = "re-enter the password when changing where it is sent"


class PasswordTrap:
    """A TCP listener on 127.0.0.1 that asks every client for a clear-text password and records it all."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                self.received.append(self._talk(conn))

    def _talk(self, conn: socket.socket) -> bytes:
        seen = b""
        try:
            while True:
                header = conn.recv(8)
                seen += header
                length, code = struct.unpack("!ii", header)
                if code in (80877103, 80877104):  # SSL or GSS encryption request: refuse, go on in plain
                    conn.sendall(b"N")
                    continue
                seen += conn.recv(length - 8)
                conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
                seen += conn.recv(4096)
                return seen
        except (OSError, struct.error):
            return seen

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def trap():
    listener = PasswordTrap()
    yield listener
    listener.close()


@pytest.fixture
def service(client, admin_headers) -> dict:
    config = {
        "engine": "postgresql",
        "host": "127.0.0.1",
        "port": 5432,
        "database": "test",
        "username": "postgres",
        "password": STORED,
    }
    created = client.post(SERVICES, json={"name": "pg", "config": config}, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def assert_resend_required(response) -> None:
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["context"]["errors"] == {"config.password": RESEND}
    assert RESEND in error["message"].lower()


def test_a_kept_password_is_refused_when_the_target_changes(client, admin_headers, service, trap):
    url = f"{SERVICES}/{service['id']}"
    masked = service["config"]
    attempts = [
        ("PATCH", url, {"config": {"port": trap.port, "password": MASK}}),
        ("PATCH", url, {"config": {"port": trap.port}}),
        ("PATCH", url, {"config": {"host": "localhost", "password": MASK}}),
        ("PATCH", url, {"config": {"username": "someone_else"}}),
        ("PATCH", url, {"config": {"database": "other"}}),
        ("PATCH", url, {"config": {"options": {"sslmode": "disable"}}}),
        ("PUT", url, {"config": {**masked, "port": trap.port}}),
        ("POST", f"{url}/test", {"config": {"port": trap.port}}),
        ("POST", f"{url}/test", {"config": {"port": trap.port, "password": MASK}}),
        ("POST", f"{url}/test", {"config": {"engine": "mysql", "port": trap.port}}),
    ]
    for method, path, body in attempts:
        assert_resend_required(client.open(path, method=method, json=body, headers=admin_headers))
    # The stored target is unchanged and still works; nothing ever reached the trap.
    assert client.get(url, headers=admin_headers).get_json()["config"]["port"] == 5432
    assert client.post(f"{url}/test", headers=admin_headers).status_code == 200
    assert trap.received == []


def test_a_new_password_may_go_to_a_new_target(client, admin_headers, service, trap):
    url = f"{SERVICES}/{service['id']}"
    response = client.post(
        f"{url}/test",
        json={"config": {"port": trap.port, "password": "Fresh-Secret-2"}},
        headers=admin_headers,
    )
    assert response.status_code == 400  # the trap is no database
    # The trap works: the password that was typed reached it, the stored one never did.
    assert any(b"Fresh-Secret-2" in seen for seen in trap.received)
    assert not any(STORED.encode() in seen for seen in trap.received)


def test_the_mask_still_keeps_the_password_when_the_target_stays(client, admin_headers, service):
    url = f"{SERVICES}/{service['id']}"
    body = {"config": {**service["config"], "port": "5432", "host": "127.0.0.1", "max_records": 5}}
    response = client.put(url, json=body, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert client.patch(url, json={"config": {"password": MASK}}, headers=admin_headers).status_code == 200
    assert (
        client.post(f"{url}/test", json={"config": {"max_records": 9}}, headers=admin_headers).status_code
        == 200
    )


def test_a_service_without_a_stored_password_may_move(client, admin_headers, trap):
    config = {"engine": "postgresql", "host": "127.0.0.1", "database": "test", "username": "postgres"}
    created = client.post(SERVICES, json={"name": "nopw", "config": config}, headers=admin_headers).get_json()
    response = client.patch(
        f"{SERVICES}/{created['id']}", json={"config": {"port": trap.port}}, headers=admin_headers
    )
    assert response.status_code == 200, response.get_json()
