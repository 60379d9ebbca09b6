"""The filter grammar: parsing, errors with positions, coercion, real engines and fuzzing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.data.filters import MAX_DEPTH, MAX_LENGTH, FilterError, parse_filter
from bastion.errors import BadRequest

FIELDS = ("id", "name", "score", "active", "born", "note", "price", "created", "full name")
ROWS = [
    (1, "Alice", 1.5, True, "1990-01-15", "likes tea", "9.99", "2024-01-01 08:00", "Alice Smith"),
    (2, "O'Brien", 2.25, False, "1985-06-30", None, "5.00", "2023-06-01 12:30", "Pat O'Brien"),
    (3, "Bob", -0.5, True, "2000-12-31", "50% off", "12.50", "2024-03-05 00:00", "Bob Jones"),
    (4, "Carol", None, False, None, "no_score", "0.00", "2022-01-01 00:00", "Carol King"),
    (5, "Dave", 10.0, True, "1990-01-15", "noxscore", "9.99", "2024-01-01 08:00", "Bob Dave"),
]


def _person(row: tuple) -> dict:
    person = dict(zip(FIELDS, row, strict=True))
    born = person["born"] and dt.date.fromisoformat(person["born"])
    created = dt.datetime.fromisoformat(person["created"])
    return {**person, "born": born, "price": Decimal(person["price"]), "created": created}


PEOPLE = [_person(row) for row in ROWS]


def _people_table(engine: sa.Engine) -> sa.Table:
    """Create and fill `people` on the engine, then return it as reflection sees it."""
    metadata = sa.MetaData()
    table = sa.Table(
        "people",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("born", sa.Date),
        sa.Column("note", sa.String(40)),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("full name", sa.String(40)),
        sa.Column("secret", sa.String(40)),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{**person, "secret": "x"} for person in PEOPLE])
    return sa.Table("people", sa.MetaData(), autoload_with=engine)


def _readable(table: sa.Table) -> dict[str, sa.Column]:
    """The columns a caller may use: everything but `secret`."""
    return {column.name: column for column in table.c if column.name != "secret"}


def _ids(engine: sa.Engine, table: sa.Table, text: str) -> list[int]:
    condition = parse_filter(text, _readable(table))
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(table.c.id).where(condition)).scalars())


def _oracle(predicate) -> list[int]:
    return sorted(p["id"] for p in PEOPLE if predicate(p))


@pytest.fixture(scope="module")
def sqlite_people():
    """An in-memory SQLite database holding the reflected `people` table."""
    engine = sa.create_engine("sqlite://")
    yield engine, _people_table(engine)
    engine.dispose()


def _pos(p, key, op, value):
    """SQL three-valued comparison: a null on either side never matches."""
    return p[key] is not None and op(p[key], value)


# Each filter with the Python oracle of the rows it must select; chosen so that collation (MySQL
# compares case-insensitively, SQLite's LIKE ignores ASCII case) cannot change the answer.
CASES = [
    ("id = 1", lambda p: p["id"] == 1),
    ("id != 1", lambda p: p["id"] != 1),
    ("id <> 1", lambda p: p["id"] != 1),
    ("id > 2", lambda p: p["id"] > 2),
    ("id >= 2", lambda p: p["id"] >= 2),
    ("id < 2", lambda p: p["id"] < 2),
    ("id <= 2", lambda p: p["id"] <= 2),
    ("id = '3'", lambda p: p["id"] == 3),
    ("id = -1", lambda p: False),
    ("name = 123", lambda p: False),
    ("score > 1", lambda p: _pos(p, "score", float.__gt__, 1.0)),
    ("score = -0.5", lambda p: p["score"] == -0.5),
    ("score in (1.5, 2.25)", lambda p: p["score"] in (1.5, 2.25)),
    ("name = 'O''Brien'", lambda p: p["name"] == "O'Brien"),
    ('name = "O\'Brien"', lambda p: p["name"] == "O'Brien"),
    ("name in ('Alice', 'Bob')", lambda p: p["name"] in ("Alice", "Bob")),
    ("name not in ('Alice', 'Bob')", lambda p: p["name"] not in ("Alice", "Bob")),
    ("note is null", lambda p: p["note"] is None),
    ("note is not null", lambda p: p["note"] is not None),
    ("note = null", lambda p: p["note"] is None),
    ("note != null", lambda p: p["note"] is not None),
    ("note in ('likes tea', null)", lambda p: p["note"] in ("likes tea", None)),
    ("note not in ('likes tea', null)", lambda p: p["note"] not in ("likes tea", None)),
    ("note in (null)", lambda p: p["note"] is None),
    ("note like '%tea'", lambda p: p["note"] == "likes tea"),
    ("note like '%s%'", lambda p: p["note"] is not None and "s" in p["note"]),
    ("note contains '%'", lambda p: p["note"] == "50% off"),
    ("note starts with '50%'", lambda p: p["note"] == "50% off"),
    ("note ends with '_score'", lambda p: p["note"] == "no_score"),
    ("note != 'likes tea'", lambda p: _pos(p, "note", str.__ne__, "likes tea")),
    ("not note = 'likes tea'", lambda p: _pos(p, "note", str.__ne__, "likes tea")),
    ("active = true", lambda p: p["active"]),
    ("active = false", lambda p: not p["active"]),
    ("not active = true", lambda p: not p["active"]),
    ("born > '1990-01-01'", lambda p: _pos(p, "born", dt.date.__gt__, dt.date(1990, 1, 1))),
    ("born in ('1990-01-15', null)", lambda p: p["born"] in (dt.date(1990, 1, 15), None)),
    ("created >= '2024-01-01T08:00:00'", lambda p: p["created"] >= dt.datetime(2024, 1, 1, 8)),
    ("created < '2024-01-01'", lambda p: p["created"] < dt.datetime(2024, 1, 1)),
    ("price = 9.99", lambda p: p["price"] == Decimal("9.99")),
    ("price > '5'", lambda p: p["price"] > 5),
    ("`full name` = 'Alice Smith'", lambda p: p["full name"] == "Alice Smith"),
    ('"full name" starts with "Bob"', lambda p: p["full name"].startswith("Bob")),
    ("id = 2 or id = 3 and active = true", lambda p: p["id"] in (2, 3)),
    ("(id = 2 or id = 3) and active = true", lambda p: p["id"] == 3),
    ("id = 2 or id = 3 and active = false", lambda p: p["id"] == 2),
    ("not (id = 1 or id = 2)", lambda p: p["id"] > 2),
    ("not not id = 1", lambda p: p["id"] == 1),
    ("not id in (1, 2) and not note is null", lambda p: p["id"] > 2 and p["note"] is not None),
    ("ID = 1 OR Name = 'Bob' Or NOTE Is Null", lambda p: p["id"] in (1, 2, 3)),
    ("((id > 1)) and (score < 5 or born is null)", lambda p: p["id"] in (2, 3, 4)),
    # DreamFactory's forms (issue 14): unquoted values, word operators, && and ||, a trailing `not`.
    ("(name like A%) or (name like B%)", lambda p: p["name"] in ("Alice", "Bob")),
    ("name=Bob", lambda p: p["name"] == "Bob"),
    ("name = O'Brien", lambda p: p["name"] == "O'Brien"),
    ('"full name" = Pat O\'Brien', lambda p: p["full name"] == "Pat O'Brien"),
    ("note = 50% off", lambda p: p["note"] == "50% off"),
    ("note like no_score", lambda p: p["note"] in ("no_score", "noxscore")),
    ("note = likes tea or id = 5", lambda p: p["id"] in (1, 5)),
    ("`full name` = Bob Jones and id = 3", lambda p: p["id"] == 3),
    ("(`full name` = Bob Jones) OR (id = 1)", lambda p: p["id"] in (1, 3)),
    ("name in (Alice, O'Brien)", lambda p: p["name"] in ("Alice", "O'Brien")),
    ("name in (Alice and Bob, Bob)", lambda p: p["name"] == "Bob"),
    ("id in (1,2)", lambda p: p["id"] in (1, 2)),
    ("born = 1990-01-15", lambda p: p["born"] == dt.date(1990, 1, 15)),
    ("created >= 2024-01-01T08:00:00", lambda p: p["created"] >= dt.datetime(2024, 1, 1, 8)),
    ("score = -0.5 && active = TRUE", lambda p: p["id"] == 3),
    ("id = 1 || id = 2 && active = true", lambda p: p["id"] == 1),
    ("(id = 1)||(id = 2)", lambda p: p["id"] in (1, 2)),
    ("(id = 1)&&(name = Alice)", lambda p: p["id"] == 1),
    ("id eq 2", lambda p: p["id"] == 2),
    ("id NE 2", lambda p: p["id"] != 2),
    ("id gt 2", lambda p: p["id"] > 2),
    ("id ge 2", lambda p: p["id"] >= 2),
    ("id gte 2", lambda p: p["id"] >= 2),
    ("id lt 2", lambda p: p["id"] < 2),
    ("id le 2", lambda p: p["id"] <= 2),
    ("id LTE 2", lambda p: p["id"] <= 2),
    ("name not like A%", lambda p: not p["name"].startswith("A")),
    ("note not like %tea", lambda p: _pos(p, "note", lambda a, b: not a.endswith(b), "tea")),
    ("note NOT contains %", lambda p: _pos(p, "note", lambda a, b: b not in a, "%")),
    ("note not starts with no", lambda p: _pos(p, "note", lambda a, b: not a.startswith(b), "no")),
    ("name not ends with e", lambda p: not p["name"].endswith("e")),
    ("name not in (Alice, Bob)", lambda p: p["name"] not in ("Alice", "Bob")),
    ("note not in (likes tea, null)", lambda p: p["note"] not in ("likes tea", None)),
    ("id not = 1", lambda p: p["id"] != 1),
    ("id not gt 2", lambda p: p["id"] <= 2),
    ("not (name not like A%)", lambda p: p["name"] == "Alice"),
]


def test_every_engine_returns_the_oracle_rows(scratch_db_url):
    engine = sa.create_engine(scratch_db_url)
    try:
        table = _people_table(engine)
        oracle = {text: _oracle(predicate) for text, predicate in CASES}
        assert {text: _ids(engine, table, text) for text in oracle} == oracle
    finally:
        engine.dispose()


@pytest.mark.parametrize(("text", "predicate"), CASES, ids=[text for text, _ in CASES])
def test_sqlite_returns_the_oracle_rows(sqlite_people, text, predicate):
    assert _ids(*sqlite_people, text) == _oracle(predicate)


@pytest.fixture(scope="module")
def bits():
    """A table holding every combination of three 0/1 columns, to tell groupings apart."""
    engine = sa.create_engine("sqlite://")
    table = sa.Table("bits", sa.MetaData(), *(sa.Column(name, sa.Integer) for name in "abc"))
    table.metadata.create_all(engine)
    rows = [{"a": n >> 2 & 1, "b": n >> 1 & 1, "c": n & 1} for n in range(8)]
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    yield lambda text: _bits_rows(engine, table, text)
    engine.dispose()


def _bits_rows(engine: sa.Engine, table: sa.Table, text: str) -> set[tuple[int, int, int]]:
    condition = parse_filter(text, dict(table.c))
    with engine.connect() as conn:
        return {tuple(row) for row in conn.execute(sa.select(table).where(condition))}


def _truth(predicate) -> set[tuple[int, int, int]]:
    return {(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1) if predicate(a, b, c)}


@pytest.mark.parametrize(
    ("text", "predicate"),
    [
        ("a = 1 or b = 1 and c = 1", lambda a, b, c: a or (b and c)),
        ("a = 1 and b = 1 or c = 1", lambda a, b, c: (a and b) or c),
        ("(a = 1 or b = 1) and c = 1", lambda a, b, c: (a or b) and c),
        ("not a = 1 and b = 1", lambda a, b, c: (not a) and b),
        ("not (a = 1 and b = 1)", lambda a, b, c: not (a and b)),
        ("not a = 1 or b = 1 and not c = 1", lambda a, b, c: (not a) or (b and not c)),
        ("a = 1 or b = 1 or c = 1 and a = 0", lambda a, b, c: a or b or (c and not a)),
        ("NOT NOT a = 1 AND (b = 1 OR (c = 1))", lambda a, b, c: a and (b or c)),
    ],
)
def test_precedence_is_not_then_and_then_or(bits, text, predicate):
    assert bits(text) == _truth(predicate)


def test_or_binds_looser_than_and_changes_the_rows(bits):
    assert bits("a = 1 or b = 1 and c = 1") != bits("(a = 1 or b = 1) and c = 1")


def _error(text: str, columns=None) -> FilterError:
    with pytest.raises(FilterError) as caught:
        parse_filter(text, columns if columns is not None else _COLUMNS)
    return caught.value


_TABLE = sa.Table(
    "t",
    sa.MetaData(),
    sa.Column("id", sa.Integer),
    sa.Column("name", sa.String),
    sa.Column("score", sa.Float),
    sa.Column("price", sa.Numeric),
    sa.Column("ok", sa.Boolean),
    sa.Column("born", sa.Date),
    sa.Column("seen", sa.DateTime),
    sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
    sa.Column("data", sa.JSON),
    sa.Column("blob", sa.LargeBinary),
    sa.Column("loose", sa.types.NullType()),
    sa.Column("salary", sa.Integer),
)
_COLUMNS = {name: column for name, column in _TABLE.c.items() if name != "salary"}


@pytest.mark.parametrize(
    ("text", "position", "problem"),
    [
        ("salary > 1", 1, "unknown column 'salary'"),
        ("id = 1 and salary > 1", 12, "unknown column 'salary'"),
        ("nope = 1", 1, "unknown column 'nope'"),
        ("`salary` = 1", 1, "unknown column 'salary'"),
        ("(id = 1", 1, "unbalanced parenthesis"),
        ("id = 1)", 7, "unbalanced parenthesis"),
        ("((id = 1) or (id = 2)", 1, "unbalanced parenthesis"),
        ("id in (1, 2", 7, "unbalanced parenthesis"),
        ("name = 'abc", 8, "unterminated string"),
        ('name = "abc', 8, "unterminated string"),
        ("`name = 'x'", 1, "unterminated quoted name"),
        ("id == 1", 4, "unknown operator '=='"),
        ("id => 1", 4, "unknown operator '=>'"),
        ("id between 1", 4, "unknown operator 'between'"),
        ("id", 3, "expected an operator after 'id'"),
        ("id 5", 4, "expected an operator after 'id', found '5'"),
        ("id in", 6, "expected '(' after 'in'"),
        ("id in 5", 7, "expected '(' after 'in'"),
        ("id in ()", 8, "expected a value after 'in', found ')'"),
        ("id not in ()", 12, "expected a value after 'in', found ')'"),
        ("id in (1,)", 10, "expected a value after ',', found ')'"),
        ("id in (1 2)", 8, "value '1 2' is not valid for column 'id' (integer)"),
        ("id =", 5, "expected a value after '='"),
        ("name = f(x", 9, "unbalanced parenthesis in a value (quote the value)"),
        ("name = (x)", 8, "expected a value after '=', found '('"),
        ("name = and id = 1", 8, "expected a value after '=', found 'and'"),
        ("name = || id = 1", 8, "expected a value after '=', found '||'"),
        ("name = `x`", 8, "expected a value after '=', found 'x'"),
        ("name = :who", 8, "no value is given for ':who' (send params[:who]=...)"),
        ("id in (1, :n)", 11, "no value is given for ':n' (send params[:n]=...)"),
        ("name not is null", 6, "'not' cannot come before 'is'; use 'is not null'"),
        ("name not", 9, "expected an operator after 'not'"),
        ("name not not like 'a'", 10, "unknown operator 'not'"),
        ("id geq 1", 4, "unknown operator 'geq'"),
        ("id = 1 & id = 2", 6, "value '1 & id = 2' is not valid for column 'id' (integer)"),
        ("id = 1 && ", 11, "expected a column name, found the end"),
        ("id not like 1", 13, "'like' needs a text column; 'id' is integer"),
        ("id is", 6, "expected 'null' after 'is'"),
        ("id is not 1", 11, "expected 'null' after 'not'"),
        ("name starts 'a'", 13, "expected 'with' after 'starts'"),
        ("name ends in ('a')", 11, "expected 'with' after 'ends'"),
        ("id = 1 id = 2", 6, "value '1 id = 2' is not valid for column 'id' (integer)"),
        ("(id = 1 id = 2)", 7, "value '1 id = 2' is not valid for column 'id' (integer)"),
        ("id = '1' id = 2", 10, "expected 'and', 'or' or the end, found 'id'"),
        ("(id = '1' id = 2)", 11, "expected 'and', 'or' or ')', found 'id'"),
        ("id = 1 and", 11, "expected a column name, found the end"),
        ("and id = 1", 1, "expected a column name, found 'and'"),
        ("'id' = 1", 1, "expected a column name, found 'id'"),
        ("id = 1 ; drop table t", 6, "value '1 ; drop table t' is not valid for column 'id' (integer)"),
        ("id = 1 or ; drop table t", 11, "unexpected character ';'"),
        ("12abc = 1", 1, "invalid number '12abc'"),
        ("id = 12abc", 6, "value '12abc' is not valid for column 'id' (integer)"),
        ("id = 1.2.3", 6, "value '1.2.3' is not valid for column 'id' (integer)"),
        ("id = - 1", 6, "value '- 1' is not valid for column 'id' (integer)"),
        ("id = 'abc'", 6, "value 'abc' is not valid for column 'id' (integer)"),
        ("id = 1.5", 6, "value '1.5' is not valid for column 'id' (integer)"),
        ("id in (1, 'x')", 11, "value 'x' is not valid for column 'id' (integer)"),
        ("id = 9223372036854775808", 6, "value '9223372036854775808' is not valid for column 'id' (integer)"),
        ("score = 'high'", 9, "value 'high' is not valid for column 'score' (number)"),
        ("price = true", 9, "value 'true' is not valid for column 'price' (decimal)"),
        ("ok = 'yes'", 6, "value 'yes' is not valid for column 'ok' (boolean)"),
        ("ok = 2", 6, "value '2' is not valid for column 'ok' (boolean)"),
        ("born = '2020-13-01'", 8, "value '2020-13-01' is not valid for column 'born' (date)"),
        ("born = 20200101", 8, "value '20200101' is not valid for column 'born' (date)"),
        ("born > '2020-01-01T10:00'", 8, "value '2020-01-01T10:00' is not valid for column 'born' (date)"),
        ("seen > 'yesterday'", 8, "value 'yesterday' is not valid for column 'seen' (datetime)"),
        ("name = true", 8, "value 'true' is not valid for column 'name' (text)"),
        ("mood = 'angry'", 8, "value 'angry' is not valid for column 'mood' (enum)"),
        ("data = 'x'", 8, "column 'data' (json) cannot be compared with a value"),
        ("blob = 'x'", 8, "column 'blob' (bytes) cannot be compared with a value"),
        ("id > null", 6, "null cannot be used with '>'; use 'is null' or 'is not null'"),
        ("name like null", 11, "null cannot be used with 'like'; use 'is null' or 'is not null'"),
        ("id like '1%'", 9, "'like' needs a text column; 'id' is integer"),
        ("born contains '19'", 15, "'contains' needs a text column; 'born' is date"),
        ("mood starts with 'h'", 18, "'starts with' needs a text column; 'mood' is enum"),
        ("name ends with false", 16, "'ends with' needs a text value, found 'false'"),
        ("name like 'a\\'", 11, "a like pattern cannot end with a single backslash"),
        ("name = 'a\x00b'", 10, "the filter contains an invalid character"),
        ("", 1, "the filter is empty"),
        (" \t\n ", 1, "the filter is empty"),
    ],
)
def test_errors_name_the_problem_and_its_position(text, position, problem):
    error = _error(text)
    assert error.message == f"Invalid filter at position {position}: {problem}"
    assert error.context == {"filter": text, "position": position}


def test_filter_error_is_a_bad_request():
    error = _error("salary = 1")
    assert isinstance(error, BadRequest)
    assert error.code == 400


def test_a_hidden_column_reads_like_a_missing_one():
    assert _error("salary = 1").message.replace("salary", "x") == _error("x = 1").message


def test_length_limit():
    text = "id = 1 or " * (MAX_LENGTH // 10) + "id = 1"
    error = _error(text)
    assert error.context["position"] == MAX_LENGTH + 1
    assert f"longer than {MAX_LENGTH} characters" in error.message


def test_nesting_limit():
    deep = "(" * MAX_DEPTH + "id = 1" + ")" * MAX_DEPTH
    parse_filter(deep, _COLUMNS)
    error = _error("(" + deep + ")")
    assert (
        error.message == f"Invalid filter at position {MAX_DEPTH + 1}: the filter nests deeper than 50 levels"
    )
    parse_filter("not " * MAX_DEPTH + "id = 1", _COLUMNS)
    assert "nests deeper" in _error("not " * (MAX_DEPTH + 1) + "id = 1").message
    assert "nests deeper" in _error("not (" * 26 + "id = 1" + ")" * 26).message


def test_hostile_filters_stay_filter_errors():
    assert "nests deeper" in _error("(" * (MAX_LENGTH // 2)).message
    assert "nests deeper" in _error("not " * (MAX_LENGTH // 4)).message


def test_longest_flat_filters_run_on_sqlite(sqlite_people):
    engine, table = sqlite_people
    ors = ("id = 1 or " * MAX_LENGTH)[: MAX_LENGTH - 6] + "id = 1"
    ors = ors[: ors.rindex(" or ") + 4] + "id = 1"
    assert _ids(engine, table, ors) == [1]
    many = "id in (" + ",".join(["1"] * ((MAX_LENGTH - 10) // 2)) + ")"
    assert _ids(engine, table, many) == [1]


def _params(text: str, columns=None) -> list:
    compiled = parse_filter(text, columns if columns is not None else _COLUMNS).compile()
    return list(compiled.params.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id = '42'", [42]),
        ("id = 42.0", [42]),
        ("id = -7", [-7]),
        ("id = true", [1]),
        ("score = 2", [2.0]),
        ("score = '-2.5'", [-2.5]),
        ("price = 9.99", [Decimal("9.99")]),
        ("ok in (1, 0)", [True, False]),
        ("ok > false", [False]),
        ("name = 42", ["42"]),
        ("name = -4.50", ["-4.50"]),
        ("name = 'O''Brien'", ["O'Brien"]),
        ('name = "say ""hi"""', ['say "hi"']),
        ("name = ''", [""]),
        ("name like 'a%'", ["a%"]),
        ("born = '2020-02-29'", [dt.date(2020, 2, 29)]),
        ("seen >= '2020-02-29'", [dt.datetime(2020, 2, 29)]),
        ("seen < '2020-02-29T10:11:12'", [dt.datetime(2020, 2, 29, 10, 11, 12)]),
        ("mood = 'sad'", ["sad"]),
        ("loose = 1.5", [1.5]),
        ("loose = 7", [7]),
        ("loose = 'x'", ["x"]),
        ("loose like 'x%'", ["x%"]),
        ("id in (1, null, 2)", [1, 2]),
    ],
)
def test_values_are_coerced_to_the_column_type(text, expected):
    assert _params(text) == expected


