"""The comparison operators shared by the filter grammar and role row filters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.sql.expression import ColumnClause

# Operators that take one value, a list of values, or none.
TEXT_OPERATORS = ("like", "contains", "starts with", "ends with")
SCALAR_OPERATORS = ("=", "!=", "<>", ">", ">=", "<", "<=", *TEXT_OPERATORS)
LIST_OPERATORS = ("in", "not in")
NULL_OPERATORS = ("is null", "is not null")
OPERATORS = SCALAR_OPERATORS + LIST_OPERATORS + NULL_OPERATORS


def normalize(operator: str) -> str:
    """Lower-case an operator and collapse its inner whitespace ("IS  NOT NULL" -> "is not null")."""
    return " ".join(operator.lower().split())


def compare(
    column: ColumnClause, operator: str, value: Any = None, escape: str | None = None
) -> ColumnElement[bool]:
    """Build a bound SQLAlchemy condition; the value is never spliced into SQL text.

    ``escape`` is the escape character of a ``like`` pattern (a row filter's escaped placeholder value).
    """
    op = normalize(operator)
    if op == "=":
        return column == value
    if op in ("!=", "<>"):
        return column != value
    if op == ">":
        return column > value
    if op == ">=":
        return column >= value
    if op == "<":
        return column < value
    if op == "<=":
        return column <= value
    if op == "like":
        return column.like(value, escape=escape) if escape else column.like(value)
    if op == "contains":
        return column.contains(value, autoescape=True)
    if op == "starts with":
        return column.startswith(value, autoescape=True)
    if op == "ends with":
        return column.endswith(value, autoescape=True)
    if op == "in":
        return column.in_(list(value))
    if op == "not in":
        return column.not_in(list(value))
    if op == "is null":
        return column.is_(None)
    if op == "is not null":
        return column.is_not(None)
    raise ValueError(f"unknown operator '{operator}'")
