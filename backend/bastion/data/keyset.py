"""Keyset paging of list reads (``cursor``, DESIGN §5).

A list is ordered by the asked ``order`` terms, then by the key (id_field, else the primary key) so that
pages are stable (guard.Target.ordered writes the ORDER BY). A cursor page continues after the last row
of the previous one with a keyset condition instead of an OFFSET, so a page deep in a large table costs
what the first one does: the database seeks in the index of the sort columns rather than reading and
discarding every row before the page.

The condition is the row-value comparison ``(a, b, id) > (:a, :b, :id)`` written out with OR and AND,
which every engine plans the same way (MariaDB and SQLite compare row values differently from
PostgreSQL): ``a > :a OR (a = :a AND (b > :b OR (b = :b AND id > :id)))``, with ``a >= :a`` in front so
that an index on ``a`` bounds the scan. Nulls sort where the ORDER BY puts them: where ``nulls
first|last`` says, else where the engine puts them (PostgreSQL: above every value; SQLite and MariaDB:
below). A null in the previous row's values is compared with IS NULL; which values were null is part of
the statement's shape (plan key), since it changes the SQL.

A cursor needs a unique order, so its order always ends with the primary key, which the role must be
allowed to read: the token carries the key's values (cursors.py).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement

from bastion.data import cursors
from bastion.data.convert import python_type, to_python
from bastion.data.guard import Target
from bastion.data.params import ListParams
from bastion.errors import BadRequest

SLOT = "bastion_after_"
# Engines whose nulls sort above every value when no NULLS FIRST/LAST is given; the others sort below.
_NULLS_HIGH = {"postgresql": True, "sqlite": False, "mysql": False, "mariadb": False}


@dataclass(frozen=True)
class SortKey:
    """One column of a list's order: its direction and the asked null placement (None: the engine's)."""

    column: sa.Column
    descending: bool = False
    nulls: str | None = None


def unique_tiebreak(target: Target, params: ListParams) -> list[sa.Column]:
    """What completes a cursor's order: id_field's columns if named, then the whole primary key."""
    _require_readable_key(target)
    first = target.columns(params.id_field) if params.id_field else []
    return [*first, *target.primary_key]


def sort_keys(target: Target, params: ListParams, tiebreak: list[sa.Column]) -> list[SortKey]:
    """The columns of the order Target.ordered writes: the asked terms, then the tiebreak not yet named."""
    keys = [SortKey(target.column(t.field), t.descending, t.nulls) for t in params.order]
    named = {key.column.name for key in keys}
    for column in tiebreak:
        if column.name not in named:
            keys.append(SortKey(column))
            named.add(column.name)
    return keys


class Keyset:
    """The cursor side of one list read: where the page starts and the token of where it ends."""

    def __init__(self, target: Target, params: ListParams, dialect: str, secret: bytes) -> None:
        self.tiebreak = unique_tiebreak(target, params)
        self.keys = sort_keys(target, params, self.tiebreak)
        self.secret = secret
        self.query = _query(target.table.schema, target.name, params.shape())
        self.nulls_after = [_nulls_after(key, dialect) for key in self.keys]
        self.after = self._start(params.cursor) if params.cursor else None

    @property
    def columns(self) -> list[sa.Column]:
        """The sort columns, which the page must select to write the next token."""
        return [key.column for key in self.keys]

    @property
    def pattern(self) -> tuple[bool, ...] | None:
        """Which previous values are null (None on a first page): part of the statement's shape."""
        return None if self.after is None else tuple(value is None for value in self.after)

    def slots(self) -> dict[str, Any]:
        """The previous row's values by slot name, bound per run."""
        after = self.after or []
        return {f"{SLOT}{i}": value for i, value in enumerate(after) if value is not None}

    def condition(self) -> ColumnElement[bool] | None:
        """Rows strictly after the previous page's last row in this order; None on a first page."""
        if self.after is None:
            return None
        slots = [
            _slot(i, key.column, value)
            for i, (key, value) in enumerate(zip(self.keys, self.after, strict=True))
        ]
        # Built from the last key back; None stands for "no row", which SQLite would render as `0 = 1`
        # and which, ORed into the condition, would keep it from using the key's index.
        rest: ColumnElement[bool] | None = None
        for index in reversed(range(len(self.keys))):
            key, slot, after = self.keys[index], slots[index], self.nulls_after[index]
            tied = None if rest is None else sa.and_(_tie(key, slot), rest)
            terms = [term for term in (_beyond(key, slot, after), tied) if term is not None]
            rest = sa.or_(*terms) if len(terms) > 1 else (terms[0] if terms else None)
        if rest is None:
            return sa.false()  # the previous page ended on the last row there can be
        lead = _lower_bound(self.keys[0], slots[0], self.nulls_after[0]) if len(self.keys) > 1 else None
        return rest if lead is None else sa.and_(lead, rest)

    def token(self, record: dict[str, Any]) -> str:
        """The token that continues after this record (the page's last, in JSON form)."""
        return cursors.encode(self.secret, self.query, [record[c.name] for c in self.columns])

    def _start(self, token: str) -> list[Any]:
        values = cursors.decode(self.secret, self.query, token)
        if len(values) != len(self.keys):
            raise BadRequest(f"Parameter '{cursors.NAME}' does not fit this table; start again")
        return [_position(key.column, value) for key, value in zip(self.keys, values, strict=True)]


