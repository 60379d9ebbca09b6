"""Values between JSON and a column's Python type, the same on every engine.

Into the database (`to_python`): JSON values and path ids are converted to the column's Python type before
they are bound, so that a bad value is a 400 naming the field on every engine (SQLite would store "abc" in
an integer column; PostgreSQL refuses a string compared with an integer). Every record write passes each
value through here, so this is also where text no engine can store (NUL, lone surrogates) is refused.

Out to JSON (`to_json`): Decimal becomes a string, so that no precision is lost on the way to a JavaScript
client (DreamFactory does the same for MySQL decimals); date, datetime and time become ISO 8601 strings;
MySQL TIME (a duration, column_types.Duration) becomes "[-]HH:MM:SS[.ffffff]" and is taken back in that
form; bytes become base64; UUIDs become strings; non-finite floats become strings ("nan", "inf"), which JSON
cannot carry as numbers. PostgreSQL arrays are JSON arrays, each item converted as the array's item type.
A column whose type declares no Python type (untyped SQLite, inet, money) takes text, numbers and booleans
as they are, and refuses objects and arrays, which no driver can bind to it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from bastion.data.column_types import Duration, MemberSet, duration_text, members_text, parse_duration

_INTEGER = re.compile(r"-?\d+", re.ASCII)
# Text that spells a number: digits, an optional fraction and exponent (no "1_000", ".5", "0x1f", "NaN").
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", re.ASCII)
# The one set of spellings a boolean value may take, here and in the query string (data/params.py).
TRUE_WORDS, FALSE_WORDS = ("true", "1"), ("false", "0")
BOOLEANS = dict.fromkeys(TRUE_WORDS, True) | dict.fromkeys(FALSE_WORDS, False)
# Every engine stores integers in at most signed 64 bits, and MySQL's DECIMAL holds at most 65 digits.
INT64 = 2**63
UINT64 = 2**64  # MySQL's BIGINT UNSIGNED
MAX_DECIMAL_DIGITS = 65
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_NUL_PROBLEM = "must not contain a NUL character"
_UNSTORABLE_PROBLEM = "must not contain an unpaired surrogate (\\ud800-\\udfff): send valid Unicode text"


def to_python(column: sa.Column, value: Any) -> Any:
    """Convert a JSON value or id text to the column's Python type; ValueError says what was expected."""
    if value is None:
        return value
    check_storable(value)
    if isinstance(column.type, sa.JSON):
        return value
    for type_class, convert in _TYPE_CONVERTERS:
        if isinstance(column.type, type_class):
            return convert(column, value)
    kind = python_type(column)
    if kind is None:
        return _to_scalar(column, value)
    for base, convert in _CONVERTERS:
        if issubclass(kind, base):
            return convert(column, value)
    return value


def python_type(column: sa.Column) -> type | None:
    """The column's Python type, or None when its SQL type declares none (untyped SQLite, inet, year)."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return None
    return None if kind is object else kind


def bound(column: sa.Column, value: Any) -> sa.BindParameter:
    """A converted value as an explicit parameter, for a comparison with the column.

    Explicit, because SQLAlchemy turns a bare True into a constant that '>' rejects. PostgreSQL casts a
    parameter to its column's type, so 2**31 against an int4 column would fail; binding integers as BIGINT
    keeps the comparison (and the index) valid on every engine.
    """
    kind = sa.BigInteger() if python_type(column) is int else column.type
    return sa.bindparam(column.key, value, kind, unique=True)


def check_storable(value: Any) -> None:
    """Refuse a value holding, in any string at any depth (JSON keys too), what no engine can store.

    A lone surrogate ("\\ud800", valid in JSON text but not in Unicode) cannot be encoded as UTF-8 by
    any driver, and PostgreSQL refuses NUL in text and in JSON. Both are refused on every engine, for
    every column type (untyped and JSON columns included), so the answer is the same 400 everywhere.
    """
    pending = [value]
    while pending:  # a loop, not recursion: a deeply nested document must not exhaust the stack
        item = pending.pop()
        if isinstance(item, str):
            found = _UNSTORABLE.search(item)
            if found:
                raise ValueError(_UNSTORABLE_PROBLEM if found.group() != "\x00" else _NUL_PROBLEM)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _to_bool(column: sa.Column, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and str(value).strip().lower() in BOOLEANS:
        return BOOLEANS[str(value).strip().lower()]
    raise ValueError("must be true or false")


def _to_int(column: sa.Column, value: Any) -> int:
    # JSON true/false go into integer columns too: MySQL stores booleans as TINYINT(1).
    number = None
    if isinstance(value, int) or isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    # Beyond 64 bits no engine stores the value, and SQLite's driver fails outside any SQL error.
    low, high = (0, UINT64) if getattr(column.type, "unsigned", False) else (-INT64, INT64)
    if number is not None and low == 0 and number < 0:
        raise ValueError("must be an integer of at least 0 (the column is unsigned)")
    if number is None or not low <= number < high:
        raise ValueError("must be an integer")
    return number


def _to_scalar(column: sa.Column, value: Any) -> Any:
    # A type without a Python type (untyped SQLite, inet, money, xml) gets the value as sent, for the
    # database to judge; only what no driver can bind is refused here.
    if isinstance(value, dict | list):
        raise ValueError("must be text, a number or a boolean")
    if isinstance(value, int) and not -INT64 <= value < INT64:
        raise ValueError("must be a number of at most 64 bits")
    return value


def _to_array(column: sa.Column, value: Any) -> list:
    if not isinstance(value, list):
        raise ValueError("must be an array")
    item = _Item(column.type.item_type)  # type: ignore[attr-defined]
    converted = []
    for index, each in enumerate(value):
        try:
            # A nested array is one more dimension of the same item type (PostgreSQL's int[][] is int[]).
            converted.append(_to_array(column, each) if isinstance(each, list) else to_python(item, each))
        except ValueError as exc:
            raise ValueError(f"item {index}: {exc}") from None
    return converted


class _Item:
    """An array's item type in the place of a column, for to_python."""

    def __init__(self, type_: sa.types.TypeEngine) -> None:
        self.type = type_


