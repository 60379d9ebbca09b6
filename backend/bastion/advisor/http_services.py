"""Advisor checks of remote HTTP services (issue 20): plain http:// upstreams and opened address ranges."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bastion.advisor.finding import Finding, evidence
from bastion.advisor.inventory import Inventory
from bastion.config import Settings


def plain_http_upstreams(s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """In production, an active HTTP service whose base URL is http://: its credential crosses in clear."""
    if not s.is_production:
        return
    for service in inv.services:
        base_url = str((service["config"] or {}).get("base_url") or "")
        if (
            service["type"] != "http"
            or not service["is_active"]
            or not base_url.lower().startswith("http://")
        ):
            continue
        yield Finding(
            "http-service-plain-http",
            "medium",
            f"Service '{service['name']}' calls its remote API over plain http://: its credential and "
            "every answer cross the network unencrypted.",
            f"set service '{service['name']}''s base URL to the remote API's https:// address",
            (evidence("service", service["id"], name=service["name"]),),
            f"/services/{service['id']}/edit",
            f"service:{service['id']}",
        )


def opened_networks(s: Settings, _workers: int) -> Iterable[Finding]:
    """Any range opened to remote HTTP services lets an admin point a service at the internal network."""
    if s.http_services_allowed_networks:
        ranges = ", ".join(str(n) for n in s.http_services_allowed_networks)
        yield Finding(
            "http-networks-opened",
            "medium",
            f"HTTP_SERVICES_ALLOWED_NETWORKS opens {ranges} to remote HTTP services: a service may send "
            "requests (with its credential) into these non-public ranges.",
            "narrow HTTP_SERVICES_ALLOWED_NETWORKS to the internal APIs' own addresses, or empty it",
        )


CHECKS = (plain_http_upstreams,)
