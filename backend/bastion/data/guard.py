"""A table seen through a Grant: its row condition and the columns the caller may use.

Every record operation goes through a Target, so the row condition is built in one place and ANDed into
every statement, and every column name the caller sends is resolved against the visible columns only.
An unknown column and a hidden one give the same message, so hidden columns cannot be probed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement

from bastion.access import Grant
from bastion.data.convert import bound, to_python
from bastion.data.operators import LIST_OPERATORS, NULL_OPERATORS, TEXT_OPERATORS, compare, normalize
from bastion.data.params import ALL_FIELDS
from bastion.errors import BadRequest, Forbidden

log = logging.getLogger("bastion")


def grant_condition(table: sa.Table, grant: Grant) -> ColumnElement[bool] | None:
    """The grant's row filters as one bound condition (AND or OR), or None when there are none."""
    if not grant.filters:
        return None
    terms = [_row_filter(table, f.name, f.operator, f.value, f.private, f.escape) for f in grant.filters]
    return sa.or_(*terms) if grant.filter_op.upper() == "OR" else sa.and_(*terms)


def _row_filter(
    table: sa.Table, name: str, operator: str, value: Any, private: bool = False, escape: str | None = None
) -> ColumnElement[bool]:
    # A role filter that cannot be applied must deny access, never widen it or be skipped.
    column = table.c.get(name)
    try:
        if column is None:
            raise ValueError(f"table has no column {name!r}")
        return compare(column, operator, filter_operand(column, operator, value), escape)
    except (ValueError, TypeError, BadRequest) as exc:
        # A private lookup's value never reaches the log, nor does the converter's message that quotes it.
        shown, why = ("(private lookup)", type(exc).__name__) if private else (value, exc)
        log.error("row filter %r %r %r cannot apply to table %r: %s", name, operator, shown, table.name, why)
        raise Forbidden(f"A row filter of this role cannot be applied to table '{table.name}'") from None


def filter_operand(column: sa.Column, operator: str, value: Any) -> Any:
    """A row filter's value as its comparison takes it; ValueError, TypeError or BadRequest when it cannot.

    Roles are checked with this on save (services/filter_values.py), so a literal value that the request
    path could not apply is refused there rather than denying every request.
    """
    op = normalize(operator)
    if op in LIST_OPERATORS:
        items = [item.strip() for item in value.split(",")] if isinstance(value, str) else list(value)
        return [to_python(column, item) for item in items]
    if op in TEXT_OPERATORS:
        return str(value)
    if op in NULL_OPERATORS:
        return value
    return bound(column, to_python(column, value))


def unknown_field(name: str) -> BadRequest:
    """The one error for a column that does not exist or that the caller may not see."""
    return BadRequest(f"Unknown field '{name}'")


class Target:
    """One table as one caller may use it."""

    def __init__(self, table: sa.Table, grant: Grant):
        self.table = table
        self.grant = grant
        self.name = table.name

    @cached_property
    def visible(self) -> dict[str, sa.Column]:
        """The columns the caller may read, write and name, by name, in table order."""
        return {c.name: c for c in self.table.columns if self.grant.allows_column(c.name)}

    @cached_property
    def condition(self) -> ColumnElement[bool] | None:
        """The grant's row condition, built once per operation."""
        return grant_condition(self.table, self.grant)

    @cached_property
    def primary_key(self) -> list[sa.Column]:
        """The table's primary-key columns in key order (used internally, visible or not)."""
        return list(self.table.primary_key.columns)

    def where(self, *conditions: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
        """The given conditions plus the row condition, for ``.where(*...)``."""
        return [c for c in (*conditions, self.condition) if c is not None]

    def find(self, name: str) -> sa.Column | None:
        """A visible column by name: exact, else case-insensitive when that is unambiguous."""
        column = self.visible.get(name)
        if column is None:
            folded = [c for key, c in self.visible.items() if key.lower() == name.lower()]
            column = folded[0] if len(folded) == 1 else None
        return column

    def column(self, name: str) -> sa.Column:
        """A visible column by name, or the 'Unknown field' 400."""
        column = self.find(name)
        if column is None:
            raise unknown_field(name)
        return column

    def columns(self, names: Iterable[str]) -> list[sa.Column]:
        """Visible columns by name, in the order given, without duplicates."""
        found: dict[str, sa.Column] = {}
        for name in names:
            column = self.column(name)
            found.setdefault(column.name, column)
        return list(found.values())

    def output(self, fields: tuple[str, ...] | None, default: list[sa.Column]) -> list[sa.Column]:
        """The columns to return: the default when fields is None, all visible for '*'."""
        if fields is None:
            return default
        if ALL_FIELDS in fields:
            return list(self.visible.values())
        return self.columns(fields)

    def ordered(self, terms: Iterable[Any], tiebreak: list[sa.Column]) -> list[ColumnElement[Any]]:
        """ORDER BY for params.OrderTerm items, then the tiebreak columns not already named (stable pages).

        ``nulls first|last`` is an ``IS NULL`` sort key before the column, the same SQL on every engine.
        """
        order, named = [], set()
        for term in terms:
            column = self.column(term.field)
            if term.nulls is not None:
                # `col IS NULL` sorts false (0) before true (1); descending it puts the nulls first.
                order.append(column.is_(None).desc() if term.nulls == "first" else column.is_(None).asc())
            order.append(column.desc() if term.descending else column.asc())
            named.add(column.name)
        return order + [c.asc() for c in tiebreak if c.name not in named]

    def require_writable(self) -> None:
        """Refuse writes to views and to tables without a primary key (no way to re-check a row)."""
        if self.table.info.get("is_view") or not self.primary_key:
            raise BadRequest(
                f"Table '{self.name}' has no primary key (or is a view); its records cannot be written"
            )
