"""May they: the one access decision asked by every data path (DESIGN §4).

Every data operation (list, count, get, create, update, bulk update, delete, bulk delete, docs,
_schema) calls decide(); a denial raises Forbidden, a grant carries the row conditions to AND into
the query and the columns that may be read or written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
