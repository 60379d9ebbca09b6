"""Forwarded headers are believed only from the proxies in TRUSTED_PROXY_IPS (proxies.py, issue 12)."""

from __future__ import annotations

import ipaddress

import pytest

from bastion.proxies import address_in
from tests.conftest import make_app

FORWARDED = {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"}


def _get(app, peer: str, headers: dict):
    client = app.test_client()
    return client.get("/api/v2/system/environment", headers=headers, environ_base={"REMOTE_ADDR": peer})


def _status(app, peer: str, headers: dict) -> int:
    return _get(app, peer, headers).status_code


@pytest.fixture
def fenced(system_db_url, tmp_path):
    """HTTPS required, the admin API fenced to 10.1.0.0/16, one proxy at 192.0.2.10."""
    return make_app(
        system_db_url,
        str(tmp_path),
        REQUIRE_HTTPS="true",
        TRUSTED_PROXIES="1",
        TRUSTED_PROXY_IPS="192.0.2.10, 2001:db8::10",
        ADMIN_ALLOWED_NETWORKS="10.1.0.0/16",
    )


@pytest.mark.parametrize("peer", ["192.0.2.10", "::ffff:192.0.2.10", "2001:db8::10"])
def test_a_listed_proxy_speaks_for_the_client(fenced, peer):
    assert _status(fenced, peer, FORWARDED) == 200


@pytest.mark.parametrize("peer", ["127.0.0.1", "192.0.2.11", "10.1.2.3", "2001:db8::11", ""])
def test_any_other_peer_is_judged_on_its_own_address_and_scheme(fenced, peer):
    assert _status(fenced, peer, FORWARDED) == 403


@pytest.mark.parametrize("peer", ["127.0.0.1", "192.0.2.11"])
def test_each_guard_judges_the_peer_itself(system_db_url, tmp_path, peer):
    https = make_app(
        system_db_url,
        str(tmp_path),
        REQUIRE_HTTPS="true",
        TRUSTED_PROXIES="1",
        TRUSTED_PROXY_IPS="192.0.2.10",
    )
    assert "HTTPS is required" in _get(https, peer, FORWARDED).get_json()["error"]["message"]
    fenced = make_app(
        system_db_url,
        str(tmp_path),
        TRUSTED_PROXIES="1",
        TRUSTED_PROXY_IPS="192.0.2.10",
        ADMIN_ALLOWED_NETWORKS="10.1.0.0/16",
    )
    refused = _get(fenced, peer, FORWARDED).get_json()["error"]["message"]
    assert refused == "The admin API is not reachable from this network"
    assert _status(fenced, "192.0.2.10", FORWARDED) == 200


def test_the_default_believes_this_host_only(system_db_url, tmp_path):
    app = make_app(system_db_url, str(tmp_path), REQUIRE_HTTPS="true", TRUSTED_PROXIES="1")
    assert _status(app, "127.0.0.1", FORWARDED) == 200
    assert _status(app, "::1", FORWARDED) == 200
    assert _status(app, "203.0.113.9", FORWARDED) == 403


def test_address_in():
    nets = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))
    assert address_in(nets, "10.9.8.7") and address_in(nets, "::ffff:10.0.0.1") and address_in(nets, "::1")
    assert not address_in(nets, "11.0.0.1") and not address_in(nets, "") and not address_in(nets, None)
    assert not address_in(nets, "not an address")