@pytest.mark.parametrize("text", ["ok = true", "ok = TRUE", "ok = 'True'", "ok = 1", "ok = '1'"])
def test_booleans_are_bound_like_every_other_value(text):
    assert str(parse_filter(text, _COLUMNS).compile()) == "t.ok = :ok_1"
    assert _params(text) == [True]


def test_values_only_ever_travel_as_parameters():
    condition = parse_filter("name = 'x''; drop table t; --' or name like '%'' or 1=1'", _COLUMNS)
    sql = str(condition.compile())
    assert "drop" not in sql and "1=1" not in sql
    assert list(condition.compile().params.values()) == ["x'; drop table t; --", "%' or 1=1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = Van Buren", ["Van Buren"]),
        ("name = \tVan  Buren \n", ["Van  Buren"]),
        ("name = Foo (Bar) and id = 1", ["Foo (Bar)", 1]),
        ("(name = Foo (Bar))", ["Foo (Bar)"]),
        ("name = Sandy or name = Orson", ["Sandy", "Orson"]),
        ("name = x andy", ["x andy"]),
        ("name = x AND(id = 1)", ["x", 1]),
        ("name = J%_\\x", ["J%_\\x"]),
        ("name = 1.5.3", ["1.5.3"]),
        ("name = 007", ["007"]),
        ("id = 007", [7]),
        ("name = 'null'", ["null"]),
        ("name = 10:30", ["10:30"]),
        ("name = ':x'", [":x"]),
        ("name = a,b", ["a,b"]),
        ("name in (a b, c)", ["a b", "c"]),
        ("name in (f(x, y), z)", ["f(x, y)", "z"]),
        ("ok = True", [True]),
        ("name like 'a' or name like b", ["a", "b"]),
    ],
)
def test_unquoted_values_run_to_the_next_connective_or_parenthesis(text, expected):
    assert _params(text) == expected


