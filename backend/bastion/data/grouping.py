"""Grouped reads: DreamFactory's ``group`` with aggregate ``fields`` and a ``having`` condition (issue 14 §3).

As in df-sqldb, with ``group`` the ``fields`` list may hold aggregates: ``COUNT(*)``, ``COUNT(x)``,
``SUM(x)``, ``AVG(x)``, ``MIN(x)``, ``MAX(x)`` (any case). Each answers under DreamFactory's name for it:
``COUNT_ALL`` for ``COUNT(*)``, else the function and the column, ``SUM_salary``. DreamFactory has no
``AS alias``, so neither does Bastion. Without ``group`` an aggregate is a 400, as in DreamFactory.

Rules kept here, stricter than DreamFactory's and the same on every engine:

- every column named (grouped, aggregated, in ``having`` or ``order``) is resolved among the caller's
  visible columns, so a hidden column reads exactly like an unknown one (400 "Unknown field");
- every plain field must be a group column and every group column must be listed (the default fields are
  the group columns), so no engine has to guess a value for an ungrouped column;
- ``SUM``/``AVG`` need a numeric column and ``MIN``/``MAX`` an orderable one (a 400 naming both);
- ``having`` is the filter grammar (data/filters.py) over the group columns and the aggregates, named as
  they answer (``COUNT_ALL > 2``, ``SUM_salary >= 1000``); its values are bound parameters;
- the role's row filters and the request's ``filter``/``ids`` are the WHERE clause, so they apply before
  grouping; ``order`` names group columns or aggregates, then the group columns keep pages stable;
- ``AVG`` answers a float on every engine (PostgreSQL and MariaDB would answer a decimal, SQLite a float).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from bastion.data.convert import python_type
from bastion.data.filters import FilterError, parse_filter
from bastion.data.guard import Target
from bastion.data.params import ALL_FIELDS, ListParams
from bastion.errors import BadRequest

_AGGREGATE = re.compile(r"\s*(count|sum|avg|min|max)\s*\(\s*([^()]*?)\s*\)\s*", re.IGNORECASE)
_NUMERIC = (int, float, Decimal)
_ORDERABLE = (*_NUMERIC, str, dt.date, dt.datetime, dt.time)


def is_aggregate(field: str) -> bool:
    """Whether a ``fields`` item is written as an aggregate call, ``SUM(x)``."""
    return _AGGREGATE.fullmatch(field) is not None


class Grouping:
    """The grouped form of one list request, checked against the caller's visible columns."""

    def __init__(self, target: Target, params: ListParams) -> None:
        self.group = target.columns(params.group or ())
        fields = params.fields or tuple(c.name for c in self.group)
        if ALL_FIELDS in fields:
            raise BadRequest("With 'group', list the group columns and aggregates in 'fields', not '*'")
        self.selected: list[sa.ColumnElement[Any]] = []
        self.aggregates: dict[str, sa.ColumnElement[Any]] = {}
        grouped = {c.name for c in self.group}
        for field in fields:
            if is_aggregate(field):
                aggregate = _aggregate(target, field)
                self.aggregates.setdefault(aggregate.name, aggregate)
                self.selected.append(aggregate)
                continue
            column = target.column(field)
            if column.name not in grouped:
                raise BadRequest(
                    f"Field '{field}' must be a group column or an aggregate when 'group' is used"
                )
            self.selected.append(column)
        missing = grouped - {c.name for c in self.selected if isinstance(c, sa.Column)}
        if missing:
            raise BadRequest(f"Group column '{sorted(missing)[0]}' must also be listed in 'fields'")
        # A field listed twice is selected once: two result columns of one name would collide.
        self.selected = list({c.name: c for c in self.selected}.values())
        self.having = _having(self, params) if params.having else None
        self.ordering = self._order(params)

    def named(self) -> dict[str, sa.ColumnElement[Any]]:
        """What ``having`` and ``order`` may name: the group columns and the aggregates' answer names."""
        return {c.name: c for c in self.group} | {a.name: a for a in self.aggregates.values()}

    def find(self, name: str) -> sa.ColumnElement[Any]:
        """A group column or an aggregate by its answer name (any case) or as written (``SUM(x)``)."""
        named = self.named()
        match = _AGGREGATE.fullmatch(name)
        if match is not None:
            name = _answer_name(match.group(1), match.group(2))
        found = named.get(name)
        folded = [value for key, value in named.items() if key.lower() == name.lower()]
        if found is None and len(folded) == 1:
            found = folded[0]
        if found is None:
            raise BadRequest(f"Order field '{name}' must be a group column or an aggregate in 'fields'")
        return found

    def apply(self, stmt: sa.Select) -> sa.Select:
        """GROUP BY the group columns, then HAVING, on a statement whose WHERE is already set."""
        stmt = stmt.group_by(*self.group)
        return stmt.having(self.having) if self.having is not None else stmt

    def _order(self, params: ListParams) -> list[sa.ColumnElement[Any]]:
        """The asked order over group columns and aggregates, then the group columns for stable pages."""
        terms, named = [], set()
        for term in params.order:
            expr = self.find(term.field)
            if term.nulls is not None:
                terms.append(expr.is_(None).desc() if term.nulls == "first" else expr.is_(None).asc())
            terms.append(expr.desc() if term.descending else expr.asc())
            named.add(expr.name)
        return terms + [c.asc() for c in self.group if c.name not in named]

    def count(self, conditions: list[sa.ColumnElement[bool]]) -> sa.Select:
        """How many groups the read has, for ``include_count``, ``count_only`` and paging."""
        groups = self.apply(sa.select(*self.group).where(*conditions)).subquery("bastion_groups")
        return sa.select(sa.func.count()).select_from(groups)


def _aggregate(target: Target, field: str) -> sa.Label:
    match = _AGGREGATE.fullmatch(field)
    assert match is not None
    function, argument = match.group(1).lower(), match.group(2)
    if argument == ALL_FIELDS:
        if function != "count":
            raise BadRequest(f"Aggregate '{field.strip()}': only COUNT takes '*'")
        return sa.func.count().label(_answer_name(function, argument))
    column = target.column(argument)
    kind = python_type(column)
    if function in ("sum", "avg") and kind not in _NUMERIC:
        raise BadRequest(f"Aggregate '{field.strip()}' needs a numeric column; '{column.name}' is not")
    if function in ("min", "max") and kind not in _ORDERABLE:
        raise BadRequest(
            f"Aggregate '{field.strip()}' needs a column of ordered values; '{column.name}' is not"
        )
    name = _answer_name(function, column.name)
    if function == "avg":
        return sa.func.avg(column, type_=sa.Float()).label(name)
    if function == "count":
        return sa.func.count(column).label(name)
    # SUM, MIN and MAX answer in the column's own type, so its values convert as the column's do.
    return getattr(sa.func, function)(column, type_=column.type).label(name)


def _answer_name(function: str, argument: str) -> str:
    """DreamFactory's result name of an aggregate: COUNT_ALL for COUNT(*), else FUNC_column."""
    return "COUNT_ALL" if argument == ALL_FIELDS else f"{function.upper()}_{argument}"


def _having(grouping: Grouping, params: ListParams) -> sa.ColumnElement[bool]:
    text = params.having or ""
    try:
        return parse_filter(text, grouping.named(), dict(params.filter_params))
    except FilterError as exc:
        # The grammar's message names "filter"; here the client sent it as 'having'.
        message = exc.message.replace("filter", "'having'", 1)
        raise BadRequest(message, {"having": text, "position": exc.context["position"]}) from None
