"""May they: the one access decision asked by every data path (DESIGN §4).

Every data operation (list, count, get, create, update, bulk update, delete, bulk delete, docs,
_schema) calls decide(); a denial raises Forbidden, a grant carries the row conditions to AND into
the query and the columns that may be read or written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bastion.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class RowFilter:
    """One row condition of a role entry, its value already resolved ({user.id} etc.)."""

    name: str
    operator: str
    value: Any = None


@dataclass(frozen=True)
class Grant:
    """What a caller may do on one component: row conditions and the visible columns."""

    filters: tuple[RowFilter, ...] = ()
    filter_op: str = "AND"
    fields: frozenset[str] | None = None  # None means every column

    def allows_column(self, name: str) -> bool:
        """Whether the caller may read or write the column."""
        return self.fields is None or name in self.fields


FULL_GRANT = Grant()


def denial(verb: str, service: str, component: str) -> Forbidden:
    """The 403 that says what was denied."""
    return Forbidden(f"{verb} on component '{component}' of service '{service}' is not allowed")


def decide(caller: Any, verb: str, service: str, component: str) -> Grant:
    """Grant or deny one operation on one component of a service, for the caller of the request.

    Sys admins get everything with no row filters. Roles (per app and user) fill in the rest; until a
    caller has one, every other request is denied.
    """
    if caller is None:
        raise Unauthorized("Authentication required: send an API key or a session token")
    if caller.user.is_sys_admin:
        return FULL_GRANT
    raise denial(verb, service, component)