def _position(column: sa.Column, value: Any) -> Any:
    """A token's value as the column's Python type; a scalar the type cannot parse stays as it is.

    The token is signed, so its values were read from rows: one that does not convert is a value read as
    stored (SQLite text in a DATE column, PostgreSQL's 'infinity'; data/column_types.py, pg_values.py),
    which the database compares as it stores it.
    """
    try:
        return to_python(column, value)
    except ValueError:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return value
        # The table changed since the token was written (a column's type): the position is lost.
        raise BadRequest(f"Parameter '{cursors.NAME}' no longer fits this table; start again") from None


@functools.lru_cache(maxsize=1024)
def _query(schema: str | None, table: str, shape: ListParams) -> str:
    """The digest a token is bound to: the read's shape, whether or not the page is the first."""
    return cursors.query_digest(schema, table, dataclasses.replace(shape, cursor=None))


def _require_readable_key(target: Target) -> None:
    key = target.primary_key
    # The token carries the key's values, so a hidden key would leak through it; a view has none.
    if not key or not all(target.grant.allows_column(c.name) for c in key):
        raise BadRequest(
            f"Parameter '{cursors.NAME}' needs a primary key this role may read, which table "
            f"'{target.name}' does not offer; page with 'offset'"
        )


def _nulls_after(key: SortKey, dialect: str) -> bool:
    """Whether this key's nulls come after its values in the page order."""
    if key.nulls is not None:
        return key.nulls == "last"
    if not key.column.nullable:
        return False
    high = _NULLS_HIGH.get(dialect)
    if high is None:
        raise BadRequest(
            f"Ordering by '{key.column.name}' with a cursor needs 'nulls first' or 'nulls last' "
            "on this engine"
        )
    return high != key.descending


def _slot(index: int, column: sa.Column, value: Any) -> sa.BindParameter | None:
    if value is None:
        return None
    # Integers bind as BIGINT, as in convert.bound: PostgreSQL would refuse 2**31 as an int4 parameter.
    kind = sa.BigInteger() if python_type(column) is int else column.type
    return sa.bindparam(f"{SLOT}{index}", value, type_=kind)


def _beyond(key: SortKey, slot: sa.BindParameter | None, nulls_after: bool) -> ColumnElement[bool] | None:
    """Rows whose value of this key sorts strictly after the previous row's; None when there are none."""
    column = key.column
    if slot is None:
        return None if nulls_after else column.is_not(None)
    beyond = column < slot if key.descending else column > slot
    return sa.or_(beyond, column.is_(None)) if nulls_after else beyond


def _tie(key: SortKey, slot: sa.BindParameter | None) -> ColumnElement[bool]:
    return key.column.is_(None) if slot is None else key.column == slot


def _lower_bound(
    key: SortKey, slot: sa.BindParameter | None, nulls_after: bool
) -> ColumnElement[bool] | None:
    """A redundant range on the first sort column, so that its index bounds the scan."""
    if slot is None or nulls_after:
        return None
    return key.column <= slot if key.descending else key.column >= slot
