"""The `filter` query parameter: a hand-written tokenizer and recursive-descent parser (DESIGN §5).

Precedence, from tightest to loosest: a comparison (`col OP value`), then `not`, then `and`, then `or`;
parentheses override it, so `a = 1 or b = 2 and c = 3` means `a = 1 or (b = 2 and c = 3)`.
Keywords are case-insensitive; column names match the caller's readable columns case-insensitively.

Quoting: 'text' is a string ('' escapes a quote); `name` is a column; "x" is a column where a column is
expected and a string where a value is expected (the grammar never compares two columns, so this is
unambiguous). `col = null` means `col is null`, `col != null` means `col is not null`, and a null inside
`in (...)` / `not in (...)` adds `or col is null` / `and col is not null`. Every literal is coerced to its
column's Python type before it is bound; nothing from the filter ever reaches SQL except as a parameter.

Coercion: numbers, and strings that spell them ('42'), fit numeric columns (an integer column refuses 1.5);
true/false, 1/0 and 'true'/'false' fit booleans, and true/false fit integers (MySQL's TINYINT(1)); a number
fits a text column as written; dates and times are ISO 8601 strings, with an offset only if the column
has a time zone. `like`, `contains`, `starts with` and `ends with` need a text column.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import ColumnElement

from bastion.data.operators import compare
from bastion.errors import BadRequest

MAX_LENGTH = 4000
MAX_DEPTH = 50

_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<number>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_]\w*)|(?P<op>[=!<>]+)|(?P<punct>[(),])",
    re.ASCII,
)
# A quoted string or name; a doubled quote inside stands for one quote.
_QUOTED = {q: re.compile(f"{q}((?:[^{q}]|{q}{q})*){q}") for q in "'\"`"}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)
_TRAILING = re.compile(r"[\w.]+", re.ASCII)
_QUOTES = {"'": "string", '"': "dq", "`": "name"}
_SYMBOLS = ("=", "!=", "<>", ">", ">=", "<", "<=")
_TEXT_OPERATORS = ("like", "contains", "starts with", "ends with")
_TYPE_NAMES = {bool: "boolean", int: "integer", float: "number", Decimal: "decimal", str: "text"}
_TYPE_NAMES |= {dt.date: "date", dt.datetime: "datetime", dt.time: "time", uuid.UUID: "uuid"}
_BOOLS = {"true": True, "false": False, "1": True, "0": False}
_INT64 = 2**63


class FilterError(BadRequest):
    """A filter that cannot be parsed; the message names the problem and its 1-based position."""

    @classmethod
    def at(cls, text: str, position: int, problem: str) -> FilterError:
        """The error for `problem` found at 1-based `position` of `text`."""
        message = f"Invalid filter at position {position}: {problem}"
        return cls(message, {"filter": text, "position": position})


class _Token(NamedTuple):
    """One lexical token and where it starts."""

    kind: str  # word, name, dq, string, number, bool, null, op, punct, end
    text: str  # the source text, or the content of a quoted token
    pos: int  # 1-based


def parse_filter(text: str, columns: Mapping[str, sa.Column]) -> ColumnElement[bool]:
    """Parse a filter into a bound SQLAlchemy condition over the given (readable) columns."""
    if not text or not text.strip():
        raise FilterError.at(text, 1, "the filter is empty")
    if len(text) > MAX_LENGTH:
        raise FilterError.at(text, MAX_LENGTH + 1, f"the filter is longer than {MAX_LENGTH} characters")
    # NUL and lone surrogates cannot be sent through every database driver, so they stop here.
    bad = next((i for i, ch in enumerate(text, 1) if ch == "\x00" or "\ud800" <= ch <= "\udfff"), 0)
    if bad:
        raise FilterError.at(text, bad, "the filter contains an invalid character")
    return _Parser(text, columns).parse()


def _tokenize(text: str) -> list[_Token]:
    """Split a filter into tokens, ending with an `end` token."""
    tokens, i = [], 0
    while i < len(text):
        quote = text[i] if text[i] in _QUOTES else ""
        if not (match := (_QUOTED[quote] if quote else _TOKEN).match(text, i)):
            unterminated = "unterminated quoted name" if quote == "`" else "unterminated string"
            raise FilterError.at(text, i + 1, unterminated if quote else f"unexpected character '{text[i]}'")
        if match.lastgroup == "number" and (junk := _TRAILING.match(text, match.end())):
            raise FilterError.at(text, i + 1, f"invalid number '{_show(text[i : junk.end()])}'")
        if quote:
            tokens.append(_Token(_QUOTES[quote], match.group(1).replace(quote * 2, quote), i + 1))
        elif match.lastgroup != "space":
            tokens.append(_Token(match.lastgroup, match.group(), i + 1))
        i = match.end()
    return [*tokens, _Token("end", "", len(text) + 1)]


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, text: str, columns: Mapping[str, sa.Column]):
        self.text, self.tokens, self.i, self.depth = text, _tokenize(text), 0, 0
        self.columns, self.folded = dict(columns), {}
        for name in columns:
            self.folded.setdefault(name.lower(), []).append(name)

    def error(self, token: _Token, problem: str) -> FilterError:
        """The FilterError for a problem found at `token`."""
        return FilterError.at(self.text, token.pos, problem)

    def take(self) -> _Token:
        """Consume and return the next token."""
        self.i += 1
        return self.tokens[self.i - 1]

    def accept(self, kind: str, *texts: str) -> _Token | None:
        """Consume and return the next token if it has this kind and (case-insensitively) one of the texts."""
        token = self.tokens[self.i]
        if token.kind == kind and token.text.lower() in texts:
            return self.take()
        return None

    def parse(self) -> ColumnElement[bool]:
        """The whole filter: an `or` expression followed by the end."""
        condition = self.joined("or", self.and_, sa.or_)
        if (token := self.take()).kind == "punct" and token.text == ")":
            raise self.error(token, "unbalanced parenthesis")
        if token.kind != "end":
            raise self.error(token, f"expected 'and', 'or' or the end, found '{_show(token.text)}'")
        return condition

    def joined(self, word: str, operand, combine) -> ColumnElement[bool]:
        """Operands separated by `word`, combined in one flat clause list."""
        terms = [operand()]
        while self.accept("word", word):
            terms.append(operand())
        return terms[0] if len(terms) == 1 else combine(*terms)

    def and_(self) -> ColumnElement[bool]:
        return self.joined("and", self.not_, sa.and_)

    def not_(self) -> ColumnElement[bool]:
        if not (token := self.accept("word", "not")):
            return self.primary()
        with self.nested(token):
            return sa.not_(self.not_())

    def primary(self) -> ColumnElement[bool]:
        if not (opening := self.accept("punct", "(")):
            return self.comparison()
        with self.nested(opening):
            condition = self.joined("or", self.and_, sa.or_)
        self.close(opening, "'and', 'or'")
        return condition

    def close(self, opening: _Token, expected: str) -> None:
        """Consume the `)` that matches `opening`."""
        token = self.take()
        if token.kind == "end":
            raise self.error(opening, "unbalanced parenthesis")
        if token.kind != "punct" or token.text != ")":
            raise self.error(token, f"expected {expected} or ')', found '{_show(token.text)}'")

    @contextlib.contextmanager
    def nested(self, token: _Token) -> Iterator[None]:
        """Count nesting (parentheses and `not`) so that a hostile filter cannot exhaust the stack."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(token, f"the filter nests deeper than {MAX_DEPTH} levels")
        try:
            yield
        finally:
            self.depth -= 1

    def comparison(self) -> ColumnElement[bool]:
        """`col OP value`, `col in (...)`, `col is [not] null`: the leaves of the grammar."""
        name, column = self.column()
        operator, op_token = self.operator(name)
        if operator in ("is null", "is not null"):
            return compare(column, operator)
        if operator in ("in", "not in"):
            return self.membership(column, name.text, operator, op_token)
        literal = self.value(op_token)
        if literal.kind == "null" and operator in ("=", "!=", "<>"):
            return compare(column, "is null" if operator == "=" else "is not null")
        if literal.kind == "null":
            raise self.error(
                literal, f"null cannot be used with '{operator}'; use 'is null' or 'is not null'"
            )
        if operator in _TEXT_OPERATORS:
            return compare(column, operator, self.text_value(column, name.text, operator, literal))
        return compare(column, operator, self.coerce(literal, column, name.text))

    def column(self) -> tuple[_Token, sa.Column]:
        """Read a column name, bare or quoted, and find it among the readable columns."""
        token = self.take()
        bare = token.kind == "word" and token.text.lower() not in ("and", "or", "not")
        if not (bare or token.kind in ("name", "dq")):
            found = "the end" if token.kind == "end" else f"'{_show(token.text)}'"
            raise self.error(token, f"expected a column name, found {found}")
        exact = token.text in self.columns
        matches = [token.text] if exact else self.folded.get(token.text.lower(), [])
        if len(matches) != 1:
            raise self.error(token, f"{'ambiguous' if matches else 'unknown'} column '{_show(token.text)}'")
        return token, self.columns[matches[0]]

    def operator(self, after: _Token) -> tuple[str, _Token]:
        """Read a comparison operator, returned in the form `compare()` takes, and its last token."""
        token = self.take()
        word = token.text.lower() if token.kind == "word" else None
        if token.kind == "op" and token.text in _SYMBOLS or word in ("like", "contains", "in"):
            return word or token.text, token
        if word in ("starts", "ends", "not"):
            last = self.expect(token, "in" if word == "not" else "with")
            return f"{word} {last.text.lower()}", last
        if word == "is":
            negated = self.accept("word", "not")
            return ("is not null" if negated else "is null"), self.expect(negated or token, "null")
        if token.kind in ("op", "word"):
            raise self.error(token, f"unknown operator '{_show(token.text)}'")
        found = "" if token.kind == "end" else f", found '{_show(token.text)}'"
        raise self.error(token, f"expected an operator after '{_show(after.text)}'{found}")

    def expect(self, after: _Token, word: str) -> _Token:
        """Consume the keyword that must follow `after`."""
        if not (token := self.accept("word", word)):
            raise self.error(self.tokens[self.i], f"expected '{word}' after '{after.text}'")
        return token

    def value(self, after: _Token) -> _Token:
        """Read one literal: a string, a number, true, false or null."""
        token = self.take()
        if token.kind in ("string", "dq", "number"):
            return token._replace(kind="string" if token.kind == "dq" else token.kind)
        word = token.text.lower()
        if token.kind == "word" and word in ("true", "false", "null"):
            return token._replace(kind="null" if word == "null" else "bool", text=word)
        found = "" if token.kind == "end" else f", found '{_show(token.text)}'"
        hint = " (quote text as 'text')" if token.kind == "word" else ""
        raise self.error(token, f"expected a value after '{_show(after.text)}'{found}{hint}")

    def membership(self, column: sa.Column, name: str, operator: str, after: _Token) -> ColumnElement[bool]:
        """`col in (v, ...)` / `col not in (v, ...)`; a null in the list is matched with `is null`."""
        if not (opening := self.accept("punct", "(")):
            raise self.error(self.tokens[self.i], f"expected '(' after '{after.text}'")
        literals = [self.value(after)]
        while comma := self.accept("punct", ","):
            literals.append(self.value(comma))
        self.close(opening, "','")
        values = [self.coerce(lit, column, name) for lit in literals if lit.kind != "null"]
        negated = operator == "not in"
        null_test = compare(column, "is not null" if negated else "is null")
        if len(values) == len(literals):
            return compare(column, operator, values)
        if not values:
            return null_test
        return (sa.and_ if negated else sa.or_)(compare(column, operator, values), null_test)

    def text_value(self, column: sa.Column, name: str, operator: str, literal: _Token) -> str:
        """The string operand of like / contains / starts with / ends with, on a text column only."""
        is_text = _python_type(column) is str and not isinstance(column.type, sa.Enum)
        if not (is_text or isinstance(column.type, sa.types.NullType)):
            raise self.error(literal, f"'{operator}' needs a text column; '{name}' is {_type_name(column)}")
        if literal.kind == "bool":
            raise self.error(literal, f"'{operator}' needs a text value, found '{literal.text}'")
        # PostgreSQL rejects a LIKE pattern that ends with its escape character, the backslash.
        if operator == "like" and (len(literal.text) - len(literal.text.rstrip("\\"))) % 2:
            raise self.error(literal, "a like pattern cannot end with a single backslash")
        return literal.text

    def coerce(self, literal: _Token, column: sa.Column, name: str) -> Any:
        """Convert a literal to the column's Python type, or explain why it cannot be."""
        kind, type_name = _python_type(column), _type_name(column)
        if isinstance(column.type, sa.JSON) or kind is not None and kind not in _TYPE_NAMES:
            raise self.error(literal, f"column '{name}' ({type_name}) cannot be compared with a value")
        try:
            value = _convert(kind, literal)
        except (ValueError, InvalidOperation):
            value = None
        enums = column.type.enums if isinstance(column.type, sa.Enum) else None
        # Engines disagree on what an offset means for a column without a time zone, so refuse it.
        naive_only = getattr(value, "tzinfo", None) and not getattr(column.type, "timezone", False)
        if value is None or naive_only or enums and value not in enums:
            raise self.error(
                literal, f"value '{_show(literal.text)}' is not valid for column '{name}' ({type_name})"
            )
        # An explicit parameter, because SQLAlchemy turns a bare True into a constant that '>' rejects.
        # PostgreSQL casts a parameter to its column's type, so 2**31 against an int4 column would fail;
        # binding integers as BIGINT keeps the comparison (and the index) valid on every engine.
        return sa.bindparam(column.key, value, sa.BigInteger() if kind is int else column.type, unique=True)


