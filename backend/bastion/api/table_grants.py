"""A caller's grants on other tables of a service, for related records (data/related.py, data/nested.py).

Both ask the one access function (access.ensure) on the real table's component, exactly as a direct
request to that table would: reads need GET, nested writes the verb of each write.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from bastion import access, components
from bastion.auth import Identity
from bastion.components import Component
from bastion.data.schema import case_unique
from bastion.errors import Forbidden


def on_table(table: sa.Table, make: Callable[..., Component] = components.table) -> Component:
    """The component of a real table; its name compares in any case only when no other table shares it."""
    return make(table.name, folds=case_unique(table))


def read_grants(identity: Identity, service: str) -> Callable[[sa.Table], access.Grant | None]:
    """The caller's GET grant on a table of the service, or None when denied (for `related`)."""

    def grant_of(table: sa.Table) -> access.Grant | None:
        try:
            return access.ensure(identity=identity, verb="GET", service=service, component=on_table(table))
        except Forbidden:
            return None

    return grant_of


def write_grants(
    identity: Identity, service: str, allow_delete: bool
) -> tuple[Callable[[sa.Table, str], access.Grant], bool]:
    """How a write reaches related tables (nested.Nesting): each verb on each table, or its 403."""

    def authorize(table: sa.Table, verb: str) -> access.Grant:
        return access.ensure(identity=identity, verb=verb, service=service, component=on_table(table))

    return authorize, allow_delete
