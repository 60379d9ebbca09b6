"""The `filter` query parameter: a hand-written recursive-descent parser (DESIGN §5, §11).

Precedence, from tightest to loosest: a comparison (`col OP value`), then `not`, then `and`, then `or`;
parentheses override it, so `a = 1 or b = 2 and c = 3` means `a = 1 or (b = 2 and c = 3)`.
Keywords are case-insensitive; column names match the caller's readable columns case-insensitively.

DreamFactory's spellings are accepted too (df-core's DbLogicalOperators and DbComparisonOperators): `&&`
and `||` for `and` and `or`; the word operators `eq`, `ne`, `gt`, `gte`, `lt`, `lte` (and `ge`, `le`);
and a `not` after the column, which negates the comparison (`name not like 'J%'`, `id not in (1, 2)`,
`name not contains 'x'`, `id not = 3`). `col not is null` is refused: `col is not null` says it.

Quoting: 'text' is a string ('' escapes a quote); `name` is a column; "x" is a column where a column is
expected and a string where a value is expected (the grammar never compares two columns, so this is
unambiguous). Quoting a value is optional, as in DreamFactory. An unquoted value starts at the first
character after the operator that is not a space, and cannot start with a quote, `(`, `)`, `,`, `and`,
`or`, `&&` or `||`. It runs to the first of: the end of the filter; the `)` that closes the enclosing
group; `&&` or `||`; `and` or `or` as a word of its own (a space before it, and after it a space, `(` or
the end); inside an `in (...)` list, a `,` or the closing `)` (there `and`/`or` do not end an item).
Spaces around it are dropped and the rest is kept as written: `like` values keep `%` and `_`, a quote
inside (`O'Brien`) is a plain character, and balanced parentheses are part of it (`Foo (Bar)`); an
unbalanced `(` is an error rather than a value that swallows the rest of the filter. It is a number if
it reads as one (`-?digits[.digits]`), true, false or null if it spells them (any case), a placeholder
if it is `:name`, and a string otherwise. So a value that contains ` and ` / ` or ` or an unbalanced
parenthesis, or that must be the text 'true', '42' or ':x', has to be quoted: `name = Smith and Jones`
compares name with 'Smith' and then expects a comparison after `and`.

Placeholders: an unquoted `:name` value takes its value from the request's `params` (DreamFactory's
`params[:name]=value`). It is bound like any literal, never spliced into the filter, and a string stays
the string it is (no quote stripping). A placeholder without a parameter is an error; quote `':name'`
to compare with that text.

`col = null` means `col is null`, `col != null` means `col is not null`, and a null inside
`in (...)` / `not in (...)` adds `or col is null` / `and col is not null`. Every literal is coerced to its
column's Python type before it is bound; nothing from the filter ever reaches SQL except as a parameter.

Coercion is data/convert.py's, the same for a record body and a role's row filter: numbers, and strings
that spell them ('42'), fit numeric columns (an integer column refuses 1.5 and the text '1.0');
true/false, 1/0 and 'true'/'false' fit booleans, and true/false fit integers (MySQL's TINYINT(1)); a number
fits a text column as written; dates and times are ISO 8601 strings, with an offset only if the column
has a time zone. `like`, `contains`, `starts with` and `ends with` need a text column.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement

from bastion.data.convert import BOOLEANS, bound, python_type, to_python
from bastion.data.filter_lexer import FilterError, Lexer, Token, show
from bastion.data.operators import TEXT_OPERATORS, compare

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "FilterError", "parse_filter"]

MAX_LENGTH = 4000
MAX_DEPTH = 50

_SYMBOLS = ("=", "!=", "<>", ">", ">=", "<", "<=")
# DreamFactory's word operators (df-core DbComparisonOperators), plus the ge/le spellings clients use.
_WORD_OPERATORS = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "gte": ">=", "lt": "<", "le": "<="}
_WORD_OPERATORS["lte"] = "<="
_JOINERS = {"and": "&&", "or": "||"}
_TYPE_NAMES = {bool: "boolean", int: "integer", float: "number", Decimal: "decimal", str: "text"}
_TYPE_NAMES |= {dt.date: "date", dt.datetime: "datetime", dt.time: "time", uuid.UUID: "uuid"}
_TYPE_NAMES |= {dt.timedelta: "duration"}  # MySQL TIME; a PostgreSQL interval compares with its own text
Params = Mapping[str, Any]


def parse_filter(
    text: str, columns: Mapping[str, sa.Column], params: Params | None = None
) -> ColumnElement[bool]:
    """Parse a filter into a bound SQLAlchemy condition over the given (readable) columns.

    ``params`` maps placeholder names, colon included (``":name"``), to strings, numbers, booleans or None.
    """
    if not text or not text.strip():
        raise FilterError.at(text, 1, "the filter is empty")
    if len(text) > MAX_LENGTH:
        raise FilterError.at(text, MAX_LENGTH + 1, f"the filter is longer than {MAX_LENGTH} characters")
    # NUL and lone surrogates cannot be sent through every database driver, so they stop here.
    bad = next((i for i, ch in enumerate(text, 1) if ch == "\x00" or "\ud800" <= ch <= "\udfff"), 0)
    if bad:
        raise FilterError.at(text, bad, "the filter contains an invalid character")
    return _Parser(text, columns, params or {}).parse()


class _Parser:
    """Recursive descent over the lexer's tokens; one method per grammar rule."""

    def __init__(self, text: str, columns: Mapping[str, sa.Column], params: Params):
        self.text, self.lexer, self.peeked, self.depth = text, Lexer(text), None, 0
        self.columns, self.params, self.folded = dict(columns), params, {}
        for name in columns:
            self.folded.setdefault(name.lower(), []).append(name)

    def error(self, token: Token, problem: str) -> FilterError:
        """The FilterError for a problem found at `token`."""
        return FilterError.at(self.text, token.pos, problem)

    def peek(self) -> Token:
        """The next token in name/keyword mode, without consuming it."""
        if self.peeked is None:
            self.peeked = self.lexer.token()
        return self.peeked

    def take(self) -> Token:
        """Consume and return the next token."""
        token, self.peeked = self.peek(), None
        return token

    def accept(self, kind: str, *texts: str) -> Token | None:
        """Consume and return the next token if it has this kind and (case-insensitively) one of the texts."""
        token = self.peek()
        if token.kind == kind and token.text.lower() in texts:
            return self.take()
        return None

    def take_value(self, in_list: bool = False) -> Token:
        """Consume the next token in value mode (see the module docstring)."""
        if self.peeked is not None:
            # A token peeked in name mode is read again as a value, from where it starts.
            self.lexer.at, self.peeked = self.peeked.pos - 1, None
        return self.lexer.value(in_list)

    def parse(self) -> ColumnElement[bool]:
        """The whole filter: an `or` expression followed by the end."""
        condition = self.joined("or", self.and_, sa.or_)
        if (token := self.take()).kind == "punct" and token.text == ")":
            raise self.error(token, "unbalanced parenthesis")
        if token.kind != "end":
            raise self.error(token, f"expected 'and', 'or' or the end, found '{show(token.text)}'")
        return condition

    def joined(self, word: str, operand, combine) -> ColumnElement[bool]:
        """Operands separated by `word` (or its symbol), combined in one flat clause list."""
        terms = [operand()]
        while self.accept("word", word) or self.accept("op", _JOINERS[word]):
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

    def close(self, opening: Token, expected: str) -> None:
        """Consume the `)` that matches `opening`."""
        token = self.take()
        if token.kind == "end":
            raise self.error(opening, "unbalanced parenthesis")
        if token.kind != "punct" or token.text != ")":
            raise self.error(token, f"expected {expected} or ')', found '{show(token.text)}'")

    @contextlib.contextmanager
    def nested(self, token: Token) -> Iterator[None]:
        """Count nesting (parentheses and `not`) so that a hostile filter cannot exhaust the stack."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(token, f"the filter nests deeper than {MAX_DEPTH} levels")
        try:
            yield
        finally:
            self.depth -= 1

    def comparison(self) -> ColumnElement[bool]:
        """`col [not] OP value`, `col [not] in (...)`, `col is [not] null`: the leaves of the grammar."""
        name, column = self.column()
        negated = self.accept("word", "not")
        operator, op_token = self.operator(negated or name)
        if negated and operator in ("is null", "is not null"):
            raise self.error(negated, "'not' cannot come before 'is'; use 'is not null'")
        if negated and operator == "in":
            operator, negated = "not in", None
        condition = self.leaf(column, name.text, operator, op_token)
        return sa.not_(condition) if negated else condition

    def leaf(self, column: sa.Column, name: str, operator: str, op_token: Token) -> ColumnElement[bool]:
        """The condition of one comparison, once its column and operator are read."""
        if operator in ("is null", "is not null"):
            return compare(column, operator)
        if operator in ("in", "not in"):
            return self.membership(column, name, operator, op_token)
        literal = self.value(op_token)
        if literal.kind == "null" and operator in ("=", "!=", "<>"):
            return compare(column, "is null" if operator == "=" else "is not null")
        if literal.kind == "null":
            raise self.error(
                literal, f"null cannot be used with '{operator}'; use 'is null' or 'is not null'"
            )
        if operator in TEXT_OPERATORS:
            return compare(column, operator, self.text_value(column, name, operator, literal))
        return compare(column, operator, self.coerce(literal, column, name))

    def column(self) -> tuple[Token, sa.Column]:
        """Read a column name, bare or quoted, and find it among the readable columns."""
        token = self.take()
        bare = token.kind == "word" and token.text.lower() not in ("and", "or", "not")
        if not (bare or token.kind in ("name", "dq")):
            found = "the end" if token.kind == "end" else f"'{show(token.text)}'"
            raise self.error(token, f"expected a column name, found {found}")
        exact = token.text in self.columns
        matches = [token.text] if exact else self.folded.get(token.text.lower(), [])
        if len(matches) != 1:
            raise self.error(token, f"{'ambiguous' if matches else 'unknown'} column '{show(token.text)}'")
        return token, self.columns[matches[0]]

    def operator(self, after: Token) -> tuple[str, Token]:
        """Read a comparison operator, returned in the form `compare()` takes, and its last token."""
        token = self.take()
        word = token.text.lower() if token.kind == "word" else None
        if token.kind == "op" and token.text in _SYMBOLS or word in ("like", "contains", "in"):
            return word or token.text, token
        if word in _WORD_OPERATORS:
            return _WORD_OPERATORS[word], token
        if word in ("starts", "ends"):
            return f"{word} with", self.expect(token, "with")
        if word == "is":
            negated = self.accept("word", "not")
            return ("is not null" if negated else "is null"), self.expect(negated or token, "null")
        if token.kind in ("op", "word"):
            raise self.error(token, f"unknown operator '{show(token.text)}'")
        found = "" if token.kind == "end" else f", found '{show(token.text)}'"
        raise self.error(token, f"expected an operator after '{show(after.text)}'{found}")

    def expect(self, after: Token, word: str) -> Token:
        """Consume the keyword that must follow `after`."""
        if not (token := self.accept("word", word)):
            raise self.error(self.peek(), f"expected '{word}' after '{after.text}'")
        return token

    def value(self, after: Token, in_list: bool = False) -> Token:
        """Read one literal: a string, a number, true, false, null, or a `:name` placeholder's value."""
        token = self.take_value(in_list)
        if token.kind == "param":
            return self.placeholder(token)
        if token.kind in ("string", "dq", "number", "bool", "null"):
            return token._replace(kind="string" if token.kind == "dq" else token.kind)
        found = "" if token.kind == "end" else f", found '{show(token.text)}'"
        raise self.error(token, f"expected a value after '{show(after.text)}'{found}")

    def placeholder(self, token: Token) -> Token:
        """The literal a `:name` placeholder stands for, from the request's params."""
        if token.text not in self.params:
            raise self.error(token, f"no value is given for '{token.text}' (send params[{token.text}]=...)")
        value = self.params[token.text]
        if value is None:
            return token._replace(kind="null", text="null")
        if isinstance(value, bool):
            return token._replace(kind="bool", text=str(value).lower())
        if isinstance(value, int | float | Decimal) and math.isfinite(value):
            return token._replace(kind="number", text=str(value))
        if isinstance(value, str):
            return token._replace(kind="string", text=value)
        raise self.error(token, f"the value of '{token.text}' must be a string, number, boolean or null")

    def membership(self, column: sa.Column, name: str, operator: str, after: Token) -> ColumnElement[bool]:
        """`col in (v, ...)` / `col not in (v, ...)`; a null in the list is matched with `is null`."""
        if not (opening := self.accept("punct", "(")):
            raise self.error(self.peek(), f"expected '(' after '{after.text}'")
        literals = [self.value(after, in_list=True)]
        while comma := self.accept("punct", ","):
            literals.append(self.value(comma, in_list=True))
        self.close(opening, "','")
        values = [self.coerce(lit, column, name) for lit in literals if lit.kind != "null"]
        negated = operator == "not in"
        null_test = compare(column, "is not null" if negated else "is null")
        if len(values) == len(literals):
            return compare(column, operator, values)
        if not values:
            return null_test
        return (sa.and_ if negated else sa.or_)(compare(column, operator, values), null_test)

    def text_value(self, column: sa.Column, name: str, operator: str, literal: Token) -> str:
        """The string operand of like / contains / starts with / ends with, on a text column only."""
        if not takes_text(column):
            raise self.error(literal, f"'{operator}' needs a text column; '{name}' is {type_name(column)}")
        if literal.kind == "bool":
            raise self.error(literal, f"'{operator}' needs a text value, found '{literal.text}'")
        # PostgreSQL rejects a LIKE pattern that ends with its escape character, the backslash.
        if operator == "like" and (len(literal.text) - len(literal.text.rstrip("\\"))) % 2:
            raise self.error(literal, "a like pattern cannot end with a single backslash")
        return literal.text

    def coerce(self, literal: Token, column: sa.Column, name: str) -> Any:
        """Convert a literal to the column's Python type, or explain why it cannot be."""
        shown_type = type_name(column)
        if not comparable(column):
            raise self.error(literal, f"column '{name}' ({shown_type}) cannot be compared with a value")
        value = _convert(column, literal)
        if value is None:
            raise self.error(
                literal, f"value '{show(literal.text)}' is not valid for column '{name}' ({shown_type})"
            )
        return bound(column, value)


