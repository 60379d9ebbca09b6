"""Reflected column types, adjusted so that every value a database holds reads and writes back unchanged.

SQLAlchemy's reflected types suit an application that created its own schema; over an existing database
some of them lose or break values:

- MySQL DOUBLE and REAL come back as Decimal rounded to 10 places: they are read as floats instead.
- MySQL TIME holds a duration (-838:59:59 to 838:59:59) that SQLAlchemy folds into a time of day, so
  "-01:30:00" read as "22:30:00": it is read and written as a duration (``Duration``).
- MySQL SET is read as a Python set: it is read and written as MySQL spells it, "a,c" (``MemberSet``).
- MariaDB's JSON is LONGTEXT with a CHECK (json_valid(col)): it is read and written as JSON.
- SQLite keeps whatever a row was given, whatever the declared type, so a date column may hold "soon" or
  a number: a value the declared type cannot parse is read as stored instead of failing the whole page
  (``lenient``), and NUMERIC is read exactly as stored rather than rounded to ten places.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

MAX_DURATION = dt.timedelta(hours=838, minutes=59, seconds=59)  # MySQL's TIME range, either sign
_DURATION = re.compile(r"(-?)(\d+):([0-5]\d):([0-5]\d)(?:\.(\d{1,6}))?", re.ASCII)
_JSON_VALID = re.compile(r"^\s*json_valid\s*\(\s*`?([^`()]+?)`?\s*\)\s*$", re.IGNORECASE)


class Duration(mysql.TIME):
    """MySQL TIME as a signed duration: timedelta in Python, "[-]HH:MM:SS[.ffffff]" on the wire."""

    @property
    def python_type(self) -> type:
        return dt.timedelta

    def bind_processor(self, dialect: sa.Dialect) -> Any:
        # PyMySQL spells a negative timedelta wrongly (-1:30 as "-2:30:00"), so the text is sent instead.
        return lambda value: duration_text(value) if isinstance(value, dt.timedelta) else value

    def result_processor(self, dialect: sa.Dialect, coltype: object) -> Any:
        return None  # the driver already gives a timedelta


class MemberSet(mysql.SET):
    """MySQL SET as MySQL spells it: the members in declared order, joined by commas ("" for none)."""

    @property
    def python_type(self) -> type:
        return str

    def result_processor(self, dialect: sa.Dialect, coltype: object) -> Any:
        order = {member: index for index, member in enumerate(self.values)}

        def process(value: Any) -> Any:
            if isinstance(value, set | frozenset):
                return ",".join(sorted(value, key=lambda member: order.get(member, len(order))))
            return value

        return process


def duration_text(value: dt.timedelta) -> str:
    """A duration as "[-]HH:MM:SS[.ffffff]", hours unbounded (MySQL TIME's own spelling)."""
    sign, total = ("-", -value) if value < dt.timedelta(0) else ("", value)
    hours, rest = divmod(total.days * 86400 + total.seconds, 3600)
    text = f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return text + f".{total.microseconds:06d}" if total.microseconds else text


def parse_duration(value: Any) -> dt.timedelta:
    """A Duration's value from its text; ValueError says what was expected."""
    found = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise ValueError("must be a duration [-]HH:MM:SS[.ffffff] (a MySQL TIME)")
    sign, hours, minutes, seconds, fraction = found.groups()
    micro = int((fraction or "").ljust(6, "0"))
    duration = dt.timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds), microseconds=micro)
    if duration > MAX_DURATION:
        raise ValueError("must be between -838:59:59 and 838:59:59")
    return -duration if sign else duration


def members_text(type_: MemberSet, value: Any) -> str:
    """A SET's value from MySQL's text ("c,a") or an array of members, in declared order ("a,c")."""
    members = value if isinstance(value, list) else value.split(",") if isinstance(value, str) else None
    if members is None or not all(isinstance(member, str) for member in members):
        raise ValueError("must be text of comma-separated members, or an array of members")
    chosen = {member for member in members if member != ""}
    if not chosen <= set(type_.values):
        raise ValueError(f"must hold only members of: {', '.join(type_.values)}")
    return ",".join(member for member in type_.values if member in chosen)


def adjust(engine: sa.Engine, metadata: sa.MetaData) -> None:
    """Replace the reflected types that lose values (module docstring); run once, right after reflection."""
    dialect = engine.dialect
    json_columns = _mariadb_json_columns(engine) if getattr(dialect, "is_mariadb", False) else set()
    for table in metadata.tables.values():
        for column in table.columns:
            is_json = table.schema is None and (table.name, column.name) in json_columns
            replaced = _replacement(column, dialect, is_json and isinstance(column.type, sa.String))
            if replaced is not None:
                column.type = replaced


