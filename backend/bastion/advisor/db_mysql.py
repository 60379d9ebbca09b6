"""A MySQL/MariaDB service's own account, from `SHOW GRANTS`: ALL PRIVILEGES, GRANT OPTION, server
privileges (FILE, SUPER, ...), grants on `*.*` or on other schemas, and privileges on the service's own
schema beyond what Bastion's roles need. Each finding names the REVOKE that fixes it.

Only the privilege list, the object and the grantee of each line are read: a line may also carry the
account's password hash (`IDENTIFIED BY PASSWORD '...'`), which never reaches a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from bastion.advisor.finding import Finding, evidence
from bastion.advisor.inventory import Inventory

_GRANT = re.compile(r"GRANT (?P<privs>.+?) ON (?P<obj>\S+) TO (?P<who>\S+?@\S+)(?P<rest>.*)\Z", re.DOTALL)
_SPLIT = re.compile(r",\s*(?![^()]*\))")
SERVER_PRIVILEGES = {"FILE", "SUPER", "PROCESS", "RELOAD", "SHUTDOWN", "CREATE USER", "BINLOG ADMIN"}
READ = {"SELECT", "SHOW VIEW"}
WRITE = {"INSERT", "UPDATE", "DELETE"}


@dataclass(frozen=True)
class Grant:
    """One `GRANT ... ON ... TO ...` line, without anything after the grantee but its grant option."""

    privileges: tuple[str, ...]
    obj: str
    who: str
    grant_option: bool

    @property
    def schema(self) -> str:
        """The schema the object is in ('*' for every schema)."""
        return self.obj.split(".", 1)[0].strip("`")


def parse(line: str) -> Grant | None:
    """A grant of privileges on an object, or None (role grants, PROXY, unknown forms)."""
    match = _GRANT.match(line.strip())
    if match is None:
        return None
    privileges = tuple(p.split("(")[0].strip().upper() for p in _SPLIT.split(match["privs"]))
    if "PROXY" in privileges:
        return None
    return Grant(privileges, match["obj"], match["who"], "GRANT OPTION" in match["rest"].upper())


def check(conn: sa.Connection, service, inv: Inventory) -> Iterable[Finding]:
    """The findings for the account this service connects as."""
    grants = [g for (line,) in conn.execute(sa.text("SHOW GRANTS")) if (g := parse(line)) is not None]
    database = conn.execute(sa.text("SELECT DATABASE()")).scalar() or ""
    writes = inv.role_writes_service(service["name"])
    needed = READ | (WRITE if writes else set())
    found: dict[str, list[tuple[str, str]]] = {}
    for grant in grants:
        held = [p for p in grant.privileges if p != "USAGE"]

        def add(code: str, privileges: list[str], grant: Grant = grant) -> None:
            statement = f"REVOKE {', '.join(privileges)} ON {grant.obj} FROM {grant.who};"
            found.setdefault(code, []).append((grant.obj, statement))

        if "ALL PRIVILEGES" in held or "ALL" in held:
            add("db-all-privileges", ["ALL PRIVILEGES"])
        if grant.grant_option:
            add("db-grant-option", ["GRANT OPTION"])
        if server := [p for p in held if p in SERVER_PRIVILEGES]:
            add("db-server-privileges", server)
        if grant.schema == "*" and held:
            add("db-global-grant", held)
        elif held and grant.schema.lower() != database.lower():
            add("db-other-schema", held)
        elif excess := [p for p in held if p not in needed and p not in ("ALL PRIVILEGES", "ALL")]:
            add("db-unneeded-write" if set(excess) <= WRITE else "db-unneeded-privileges", excess)
    yield from _findings(found, service, grants[0].who if grants else "?", writes)


MESSAGES = {
    "db-all-privileges": ("high", "holds ALL PRIVILEGES"),
    "db-grant-option": ("high", "may grant its privileges to other accounts (GRANT OPTION)"),
    "db-server-privileges": ("high", "holds server privileges (FILE reads and writes the server's files)"),
    "db-global-grant": ("high", "holds privileges on every schema (*.*)"),
    "db-other-schema": ("medium", "holds privileges on schemas other than the service's"),
    "db-unneeded-write": ("medium", "may write where no Bastion role grants a write verb"),
    "db-unneeded-privileges": ("medium", "holds privileges no Bastion role needs (DDL, triggers, ...)"),
}


def _findings(found, service, who, writes) -> Iterable[Finding]:
    svc = evidence("service", service["id"], name=service["name"], user=who)
    for code, items in found.items():
        severity, what = MESSAGES[code]
        statements = [s for _, s in items]
        yield Finding(
            code,
            severity,
            f"Service '{service['name']}' connects as {who}, which {what}: "
            f"{', '.join(sorted({o for o, _ in items}))}.",
            "as an administrator of the server: "
            + " ".join(statements)
            + ("" if writes else " (no Bastion role writes this service: SELECT is all it needs)"),
            (svc | {"statements": statements},),
            f"/services/{service['id']}/edit",
            f"service:{service['id']}",
        )
