"""A role's row filter checked on save: the value its operator takes, and a literal value's type.

The request path (data/guard.py) denies the whole table when a row filter cannot be applied: the safe
answer at request time, but a role saved with `{"a": 1}`, `1e999` or `"abc"` against an integer column
would then refuse every request while reading fine in the admin API. The same rules run here when the
role is saved, with the request path's own conversion (guard.filter_operand) and the filter grammar's
column rules, and the 400 names what is wrong. A value holding a placeholder (`{user.id}`) is checked
for its shape only: its type depends on the caller.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from bastion.access import PLACEHOLDER
from bastion.data.filter_lexer import show
from bastion.data.filters import comparable, takes_text, type_name
from bastion.data.guard import filter_operand
from bastion.data.operators import LIST_OPERATORS, NULL_OPERATORS, TEXT_OPERATORS, normalize
from bastion.errors import ApiError

ONE_VALUE = "must be one value: text, a number or true/false"


def shape_problem(operator: str, value: Any) -> str | None:
    """What is wrong with the value for the operator, whatever the column; None when nothing is."""
    op = normalize(operator)
    if op in NULL_OPERATORS:
        return None if value is None or value == "" else f"'{op}' takes no value: send null"
    if op in LIST_OPERATORS:
        return _list_problem(op, value)
    if op in TEXT_OPERATORS:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return f"'{op}' needs a text value"
        return _number_problem(value)
    return _one_value_problem(value)


def type_problem(column: sa.Column, operator: str, value: Any) -> str | None:
    """What keeps a literal value from applying to the column; None when it applies or is templated."""
    op = normalize(operator)
    if op in NULL_OPERATORS:
        return None
    if op in TEXT_OPERATORS:
        if not takes_text(column):
            return f"'{op}' needs a text column; '{column.name}' is {type_name(column)}"
        return None
    if not comparable(column):
        return f"column '{column.name}' ({type_name(column)}) cannot be compared with a value"
    if _templated(value):
        return None
    try:
        filter_operand(column, op, value)
    except (ValueError, TypeError, ApiError):
        return f"{_shown(value)} is not a valid value for column '{column.name}' ({type_name(column)})"
    return None


def _list_problem(op: str, value: Any) -> str | None:
    if isinstance(value, str):
        return None if value.strip(" ,") else f"'{op}' needs at least one value"
    if not isinstance(value, list):
        return f"'{op}' needs a list of values (or one text of comma-separated values)"
    if not value:
        return f"'{op}' needs at least one value"
    for i, item in enumerate(value):
        if problem := _one_value_problem(item):
            return f"item {i} {problem}"
    return None


def _one_value_problem(value: Any) -> str | None:
    if value is None:
        return "must not be null: use the operator 'is null'"
    if not isinstance(value, str | int | float):  # bool is an int
        return ONE_VALUE
    return _number_problem(value)


def _number_problem(value: Any) -> str | None:
    # JSON's 1e999 arrives as infinity, which no column stores and which would be saved as null.
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    return None


def _templated(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return any(isinstance(item, str) and PLACEHOLDER.search(item) for item in items)


def _shown(value: Any) -> str:
    return show(repr(value) if not isinstance(value, str) else f"'{value}'")