def test_unquoted_values_are_bound_never_spliced():
    text = "name = x'; drop table t; -- or name like %' union select 1 -- and id = 1"
    condition = parse_filter(text, _COLUMNS)
    sql = str(condition.compile())
    assert "drop" not in sql and "union" not in sql
    assert list(condition.compile().params.values()) == ["x'; drop table t; --", "%' union select 1 --", 1]


def _with(text: str, params: dict) -> list:
    return list(parse_filter(text, _COLUMNS, params).compile().params.values())


def test_placeholders_take_the_params_values_as_bound_literals():
    params = {":name": "O'Brien') or 1=1 --", ":min": "5", ":ok": True, ":n": 7, ":none": None}
    assert _with("name = :name and id > :min", params) == ["O'Brien') or 1=1 --", 5]
    assert _with("ok = :ok and score > :n and id in (:n, :min)", params) == [True, 7.0, 7, 5]
    assert str(parse_filter("name = :none", _COLUMNS, params).compile()) == "t.name IS NULL"
    assert _with("name like :name", {":name": "J%"}) == ["J%"]
    assert _with("name = ':name'", params) == [":name"]
    # A string value is taken as it is: no quote stripping, no second parse.
    assert _with("name = :q", {":q": "'x'"}) == ["'x'"]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({":x": "abc"}, "value 'abc' is not valid for column 'id' (integer)"),
        ({":x": [1]}, "the value of ':x' must be a string, number, boolean or null"),
        ({":x": float("nan")}, "the value of ':x' must be a string, number, boolean or null"),
        ({"x": 1}, "no value is given for ':x' (send params[:x]=...)"),
    ],
)
def test_placeholder_errors(params, problem):
    with pytest.raises(FilterError) as caught:
        parse_filter("id = :x", _COLUMNS, params)
    assert caught.value.message == f"Invalid filter at position 6: {problem}"


