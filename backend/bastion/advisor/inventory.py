"""What the advisor's checks read of the system database, loaded once per run over one connection.

Plain SQLAlchemy Core over a connection, no Flask: `bastion check` and the admin API load it alike. The
roles are held as the access decision's own snapshots, so "which verbs does a role grant on a table" is
answered by access.evaluate, the function every request asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError as PydanticError

from bastion import access, components
from bastion.access_index import RoleSnapshot
from bastion.models import CorsRule, Service, User
from bastion.models_access import VERBS, AccessEntry, App, Role, UserAppRole
from bastion.models_self_service import RegistrationSetting

WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE")
# Placeholders in row filters resolve to something, so a filtered grant still counts as a grant.
_CONTEXT = {"user.id": 0, "user.email": "", "app.id": 0}


def _rows(conn: sa.Connection, model: Any) -> list[Any]:
    return list(conn.execute(sa.select(model.__table__)).mappings())


def _snapshot(row: Any) -> RoleSnapshot:
    entries = []
    for raw in row["access"] or []:
        try:
            entries.append(AccessEntry.model_validate(raw))
        except PydanticError:
            continue  # an entry the model refuses grants nothing at request time either
    return RoleSnapshot(row["id"], row["name"], bool(row["is_active"]), tuple(entries))


@dataclass(frozen=True)
class Inventory:
    """Apps, roles, users, assignments, services and CORS rules as rows (mappings)."""

    apps: list[Any]
    roles: dict[int, RoleSnapshot]
    users: list[Any]
    assignments: list[Any]
    services: list[Any]
    cors_rules: list[Any]
    registration: list[Any] = field(default_factory=list)

    @classmethod
    def load(cls, conn: sa.Connection) -> Inventory:
        """Read everything the checks need."""
        return cls(
            apps=_rows(conn, App),
            roles={r["id"]: _snapshot(r) for r in _rows(conn, Role)},
            users=_rows(conn, User),
            assignments=_rows(conn, UserAppRole),
            services=_rows(conn, Service),
            cors_rules=sorted(_rows(conn, CorsRule), key=lambda r: r["id"]),
            registration=_rows(conn, RegistrationSetting),
        )

    def active_roles(self) -> list[RoleSnapshot]:
        """The roles that can grant anything."""
        return [r for r in self.roles.values() if r.is_active]

    def verbs_on_table(self, service: str, table: str) -> set[str]:
        """Every verb some active role grants on a table of a service, decided as a request would be."""
        component = components.table(table)
        return {
            verb
            for role in self.active_roles()
            for verb in VERBS
            if access.evaluate(role, verb, service, component, _CONTEXT).allowed
        }

    def role_writes_service(self, service: str) -> bool:
        """Whether some active role grants a write verb on some component of a (database) service."""
        for role in self.active_roles():
            named = [
                e.component for e in role.entries if e.service is None or e.service.lower() == service.lower()
            ]
            for probe in components.probes(named, paths=False):
                if any(access.evaluate(role, v, service, probe, _CONTEXT).allowed for v in WRITE_VERBS):
                    return True
        return False

    def counts(self) -> dict[str, int]:
        """How many services, roles, apps, users, admins and CORS rules there are (the home summary)."""
        return {
            "services": len(self.services),
            "roles": len(self.roles),
            "apps": len(self.apps),
            "users": sum(not u["is_sys_admin"] for u in self.users),
            "admins": sum(bool(u["is_sys_admin"]) for u in self.users),
            "cors_rules": len(self.cors_rules),
        }