def _to_float(column: sa.Column, value: Any) -> float:
    try:
        number = float(_number(value))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValueError("must be a number")
    return number


def _to_decimal(column: sa.Column, value: Any) -> Decimal:
    try:
        # repr() of a float is its shortest exact text, so 0.1 stays 0.1 and not 0.1000000000000000055...
        number = Decimal(repr(value) if isinstance(value, float) else _number(value))
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if not number.is_finite():
        raise ValueError("must be a number")
    if len(number.as_tuple().digits) > MAX_DECIMAL_DIGITS:
        raise ValueError(f"must have at most {MAX_DECIMAL_DIGITS} digits")
    # Only the integer part is checked: every engine rounds extra decimals, but SQLite would keep an
    # out-of-range value that PostgreSQL and MySQL refuse.
    precision, scale = getattr(column.type, "precision", None), getattr(column.type, "scale", None)
    if precision and scale is not None and number and number.adjusted() >= precision - scale:
        raise ValueError(f"must have at most {precision - scale} digits before the decimal point")
    return number


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("not a number")
    text = str(value).strip()
    if isinstance(value, str) and not _NUMBER.fullmatch(text):
        raise ValueError("not a number")
    return text


def _to_str(column: sa.Column, value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("must be text")
    enums = getattr(column.type, "enums", None)
    if enums and value not in enums:
        raise ValueError(f"must be one of: {', '.join(enums)}")
    length = getattr(column.type, "length", None)
    if length and len(value) > length:
        raise ValueError(f"must be at most {length} characters long")
    return value


def _iso(kind: type, parse: Callable[[str], Any], what: str) -> Callable[[sa.Column, Any], Any]:
    def convert(column: sa.Column, value: Any) -> Any:
        if isinstance(value, kind):
            return value
        try:
            parsed = parse(value.strip())
        except (AttributeError, ValueError):
            raise ValueError(f"must be {what}") from None
        # Engines disagree on what an offset means for a column without a time zone, so refuse it.
        if getattr(parsed, "tzinfo", None) and not getattr(column.type, "timezone", False):
            raise ValueError(f"must be {what} without a time zone offset (the column has none)")
        return parsed

    return convert


def _to_bytes(column: sa.Column, value: Any) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (TypeError, ValueError, binascii.Error):
        raise ValueError("must be base64-encoded bytes") from None


# By SQL type first, where the Python type alone does not tell (a PostgreSQL interval is a timedelta too).
_TYPE_CONVERTERS: tuple[tuple[type, Callable[[sa.Column, Any], Any]], ...] = (
    (Duration, lambda column, value: parse_duration(value)),
    (MemberSet, lambda column, value: members_text(column.type, value)),
    (sa.ARRAY, _to_array),
)
# Subclasses first: bool is an int, datetime is a date.
_CONVERTERS: tuple[tuple[type, Callable[[sa.Column, Any], Any]], ...] = (
    (bool, _to_bool),
    (int, _to_int),
    (float, _to_float),
    (Decimal, _to_decimal),
    (str, _to_str),
    (dt.datetime, _iso(dt.datetime, dt.datetime.fromisoformat, "an ISO 8601 date and time")),
    (dt.date, _iso(dt.date, dt.date.fromisoformat, "an ISO 8601 date (YYYY-MM-DD)")),
    (dt.time, _iso(dt.time, dt.time.fromisoformat, "an ISO 8601 time (HH:MM:SS)")),
    (uuid.UUID, _iso(uuid.UUID, uuid.UUID, "a UUID")),
    (bytes, _to_bytes),
)


_PLAIN = frozenset({type(None), bool, int, str, dict, list})
# The common non-plain types by exact type, so that most values take one lookup (this runs per value).
_DIRECT: dict[type, Callable[[Any], str]] = {
    dt.date: dt.date.isoformat,
    dt.datetime: dt.datetime.isoformat,
    dt.time: dt.time.isoformat,
    Decimal: str,
    uuid.UUID: str,
}


def to_json(value: Any) -> Any:
    """A JSON-safe form of one value read from the database (see the module docstring)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    direct = _DIRECT.get(kind)
    if direct is not None:
        return direct(value)
    if isinstance(value, bool | int | str | dict | list):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def row_to_json(row: sa.RowMapping) -> dict[str, Any]:
    """One result row as a JSON-safe object keyed by column name."""
    return {name: to_json(value) for name, value in row.items()}


def rows_to_json(keys: list[str], rows: list[tuple]) -> list[dict[str, Any]]:
    """Many result rows at once; plain values skip the call to to_json (this runs per value of a page)."""
    plain = _PLAIN
    return [
        {k: (v if type(v) in plain else to_json(v)) for k, v in zip(keys, row, strict=True)} for row in rows
    ]
