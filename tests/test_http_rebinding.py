"""A remote HTTP service's name that later resolves elsewhere (DNS rebinding, issue 20 follow-up).

The pool of a service version is pinned to the address checked when it was built, so a changed DNS
answer never moves it; a pool built again (a new service version, a fresh worker) asks the resolver
again and is refused before any connection. The name is one this test controls: `getaddrinfo` answers
it in-process (every other name goes to the real resolver), and both answers are loopback addresses, so
no traffic can leave loopback even if the guard failed. Only 127.0.0.1 is opened; 127.0.0.2 is refused.
"""

from __future__ import annotations

import socket

import pytest

from tests.conftest import _empty_tables, make_app
from tests.upstream import start_upstream

SYS = "/api/v2/system"
NAME = "api.rebind.test"  # .test never resolves on a real name server
OPENED = "127.0.0.1"
REFUSED = "127.0.0.2"  # loopback too, but outside HTTP_SERVICES_ALLOWED_NETWORKS


class Resolver:
    """getaddrinfo that answers NAME with `address` and counts the questions; the rest go to the real one."""

    def __init__(self, real) -> None:
        self.real = real
        self.address = OPENED
        self.asked = 0

    def __call__(self, host, port, *args, **kwargs):
        """The controlled answer for NAME, the real resolver's for anything else."""
        if host != NAME:
            return self.real(host, port, *args, **kwargs)
        self.asked += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (self.address, port))]


def platform(system_db_url: str, instance: str):
    """An app (a worker) with only 127.0.0.1 opened to remote HTTP services."""
    return make_app(system_db_url, instance, HTTP_SERVICES_ALLOWED_NETWORKS=f"{OPENED}/32")


def dispose(application) -> None:
    """Release a worker's pools and its system-database engine."""
    application.extensions["bastion.http_pools"].dispose_all()
    application.extensions["bastion.db"].dispose()


@pytest.fixture
def app(system_db_url, tmp_path):
    """The first worker; the system database is emptied after the test."""
    application = platform(system_db_url, str(tmp_path))
    yield application
    _empty_tables(application.extensions["bastion.db"])
    dispose(application)


@pytest.fixture
def resolver(monkeypatch):
    """The in-process resolver of NAME."""
    fake = Resolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.fixture
def upstream():
    """The stand-in remote API, listening on 127.0.0.1 only."""
    server = start_upstream()
    yield server
    server.stop()


def test_a_name_that_later_resolves_to_a_refused_address_is_refused_when_its_pool_is_rebuilt(
    app, client, admin_headers, resolver, upstream, system_db_url, tmp_path
):
    base_url = f"http://{NAME}:{upstream.port}"
    body = {"name": "rebind", "type": "http", "config": {"base_url": base_url}}
    made = client.post(f"{SYS}/service", json=body, headers=admin_headers)
    assert made.status_code == 201, made.get_json()
    service = f"{SYS}/service/{made.get_json()['id']}"
    assert client.get("/api/v2/rebind/close/x", headers=admin_headers).status_code == 200
    assert upstream.last().headers["host"] == f"{NAME}:{upstream.port}"

    resolver.address = REFUSED
    asked, sent = resolver.asked, len(upstream.seen)
    # The built pool stays on the address it checked: no second lookup, and the new connection (the
    # upstream closed the last one) still goes to 127.0.0.1; nothing listens on 127.0.0.2.
    assert client.get("/api/v2/rebind/close/y", headers=admin_headers).status_code == 200
    assert resolver.asked == asked and len(upstream.seen) == sent + 1

    # A new version of the service builds a new pool: the name is asked again and refused before any
    # connection; the answer names the service and why, never the host or the address.
    assert client.patch(service, json={"label": "Rebound"}, headers=admin_headers).status_code == 200
    refused = client.get("/api/v2/rebind/close/z", headers=admin_headers)
    assert refused.status_code == 502
    message = refused.get_json()["error"]["message"]
    assert message.startswith("Service 'rebind' may not reach its base URL: resolves to a loopback")
    assert NAME not in message and REFUSED not in message
    assert resolver.asked > asked and len(upstream.seen) == sent + 1
    # Saving its config again checks the name again too.
    resaved = client.patch(service, json={"config": {"timeout": 5}}, headers=admin_headers)
    assert (
        resaved.status_code == 400 and "config.base_url" in resaved.get_json()["error"]["context"]["errors"]
    )

    # A fresh worker builds its own pool: refused as well, while this one, rebuilt when the name still
    # answered 127.0.0.1, keeps that address.
    resolver.address = OPENED
    assert client.get("/api/v2/rebind/close/w", headers=admin_headers).status_code == 200
    resolver.address = REFUSED
    restarted = platform(system_db_url, str(tmp_path))
    try:
        again = restarted.test_client().get("/api/v2/rebind/close/v", headers=admin_headers)
        assert (
            again.status_code == 502 and "may not reach its base URL" in again.get_json()["error"]["message"]
        )
    finally:
        dispose(restarted)
    assert client.get("/api/v2/rebind/close/u", headers=admin_headers).status_code == 200
    assert [s.path for s in upstream.seen][-3:] == ["/close/y", "/close/w", "/close/u"]