def test_dreamfactory_spellings_compile_to_the_same_sql():
    def sql(text):
        return str(parse_filter(text, _COLUMNS).compile())

    assert sql("(id gte 1) && (id LT 2) || (name ne 'a')") == sql("(id >= 1) and (id < 2) or (name != 'a')")
    assert sql("name not like 'a%'") == "t.name NOT LIKE :name_1"
    assert sql("id not in (1, 2)") == sql("id not in (1,2)") == "(t.id NOT IN (:id_1, :id_2))"


def test_null_comparisons_become_is_null():
    assert str(parse_filter("name = NULL", _COLUMNS).compile()) == "t.name IS NULL"
    assert str(parse_filter("name <> null", _COLUMNS).compile()) == "t.name IS NOT NULL"
    assert str(parse_filter("name in (null)", _COLUMNS).compile()) == "t.name IS NULL"
    assert str(parse_filter("name not in (null)", _COLUMNS).compile()) == "t.name IS NOT NULL"


def test_column_names_match_case_insensitively_but_use_the_real_column():
    condition = parse_filter("NAME = 'a' and \"Id\" = 1 and `SCORE` > 1", _COLUMNS)
    assert str(condition.compile()) == "t.name = :name_1 AND t.id = :id_1 AND t.score > :score_1"


