"""Request forgery (SSRF): what a remote HTTP service may reach (issue 20).

Refusals are checked on addresses, and on names and spellings that resolve on this machine without a
name server (IP literals in any spelling, `localhost`): nothing here connects anywhere, and the one
connection-time test only ever reaches 127.0.0.1.
"""

from __future__ import annotations

import ipaddress

import pytest

from bastion.config import ConfigError, load_settings
from bastion.http_targets import TargetRefused, address_refusal, check_base_url, parse_base_url, resolve
from tests.conftest import make_app
from tests.test_http_services import add_http_service
from tests.upstream import start_upstream

REFUSED = [
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.1.1",
    "169.254.169.254",
    "100.100.100.200",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 (an address under test)
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::7f00:1",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2001:db8::1",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::808:808"]
LOCAL_SPELLINGS = [
    "localhost",
    "LOCALHOST.",
    "LocalHost",
    "api.localhost",
    "127.1",
    "2130706433",
    "0x7f.1",
    "017700000001",
    "0",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:0:0:1]",
    "[::]",
]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address):
    assert address_refusal(ipaddress.ip_address(address), ()) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert address_refusal(ipaddress.ip_address(address), ()) is None


def test_an_opened_range_admits_only_itself_and_metadata_is_named():
    opened = (ipaddress.ip_network("10.0.0.0/8"),)
    assert address_refusal(ipaddress.ip_address("10.9.9.9"), opened) is None
    assert address_refusal(ipaddress.ip_address("192.168.0.1"), opened) is not None
    why = address_refusal(ipaddress.ip_address("169.254.169.254"), ())
    assert why is not None and "metadata" in why


@pytest.mark.parametrize("host", LOCAL_SPELLINGS)
def test_every_spelling_of_this_machine_is_refused_before_connecting(host):
    url = f"http://{host}:8080/api"
    assert all(address_refusal(a, ()) is not None for a in resolve(parse_base_url(url)))
    with pytest.raises(TargetRefused):
        check_base_url(url, ())


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com",
        "http://user:pw@example.com",
        "http://@example.com",
        "example.com",
        "http://",
        "https://a.b/?k=1",
    ],
)
def test_base_urls_other_than_plain_http_or_https_are_refused(url):
    with pytest.raises(TargetRefused):
        parse_base_url(url)


def test_a_bad_allowed_networks_setting_is_a_clear_startup_error():
    with pytest.raises(ConfigError, match="HTTP_SERVICES_ALLOWED_NETWORKS"):
        load_settings({"APP_ENV": "local", "HTTP_SERVICES_ALLOWED_NETWORKS": "127.0.0.0/8,nonsense"})


def test_loopback_is_refused_at_save_unless_opened(client, admin_headers):
    body = {"name": "inside", "type": "http", "config": {"base_url": "http://127.1:9"}}
    refused = client.post("/api/v2/system/service", json=body, headers=admin_headers)
    assert refused.status_code == 400
    assert "config.base_url" in refused.get_json()["error"]["context"]["errors"]


def test_connect_time_check_refuses_before_any_connection(system_db_url, tmp_path, admin_headers):
    """A service saved while loopback was opened is refused by a platform where it is not."""
    upstream = start_upstream()
    opened = make_app(system_db_url, str(tmp_path / "a"), HTTP_SERVICES_ALLOWED_NETWORKS="127.0.0.0/8")
    closed = make_app(system_db_url, str(tmp_path / "b"))
    try:
        add_http_service(opened.test_client(), admin_headers, upstream.url)
        assert opened.test_client().get("/api/v2/twitter/a", headers=admin_headers).status_code == 200
        answer = closed.test_client().get("/api/v2/twitter/a", headers=admin_headers)
        assert answer.status_code == 502
        assert "'twitter'" in answer.get_json()["error"]["message"]
        assert "127.0.0.1" not in answer.get_data(as_text=True)
        assert len(upstream.seen) == 1
    finally:
        upstream.stop()
        for app in (opened, closed):
            app.extensions["bastion.http_pools"].dispose_all()
            app.extensions["bastion.db"].dispose()