def takes_text(column: sa.Column) -> bool:
    """Whether like / contains / starts with / ends with apply: a text column (or an untyped one)."""
    is_text = python_type(column) is str and not isinstance(column.type, sa.Enum)
    return is_text or isinstance(column.type, sa.types.NullType)


def comparable(column: sa.Column) -> bool:
    """Whether the column compares with a value (not JSON, not a type without a known conversion)."""
    kind = python_type(column)
    return not isinstance(column.type, sa.JSON) and (kind is None or kind in _TYPE_NAMES)


def type_name(column: sa.Column) -> str:
    """A short name of the column's type for error messages."""
    kind = None if isinstance(column.type, sa.Enum) else python_type(column)
    # The SQL type's own name (json, inet, money), which a dialect's or Bastion's subclass keeps.
    sql_name = getattr(column.type, "__visit_name__", None) or type(column.type).__name__
    return _TYPE_NAMES.get(kind) or getattr(kind, "__name__", None) or sql_name.lower()


def _convert(column: sa.Column, literal: Token) -> Any:
    """The literal as the column's Python type, or None if it is not one.

    A typed column converts through `convert.to_python`, as a body value and a role filter's value do, so
    the three agree on every value. The literal is handed over as the JSON value it spells, except that a
    number stays text for decimal, float and text columns, which keeps it exactly as written.
    """
    text, kind = literal.text, python_type(column)
    if literal.kind == "bool":
        value: Any = BOOLEANS[text.lower()]
    elif literal.kind == "number" and kind not in (Decimal, float, str):
        value = float(text) if "." in text else int(text)
    else:
        value = text
    if kind is None:  # an untyped column keeps the literal's own type
        return value
    try:
        return to_python(column, value)
    except ValueError:
        return None