def test_an_exact_name_wins_and_a_case_clash_is_ambiguous():
    table = sa.Table("c", sa.MetaData(), sa.Column("Name", sa.String), sa.Column("name", sa.String))
    columns = dict(table.c)
    assert str(parse_filter("\"Name\" = 'a'", columns).compile()) == 'c."Name" = :Name_1'
    assert _error("NAME = 'a'", columns).message == "Invalid filter at position 1: ambiguous column 'NAME'"


def test_keywords_may_be_column_names():
    table = sa.Table("k", sa.MetaData(), *(sa.Column(n, sa.Integer) for n in ("in", "is", "like", "not")))
    columns = dict(table.c)
    assert 'k."in" = :in_1' in str(parse_filter("in = 1 and is = 2 and like in (3)", columns).compile())
    assert str(parse_filter("`not` = 1", columns).compile()) == 'k."not" = :not_1'


def test_every_operator_and_keyword_ignores_case():
    text = "ID IN (1) AND Id Not In (2) AND name LIKE 'a' AND name CONTAINS 'b' AND name Starts With 'c' "
    text += "AND name ENDS WITH 'd' AND score IS NULL AND score IS NOT NULL AND ok = TRUE AND ok = False"
    assert len(parse_filter(text, _COLUMNS).compile().params) == 8


