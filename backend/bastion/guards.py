"""Transport and network guards that run before authentication (DESIGN §2).

In this order: REQUIRE_HTTPS refuses API requests that did not arrive over HTTPS (judged after ProxyFix,
so the X-Forwarded-Proto of a trusted proxy counts); ADMIN_ALLOWED_NETWORKS limits /api/v2/system/* to
the listed networks, judged on the client address after ProxyFix; then a presented API key must be
known and active on every path, before any view runs.
"""

from __future__ import annotations

import ipaddress

from flask import Flask, request

from bastion import current
from bastion.auth import refuse_bad_api_key
from bastion.config import current_settings
from bastion.errors import Forbidden

SYSTEM_PREFIX = "/api/v2/system/"


def _check_transport() -> None:
    if current_settings().require_https and not request.is_secure:
        raise Forbidden("HTTPS is required: send this request to the platform's https:// address")


def _address_allowed(networks: tuple, address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in net for net in networks if net.version == ip.version)


def require_admin_network() -> None:
    """403 unless ADMIN_ALLOWED_NETWORKS admits the client (also for admin actions outside /system)."""
    networks = current_settings().admin_allowed_networks
    if networks and not _address_allowed(networks, request.remote_addr):
        raise Forbidden("The admin API is not reachable from this network")


def _check_admin_network() -> None:
    path = current.asked().path
    if path.startswith(SYSTEM_PREFIX) or path == SYSTEM_PREFIX.rstrip("/"):
        require_admin_network()


def init_app(app: Flask) -> None:
    """Register the guards; they run before any view and before authentication."""
    app.before_request(_check_transport)
    app.before_request(_check_admin_network)
    app.before_request(refuse_bad_api_key)
