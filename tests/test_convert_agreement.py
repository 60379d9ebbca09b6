"""A value means the same in a ?filter=, in a record body and in a role's row filter (data/convert.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bastion.access import FULL_GRANT, Grant, RowFilter
from bastion.data.filters import FilterError, parse_filter
from bastion.data.guard import Target, grant_condition
from bastion.data.writes import prepare_values
from bastion.errors import Forbidden, ValidationError

COLUMN_TYPES = {
    "integer": sa.Integer(),
    "bigint": sa.BigInteger(),
    "boolean": sa.Boolean(),
    "float": sa.Float(),
    "numeric": sa.Numeric(10, 2),
    "text": sa.String(8),
    "enum": sa.Enum("a", "b", name="ab"),
    "date": sa.Date(),
    "datetime": sa.DateTime(),
    "datetime_tz": sa.DateTime(timezone=True),
    "time": sa.Time(),
    "uuid": sa.Uuid(),
}

# JSON values as a body or a role would send them; the filter spells each as its literal.
VALUES = [
    1,
    -7,
    0,
    2,
    1.0,
    1.5,
    2**63,
    "1",
    "1.0",
    " 7 ",
    "-2.5",
    "1e2",
    "1_000",
    ".5",
    "0x1f",
    "NaN",
    "abc",
    "",
    True,
    False,
    "true",
    "TRUE",
    "0",
    "a",
    "123456789",
    "123456789.5",
    "2024-01-02",
    "2024-01-02T03:04:05",
    "2024-01-02T03:04:05+01:00",
    "12:30:00",
    "20200101",
    20200101,
    "123e4567-e89b-12d3-a456-426614174000",
]


def _literal(value) -> str:
    """The value as a ?filter= literal: strings quoted, booleans and numbers as written."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def _table(kind: str) -> sa.Table:
    return sa.Table(
        "t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("c", COLUMN_TYPES[kind])
    )


def _from_filter(table: sa.Table, value):
    try:
        condition = parse_filter(f"c = {_literal(value)}", {"c": table.c.c})
    except FilterError:
        return "refused"
    return list(condition.compile().params.values())[0]


def _from_body(table: sa.Table, value):
    try:
        return prepare_values(Target(table, FULL_GRANT), {"c": value})["c"]
    except ValidationError:
        return "refused"


def _from_role_filter(table: sa.Table, value):
    try:
        condition = grant_condition(table, Grant(filters=(RowFilter("c", "=", value),)))
    except Forbidden:
        return "refused"
    return list(condition.compile().params.values())[0]


@pytest.mark.parametrize("kind", sorted(COLUMN_TYPES))
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_filter_body_and_role_filter_agree(kind, value):
    table = _table(kind)
    results = {
        "filter": _from_filter(table, value),
        "body": _from_body(table, value),
        "role filter": _from_role_filter(table, value),
    }
    assert len({repr(result) for result in results.values()}) == 1, results


@pytest.mark.parametrize(("kind", "value"), [("integer", "1.0"), ("integer", "1_000"), ("float", "1_000")])
def test_the_stricter_rule_is_the_one_kept(kind, value):
    table = _table(kind)
    assert (
        _from_filter(table, value) == _from_body(table, value) == _from_role_filter(table, value) == "refused"
    )


@pytest.mark.parametrize("operator", ["=", "!=", ">", ">=", "<", "<="])
def test_a_role_filter_on_a_boolean_compares_like_a_filter(operator):
    # SQLAlchemy refuses `column > False` outright; a role filter used to reach that error as a 500.
    table = _table("boolean")
    condition = grant_condition(table, Grant(filters=(RowFilter("c", operator, False),)))
    assert list(condition.compile().params.values()) == [False]