def _replacement(column: sa.Column, dialect: sa.Dialect, is_json: bool) -> sa.types.TypeEngine | None:
    type_ = column.type
    if dialect.name == "mysql":
        if is_json:
            return mysql.JSON()
        if isinstance(type_, sa.Float) and type_.asdecimal:
            return _copy_as(type_, type(type_), asdecimal=False)
        if type(type_) is mysql.TIME:
            return _copy_as(type_, Duration)
        if type(type_) is mysql.SET and not type_.retrieve_as_bitwise:
            return _copy_as(
                type_, MemberSet, length=None
            )  # its length is the longest member's, not the set's
    if dialect.name == "sqlite":
        return lenient(type_, dialect)
    return None


def _copy_as(type_: sa.types.TypeEngine, cls: type, **changes: Any) -> sa.types.TypeEngine:
    copied = cls.__new__(cls)
    copied.__dict__.update(type_.__dict__, **changes)
    return copied


# MariaDB declares a JSON column as LONGTEXT with a column-level CHECK (json_valid(`col`)), which
# SQLAlchemy's reflection does not read; MySQL's own JSON type reflects as JSON.
_MARIADB_CHECKS = (
    "SELECT table_name, check_clause FROM information_schema.check_constraints"
    " WHERE constraint_schema = DATABASE() AND level = 'Column'"
)


def _mariadb_json_columns(engine: sa.Engine) -> set[tuple[str, str]]:
    """(table, column) of every text column that a CHECK (json_valid(col)) constrains: MariaDB's JSON."""
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(_MARIADB_CHECKS).all()
    return {(table, found.group(1)) for table, clause in rows if (found := _JSON_VALID.match(clause or ""))}


def lenient(type_: sa.types.TypeEngine, dialect: sa.Dialect) -> sa.types.TypeEngine | None:
    """The type, reading a stored value its declared type cannot parse as stored (SQLite); None when the
    type needs no change."""
    impl = type_.dialect_impl(dialect)
    if impl.result_processor(dialect, None) is None:
        return None
    exact = isinstance(impl, sa.Numeric) and not isinstance(impl, sa.Float) and impl.asdecimal
    return _copy_as(impl, _lenient_class(type(impl), exact))


@functools.cache
def _lenient_class(base: type, exact: bool) -> type:
    def result_processor(self: Any, dialect: sa.Dialect, coltype: object) -> Any:
        if exact:
            return functools.partial(_exact_decimal, getattr(self, "scale", None))
        if issubclass(base, sa.Boolean):
            return _stored_boolean
        inner = base.result_processor(self, dialect, coltype)

        def process(value: Any) -> Any:
            try:
                return inner(value)
            except (ValueError, TypeError, ArithmeticError):
                return value

        return process

    def bind_processor(self: Any, dialect: sa.Dialect) -> Any:
        # SQLite has no decimal type: text keeps every digit that its NUMERIC affinity can hold (an integer
        # of up to 64 bits exactly), where a float would round it to 15 or so.
        return lambda value: str(value) if isinstance(value, Decimal) else value

    members: dict[str, Any] = {"result_processor": result_processor, "cache_ok": True}
    if exact:
        members["bind_processor"] = bind_processor
    return type(f"Lenient{base.__name__}", (base,), members)


def _stored_boolean(value: Any) -> Any:
    """0 and 1 as false and true; anything else as stored (SQLAlchemy's bool() made 'no' true)."""
    return bool(value) if isinstance(value, int | float) and value in (0, 1) else value


def _exact_decimal(scale: int | None, value: Any) -> Any:
    """A stored number as a Decimal with every digit it has, padded to the column's scale; other values
    (text that is not a number) as stored."""
    # Run on every value of a NUMERIC column of every page read: the whole numbers most such columns hold
    # (an int, or a float like 47800.0 under a scale, which pads it) skip the text round trip.
    kind = type(value)
    whole = kind is float and scale and value and value.is_integer() and -_EXACT_FLOAT < value < _EXACT_FLOAT
    if kind is int:
        number, exponent = Decimal(value), 0
    elif whole:
        number, exponent = Decimal(int(value)), 0
    elif kind is float or kind is str:
        try:
            number = Decimal(repr(value) if kind is float else value)
        except InvalidOperation:
            return value
        exponent = number.as_tuple().exponent
        if not isinstance(exponent, int):
            return number  # NaN or infinity, stored as REAL
        if exponent > 0:
            number = _quantized(number, _ONE)  # 1.2E+19 (a float's text) is spelled out: 12000000000000000000
    else:
        return value
    if scale and exponent > -scale:
        try:  # noqa: SIM105 (a suppress() block costs two calls a value on this common path)
            number = number.quantize(_QUANTA[scale] if scale < len(_QUANTA) else _ONE.scaleb(-scale))
        except InvalidOperation:
            pass  # too many digits to pad (1e300): as stored
    return number


def _quantized(number: Decimal, quantum: Decimal) -> Decimal:
    # Spelling a REAL such as 1e300 out needs more digits than the context's 28: then it stays as it is.
    try:
        return number.quantize(quantum)
    except InvalidOperation:
        return number


_ONE = Decimal(1)
_EXACT_FLOAT = 2.0**53  # below it every whole float is an exact integer
_QUANTA = [_ONE.scaleb(-scale) for scale in range(40)]
