"""A PostgreSQL service's own account, as the server reports it: role attributes, owned tables, and
table privileges beyond what Bastion's roles expose. Each finding names the statement that fixes it."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from bastion.advisor.finding import Finding, evidence
from bastion.advisor.inventory import Inventory

STATEMENT_TIMEOUT_MS = 5000
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
# What each verb needs of the account; TRUNCATE is never needed, Bastion deletes row by row.
NEEDS = {"GET": "SELECT", "POST": "INSERT", "PUT": "UPDATE", "PATCH": "UPDATE", "DELETE": "DELETE"}

_ROLE = sa.text(
    "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
)
_TABLES = sa.text(
    "SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner) = current_user AS owned,"
    " has_table_privilege(c.oid, 'SELECT') AS priv_select,"
    " has_table_privilege(c.oid, 'INSERT') AS priv_insert,"
    " has_table_privilege(c.oid, 'UPDATE') AS priv_update,"
    " has_table_privilege(c.oid, 'DELETE') AS priv_delete,"
    " has_table_privilege(c.oid, 'TRUNCATE') AS priv_truncate"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname"
)


def _needed(verbs: set[str]) -> set[str]:
    needed = {NEEDS[v] for v in verbs}
    # Writes read the record back; a table with any verb needs SELECT.
    return needed | {"SELECT"} if verbs else needed


def check(conn: sa.Connection, service, inv: Inventory) -> Iterable[Finding]:
    """The findings for the account this service connects as."""
    conn.execute(sa.text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
    user, superuser, createrole, createdb = conn.execute(_ROLE).one()
    quote = conn.dialect.identifier_preparer.quote
    who, name, svc = (
        quote(user),
        service["name"],
        evidence("service", service["id"], name=service["name"], user=user),
    )
    route = f"/services/{service['id']}/edit"
    key = f"service:{service['id']}"
    if superuser:
        yield Finding(
            "db-superuser",
            "high",
            f"Service '{name}' connects to PostgreSQL as superuser '{user}': every table, every database "
            "and the server's files are one SQL injection or one role mistake away.",
            f"create a login role with only the privileges the roles need and use it in the service; then "
            f"ALTER ROLE {who} NOSUPERUSER;",
            (svc,),
            route,
            key,
        )
        return  # privileges mean nothing to a superuser: the table findings would only add noise
    attributes = [a for a, held in (("CREATEROLE", createrole), ("CREATEDB", createdb)) if held]
    if attributes:
        yield Finding(
            "db-role-attributes",
            "high" if createrole else "medium",
            f"Service '{name}' connects as '{user}', which holds {' and '.join(attributes)}: it can make "
            "roles (and grant itself what others hold) or databases.",
            f"ALTER ROLE {who} {' '.join('NO' + a for a in attributes)};",
            (svc,),
            route,
            key,
        )
    yield from _tables(conn, service, inv, user, svc, route, key)


def _tables(conn, service, inv, user, svc, route, key) -> Iterable[Finding]:
    quote = conn.dialect.identifier_preparer.quote
    owned, unexposed, writes = [], [], []
    for row in conn.execute(_TABLES).mappings():
        table = f"{quote(row['nspname'])}.{quote(row['relname'])}"
        if row["owned"]:
            owned.append((row["relname"], f"ALTER TABLE {table} OWNER TO <owner role>;"))
            continue
        held = {p for p in PRIVILEGES if row["priv_" + p.lower()]}
        verbs = inv.verbs_on_table(service["name"], row["relname"])
        if held and not verbs:
            unexposed.append((row["relname"], f"REVOKE ALL ON TABLE {table} FROM {quote(user)};"))
        elif excess := sorted(held & set(WRITES) - _needed(verbs), key=WRITES.index):
            writes.append(
                (row["relname"], f"REVOKE {', '.join(excess)} ON TABLE {table} FROM {quote(user)};")
            )
    name = service["name"]
    note = " (a privilege held through PUBLIC or a group role is revoked there)"
    kinds = (
        (
            "db-owner",
            "medium",
            owned,
            f"owns {{n}} table(s) of service '{name}': an owner may alter, drop "
            "and re-grant them whatever is revoked",
            "give the tables to a separate owner role: ",
        ),
        (
            "db-unexposed-privileges",
            "medium",
            unexposed,
            f"holds privileges on {{n}} table(s) of service '{name}' that no Bastion role exposes",
            "revoke them" + note + ": ",
        ),
        (
            "db-unneeded-write",
            "medium",
            writes,
            f"may write {{n}} table(s) of service '{name}' in ways no "
            "Bastion role grants (no matching write verb)",
            "revoke the write privileges" + note + ": ",
        ),
    )
    for code, severity, items, what, fix in kinds:
        if items:
            tables = [t for t, _ in items]
            statements = [s for _, s in items]
            yield Finding(
                code,
                severity,
                f"Account '{user}' {what.format(n=len(items))}: {', '.join(tables[:10])}"
                + (" ..." if len(tables) > 10 else "")
                + ".",
                fix + " ".join(statements),
                (svc | {"tables": tables, "statements": statements},),
                route,
                key,
            )