def test_json_columns_can_still_be_null_tested():
    assert str(parse_filter("data is not null", _COLUMNS).compile()) == "t.data IS NOT NULL"


# ---- Fuzzing: anything either parses into a condition SQLite can run, or is a FilterError. ----

_NAMES = ["id", "NAME", "score", "active", "born", "note", "price", "created", "`full name`", '"FULL NAME"']
_NAMES += ["salary", "secret", "`id`", "and", "not", "in", "12"]
_OPERATORS = ["=", "!=", "<>", ">", ">=", "<", "<=", "like", "contains", "starts with", "ENDS WITH"]
_OPERATORS += ["==", "=>", "!", "between", "is", "not like", "starts"]
_OPERATORS += ["eq", "NE", "gt", "ge", "GTE", "lt", "le", "lte", "not =", "NOT contains", "not in", "not is"]
_VALUE_WORDS = ["true", "FALSE", "null", "John", "'2020-01-01'", "'2024-01-01T08:00:00'", "'1.5'", "'-3'"]
_VALUE_WORDS += ["''", "'O''Brien'", '"x"', "1e5", ".5", "-", "'NaN'", "'inf'", "'١٢'", "'4_2'", "(1)"]
_VALUE_WORDS += ["'2024-01-01T08:00:00+02:00'", "'0001-01-01'", "'9999-12-31T23:59:59.999999'", "2147483648"]
# Unquoted values as DreamFactory clients send them, placeholders, and text that looks like more filter.
_VALUE_WORDS += ["J%", "Van Buren", "O'Brien", "Foo (Bar)", "f(x", "x)", "a,b", "50% off", "no_score"]
_VALUE_WORDS += ["1990-01-15", "2024-01-01T08:00:00", "x) or (1=1", "1 or 1=1", ":p", ":missing", "&&"]
_QUOTED_TEXT = st.text(st.sampled_from("ab%_\\'\" -1.:T"), max_size=8).map(
    lambda s: "'" + s.replace("'", "''") + "'"
)
_VALUES = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    _QUOTED_TEXT,
    st.sampled_from(_VALUE_WORDS),
)
_COMPARISONS = st.one_of(
    st.tuples(st.sampled_from(_NAMES), st.sampled_from(_OPERATORS), _VALUES).map(" ".join),
    st.tuples(st.sampled_from(_NAMES), st.sampled_from(["in", "NOT IN"]), st.lists(_VALUES, max_size=4)).map(
        lambda t: f"{t[0]} {t[1]} ({', '.join(t[2])})"
    ),
    st.tuples(st.sampled_from(_NAMES), st.sampled_from(["is null", "IS NOT NULL", "is not"])).map(" ".join),
)
_GRAMMATICAL = st.recursive(
    _COMPARISONS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or", "AND", "Or", "&&", "||"]), inner).map(" ".join),
        inner.map(lambda text: f"not {text}"),
        inner.map(lambda text: f"({text})"),
    ),
    max_leaves=8,
)
_GARBAGE = st.text(st.sampled_from("abdeilnorstuw_IN ()=<>!,'\"`-.0179%\\\t\n;é\x00&|:"), max_size=60)


@st.composite
def _mutated(draw):
    """A grammatical filter with a garbage fragment spliced in somewhere."""
    text, junk = draw(_GRAMMATICAL), draw(_GARBAGE)
    cut = draw(st.integers(0, len(text)))
    return text[:cut] + junk + text[cut:]


@settings(max_examples=300, deadline=None, database=None)
@given(text=st.one_of(_GRAMMATICAL, _GARBAGE, _mutated()))
def test_any_text_parses_to_runnable_sql_or_raises_filter_error(sqlite_people, text):
    engine, table = sqlite_people
    try:
        condition = parse_filter(text, _readable(table), {":p": "1"})
    except FilterError as error:
        assert 1 <= error.context["position"] <= max(len(text), MAX_LENGTH) + 1
        return
    with engine.connect() as conn:
        conn.execute(sa.select(table.c.id).where(condition)).all()
