"""Whether a PostgreSQL or MySQL service reaches the system database's server and database.

Statically (at save and test time) a service is the system database when its engine, database name and
port match DATABASE_URL's and its host is the same machine under any spelling: every loopback or
unspecified address, a name resolving to one, an address of this host, a unix socket, or an address
the system's host also resolves to. Driver options cannot redirect a connection: only an allow-list of
harmless ones (TLS mode, timeouts, names, character set) is accepted.

At connect time the server itself is asked who it is (server_identity), because a DNS name can move and
a proxy can forward: PostgreSQL's postmaster start time and database name, MySQL's host name, port,
data directory and database name. They are compared with what the system database's server answers.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
# Options that cannot choose the host, database or user, nor make the driver send or serve a file
# (passfile, sslkey, read_default_file, local_infile and init_command can, and so stay out). A CA file
# (sslrootcert, ssl_ca) is only parsed to verify the server, which TLS with verify-full needs.
SAFE_OPTIONS = {
    "sqlite": frozenset({"timeout"}),
    "postgresql": frozenset(
        {
            "sslmode",
            "connect_timeout",
            "application_name",
            "keepalives",
            "keepalives_idle",
            "keepalives_interval",
            "keepalives_count",
            "tcp_user_timeout",
            "channel_binding",
            "gssencmode",
            "sslrootcert",
        }
    ),
    "mysql": frozenset(
        {"charset", "connect_timeout", "read_timeout", "write_timeout", "ssl_ca", "ssl_check_hostname"}
    ),
}
SYSTEM_SERVER = "is the platform's own system database (the same server and database as DATABASE_URL)"
IDENTITY_SQL = {
    "postgresql": "SELECT current_database(), CAST(pg_postmaster_start_time() AS text)",
    "mysql": "SELECT DATABASE(), CONCAT_WS('|', @@hostname, @@port, @@datadir)",
}


def backend_of(url: sa.URL) -> str:
    """The engine name Bastion uses for a URL's backend (MariaDB is 'mysql')."""
    name = url.get_backend_name()
    return "mysql" if name == "mariadb" else name


def options_problem(engine: str, options: Mapping[str, Any] | None) -> str | None:
    """Why these driver options are refused, or None."""
    allowed = SAFE_OPTIONS.get(engine, frozenset())
    refused = sorted(str(k) for k in (options or {}) if str(k) not in allowed)
    if not refused:
        return None
    permitted = ", ".join(sorted(allowed)) or "none"
    return (
        f"option(s) {', '.join(repr(k) for k in refused)} not allowed: options may not choose the server, "
        f"database, user or files the driver reads (allowed: {permitted})"
    )


def host_problem(host: str) -> str | None:
    """Why a host value is not one host name or address, or None."""
    if any(c in host for c in ",= '\"\\\t\n\r\x00"):
        return "must be one host name or address (no lists, spaces or quotes)"
    return None


def database_problem(database: str) -> str | None:
    """Why a database name could be read by the driver as a connection string, or None."""
    if "=" in database or "://" in database or "\x00" in database:
        return "must be a plain database name, not a connection string"
    return None


def _addresses(host: str) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    name = host.strip().strip("[]")
    try:
        found = {ipaddress.ip_address(name)}
    except ValueError:
        try:
            found = {
                ipaddress.ip_address(info[4][0].split("%")[0]) for info in socket.getaddrinfo(name, None)
            }
        except (OSError, UnicodeError, ValueError):
            return set()
    return {a.ipv4_mapped if getattr(a, "ipv4_mapped", None) else a for a in found}


def _assigned_here(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # Binding succeeds only to an address of one of this host's interfaces.
    family = socket.AF_INET if address.version == 4 else socket.AF_INET6
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
        return True
    except OSError:
        return False


def is_local(host: str | None) -> bool:
    """Whether a host spelling reaches this machine: no host, a socket path, loopback or an own address."""
    if not host or host.startswith("/") or host.strip().lower() in ("localhost", "localhost."):
        return True
    return any(a.is_loopback or a.is_unspecified or _assigned_here(a) for a in _addresses(host))


def same_host(a: str | None, b: str | None) -> bool:
    """Whether two host spellings reach the same machine (as far as names and addresses can tell)."""
    if is_local(a) and is_local(b):
        return True
    return bool(a and b and _addresses(a) & _addresses(b))


def _system_target(database_url: str) -> tuple[str, str, int, str | None] | None:
    url = sa.engine.make_url(database_url)
    engine = backend_of(url)
    if engine not in DEFAULT_PORTS:
        return None
    database = url.database or str(url.query.get("dbname") or url.username or "")
    port = url.port or int(str(url.query.get("port") or DEFAULT_PORTS[engine]))
    host = url.host or (str(url.query["host"]) if "host" in url.query else None)
    return engine, database, port, host


def is_system_server(config: Mapping[str, Any], database_url: str) -> bool:
    """Whether a network service config names the system database's server and database."""
    system = _system_target(database_url)
    if system is None or config.get("engine") != system[0]:
        return False
    if str(config.get("database") or "").casefold() != system[1].casefold():
        return False
    try:
        port = int(str(config.get("port") or DEFAULT_PORTS[system[0]]).strip())
    except ValueError:
        return False  # build_url refuses such a port before any connection
    if port != system[2]:
        return False
    return same_host(str(config.get("host") or "") or None, system[3])


def server_identity(dbapi_connection: Any, engine: str) -> tuple[str, str]:
    """(database name, server key) as the server reports them, on a fresh DBAPI connection."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(IDENTITY_SQL[engine])
        database, server = cursor.fetchone()
    finally:
        cursor.close()
        # The query opened a transaction on drivers without autocommit; leave the connection clean.
        dbapi_connection.rollback()
    return str(database or ""), str(server)


class SystemIdentity:
    """The system database's (database, server key), asked of its server when a comparison needs it."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.engine = backend_of(sa.engine.make_url(database_url))
        self._name: str | None = None

    def matches(self, engine: str, reported: tuple[str, str]) -> bool:
        """Whether a data connection's reported identity is the system database's."""
        if engine != self.engine or engine not in IDENTITY_SQL:
            return False
        if self._name is not None and reported[0].casefold() != self._name.casefold():
            return False
        # Asked afresh each time the names match: a restarted server has a new start time.
        current = self._ask()
        self._name = current[0]
        return current[0].casefold() == reported[0].casefold() and current[1] == reported[1]

    def _ask(self) -> tuple[str, str]:
        engine = sa.create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return server_identity(connection.connection.dbapi_connection, self.engine)
        finally:
            engine.dispose()
