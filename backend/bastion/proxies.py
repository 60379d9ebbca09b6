"""Which peer may speak for the client: X-Forwarded-* is believed only from TRUSTED_PROXY_IPS.

gunicorn believes no forwarded header itself (deploy/gunicorn.conf.py), so the scheme and address the app
sees are the TCP peer's. When that peer is a listed proxy, ProxyFix takes the last TRUSTED_PROXIES hops
of its X-Forwarded-* headers; any other peer (a client that reached gunicorn directly) is judged on its
own address and scheme, whatever headers it sends.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix


def address_in(networks: Iterable, address: str | None) -> bool:
    """Whether an address (IPv4-mapped IPv6 counted as IPv4) lies in one of the networks."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks if net.version == ip.version)


class TrustedProxies:
    """WSGI middleware: ProxyFix for requests whose peer is a trusted proxy, nothing for the others."""

    def __init__(self, app: Callable[..., Any], hops: int, networks: tuple) -> None:
        self.app = app
        self.networks = networks
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Any:
        if address_in(self.networks, environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