def _python_type(column: sa.Column) -> type | None:
    """The column's Python type, or None when its SQL type declares none (untyped SQLite, inet, year)."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return None
    return None if kind is object else kind


def _type_name(column: sa.Column) -> str:
    """A short name of the column's type for error messages."""
    kind = None if isinstance(column.type, sa.Enum) else _python_type(column)
    return _TYPE_NAMES.get(kind) or getattr(kind, "__name__", None) or type(column.type).__name__.lower()


def _show(text: str, limit: int = 40) -> str:
    """Shorten a user-supplied fragment for an error message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _convert(kind: type | None, literal: _Token) -> Any:
    """The literal as a `kind` value, or None if it is not one; an untyped column keeps the literal's type."""
    text = literal.text
    if kind is None and literal.kind == "number":
        kind = float if "." in text else int
    if literal.kind == "bool" and kind in (bool, int, None):
        return int(_BOOLS[text]) if kind is int else _BOOLS[text]
    if kind in (None, str):
        return None if literal.kind == "bool" else text
    if kind is bool:
        return _BOOLS.get(text.lower())
    if kind in (dt.date, dt.datetime, dt.time, uuid.UUID):
        parse = uuid.UUID if kind is uuid.UUID else kind.fromisoformat
        return parse(text) if literal.kind == "string" else None
    if not (literal.kind == "number" or literal.kind == "string" and _NUMBER.fullmatch(text)):
        return None
    if kind is int:
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() and -_INT64 <= number < _INT64 else None
    if kind is float:
        return value if math.isfinite(value := float(text)) else None
    # Kept within the 65 digits MySQL's DECIMAL allows; PostgreSQL accepts more.
    return value if len((value := Decimal(text)).as_tuple().digits) <= 65 else None
