"""Where a remote HTTP service may send requests (request forgery, SSRF): its base URL and addresses.

A base URL is http or https, with a host and no user info. Its host is resolved (getaddrinfo) and EVERY
address must be public: loopback, private, link-local, unique-local, multicast, unspecified, reserved and
shared ranges, cloud metadata addresses, and the IPv4-mapped, IPv4-compatible, 6to4 and NAT64 forms of
those are refused, unless inside HTTP_SERVICES_ALLOWED_NETWORKS. The proxy then connects to the address
it checked (resolve_checked), so no second lookup can answer differently.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443}
# Metadata services of cloud providers, refused even where their range would otherwise pass.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
# Ranges `is_global` lets through (or that older Pythons judge differently) and that still are not public.
EXTRA_REFUSED = tuple(
    ipaddress.ip_network(n)
    for n in ("100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "64:ff9b:1::/48", "2001::/23", "fc00::/7")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOOPBACK = ipaddress.ip_address("127.0.0.1")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


class TargetRefused(ValueError):
    """A base URL or address a service may not reach; the message says why, never the address."""


@dataclass(frozen=True)
class Target:
    """A checked base URL: scheme, host name as written (for Host and TLS), port and path prefix."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def host_header(self) -> str:
        """The Host header: the name, with the port when it is not the scheme's default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def parse_base_url(text: object) -> Target:
    """The parts of a base URL, or TargetRefused saying what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise TargetRefused("must be an http:// or https:// URL")
    try:
        parts: SplitResult = urlsplit(text.strip())
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise TargetRefused("must start with http:// or https://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise TargetRefused("must not carry a user name or password; use the service's auth instead")
    if not parts.hostname:
        raise TargetRefused("must name a host")
    if parts.query or parts.fragment:
        raise TargetRefused("must not have a query or fragment; use auth 'query' for a key parameter")
    scheme = parts.scheme.lower()
    # urlsplit lower-cases the name; a final dot names the same host (and has no place in SNI).
    host = parts.hostname.removesuffix(".")
    if not host:
        raise TargetRefused("must name a host")
    return Target(scheme, host, port or DEFAULT_PORTS[scheme], parts.path.rstrip("/"))


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, 6to4, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d, the deprecated compatible form
        return ipaddress.IPv4Address(int(address))
    return None


def is_public(address: Address) -> bool:
    """Whether an address is one a service may reach without an opened range."""
    inner = embedded_ipv4(address)
    if inner is not None:
        # Mapped, 6to4 and NAT64 forms reach the IPv4 address they carry: it decides. The deprecated
        # compatible form (::a.b.c.d) has no public use.
        translated = address.ipv4_mapped or address.sixtofour or address in NAT64  # type: ignore[union-attr]
        return bool(translated) and is_public(inner)
    if address in METADATA or any(address in n for n in EXTRA_REFUSED if n.version == address.version):
        return False
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_link_local or address.is_unspecified
    )


def address_refusal(address: Address, allowed: Iterable[Network]) -> str | None:
    """Why a service may not reach this address, or None when it may."""
    opened = any(address.version == n.version and address in n for n in allowed)
    if opened or is_public(address):
        return None
    if address in METADATA:
        return "resolves to a cloud metadata address"
    return "resolves to a loopback, private, link-local or otherwise non-public address"


def resolve(target: Target) -> list[Address]:
    """Every address the host resolves to (an IP literal resolves to itself, in any spelling)."""
    if target.host == "localhost" or target.host.endswith(".localhost"):
        return [LOOPBACK]  # RFC 6761: always loopback, never asked of a name server
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"host cannot be resolved ({exc.__class__.__name__})") from None
    found: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def resolve_checked(target: Target, allowed: Iterable[Network]) -> Address:
    """The address to connect to: the host's first address, after EVERY address passed the check."""
    addresses = resolve(target)
    if not addresses:
        raise TargetRefused("host resolves to no address")
    allowed = tuple(allowed)
    for address in addresses:
        if why := address_refusal(address, allowed):
            raise TargetRefused(why)
    return addresses[0]


def check_base_url(text: object, allowed: Iterable[Network]) -> Target:
    """Parse and check a base URL at save time; TargetRefused says why it may not be used."""
    target = parse_base_url(text)
    resolve_checked(target, allowed)
    return target
