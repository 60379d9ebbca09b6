"""Fuzzing the data API's read parameters over HTTP on SQLite, PostgreSQL and MariaDB (DESIGN §5, §6).

Hypothesis sends `filter`, `order`, `fields`, `limit`, `offset`, `ids` and `id_field` query strings
(DreamFactory's spellings too: unquoted values, `params[:p]`, aliases, `nulls first`, `as_list`), and
ids in the by-id path, both grammatical and garbage (SQL-injection-looking text included), through the
Flask test client. Whatever it sends, the answer is never a 5xx, and every error is the JSON envelope
with a message. Each read is sent twice: the first runs through SQLAlchemy, the second through the read
plan compiled for its shape (data/read_plans.py), and both must answer the same.
"""

from __future__ import annotations

import contextlib
import os
import urllib.parse
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bastion.db import session_scope
from bastion.migrate import upgrade
from bastion.models import AdminCreate
from bastion.services import accounts
from tests.conftest import ADMIN_PASSWORD, make_app
from tests.databases import ENGINES, config_from_url, scratch_database

# A longer hunt than make test's: BASTION_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/test_*fuzz*.py
FUZZ = settings(
    max_examples=int(os.environ.get("BASTION_FUZZ_EXAMPLES", "150")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

COLUMNS = ["id", "name", "note", "price", "qty", "active", "born", "seen"]
TABLES = ["items", "tags"]


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory):
    """One app (SQLite system database) and an admin's headers for the whole module."""
    folder = tmp_path_factory.mktemp("fuzz")
    system_url = f"sqlite:///{folder / 'system.db'}"
    upgrade(system_url)
    app = make_app(system_url, str(folder))
    with app.app_context(), session_scope() as db:
        accounts.create_admin(db, AdminCreate(email="fuzz@example.com", name="Fuzz", password=ADMIN_PASSWORD))
    client = app.test_client()
    login = client.post(
        "/api/v2/system/admin/session", json={"email": "fuzz@example.com", "password": ADMIN_PASSWORD}
    )
    assert login.status_code == 200, login.get_json()
    yield client, {"Authorization": f"Bearer {login.get_json()['session_token']}"}
    app.extensions["bastion.engines"].dispose_all()
    app.extensions["bastion.db"].dispose()


def _fill(url: str) -> None:
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    items = sa.Table(
        "items",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("qty", sa.Integer),
        sa.Column("active", sa.Boolean),
        sa.Column("born", sa.Date),
        sa.Column("seen", sa.DateTime),
    )
    tags = sa.Table(
        "tags",
        metadata,
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("label", sa.String(40)),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        for i in range(1, 8):
            conn.execute(
                items.insert().values(
                    name=f"item {i}' or ''='",
                    note=None if i % 3 == 0 else "x%_\\y",
                    price=i * 1.25,
                    qty=i,
                    active=i % 2 == 0,
                    born=sa.func.current_date(),
                    seen=sa.func.current_timestamp(),
                )
            )
        conn.execute(tags.insert(), [{"code": c, "label": c.upper()} for c in ("a", "b", "o'brien", "1")])
    engine.dispose()


@contextlib.contextmanager
def filled_service(client, headers, engine: str, folder: str) -> Iterator[tuple[str, str]]:
    """A service `fuzz_<engine>` over a filled scratch database; yields its base URL and database URL."""
    with scratch_database(engine, folder) as url:
        _fill(url)
        name = f"fuzz_{engine}"
        created = client.post(
            "/api/v2/system/service",
            json={"name": name, "config": config_from_url(url, max_records=5)},
            headers=headers,
        )
        assert created.status_code == 201, created.get_json()
        yield f"/api/v2/{name}", url
        client.application.extensions["bastion.engines"].dispose_all()


@pytest.fixture(scope="module", params=ENGINES)
def fuzz_service(request, fuzz_client, tmp_path_factory):
    """A service over a scratch database of each engine; yields the client, headers and base URL."""
    client, headers = fuzz_client
    with filled_service(client, headers, request.param, str(tmp_path_factory.mktemp("fuzzdb"))) as (base, _):
        yield client, headers, base


# ---- Strategies ----

INJECTIONS = [
    "1' OR '1'='1",
    "1 OR 1=1",
    "1; DROP TABLE items; --",
    "' UNION SELECT NULL--",
    "1) UNION SELECT sqlite_version() --",
    "id) or (1=1",
    "name desc; select pg_sleep(1)",
    "(SELECT 1)",
    "1 AND SLEEP(1)",
    "1' AND (SELECT 1 FROM pg_sleep(1))::text='1",
    "id`--",
    '"; --',
    "name/**/desc",
    "CASE WHEN 1=1 THEN id ELSE name END",
    "1e309",
    "0x41",
    "%27",
    "\\'",
    "\x00",
    "id\x00",
    "ıd",
    "İD",
    "name COLLATE nocase",
    "1::int",
    "$1",
    "?",
    ":name_1",
]
WORDS = st.sampled_from(COLUMNS + ["code", "label", "ID", "Name", "nope", "*", "items.id", ""] + INJECTIONS)
GARBAGE = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.text(st.sampled_from("idnameprcqty,;()'\"`*=<>!-_ \t\n%\\.019\x00é"), max_size=40),
)
INTEGER_TEXT = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["0", "1", " 3 ", "+2", "1e3", "1.0", "٣", "²", "9" * 40, "0x10", "", "-0"]),
)
VALUES = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(st.sampled_from("ab%_\\'\" -1.:T\x00"), max_size=8).map(
        lambda s: "'" + s.replace("'", "''") + "'"
    ),
    st.sampled_from(["true", "null", "'2024-02-30'", "'2024-01-01T08:00:00+02:00'", "'NaN'", "'inf'"]),
    st.sampled_from(INJECTIONS),
    # Unquoted values and placeholders, as DreamFactory clients send them (issue 14).
    st.sampled_from(["J%", "item 1' or ''='", "x%_\\y", "Foo (Bar)", "f(x", "a,b", ":p", ":nope", "o'brien"]),
)
COMPARISON = st.one_of(
    st.tuples(
        WORDS,
        st.sampled_from(
            ["=", "!=", "<>", ">", "<=", "like", "contains", "starts with", "ends with", "=="]
            + ["eq", "NE", "gte", "le", "not like", "not =", "NOT contains"]
        ),
        VALUES,
    ).map(" ".join),
    st.tuples(WORDS, st.sampled_from(["in", "not in"]), st.lists(VALUES, max_size=4)).map(
        lambda t: f"{t[0]} {t[1]} ({', '.join(t[2])})"
    ),
    st.tuples(WORDS, st.sampled_from(["is null", "is not null"])).map(" ".join),
)


def _combined(inner):
    """Filters joined by a connective, or parenthesised."""
    joined = st.tuples(inner, st.sampled_from(["and", "or", "AND NOT", "&&", "||"]), inner).map(" ".join)
    return st.one_of(joined, inner.map(lambda text: f"({text})"))


FILTER = st.one_of(st.recursive(COMPARISON, _combined, max_leaves=5), GARBAGE, st.sampled_from(INJECTIONS))
ORDER = st.one_of(
    st.lists(
        st.tuples(
            WORDS,
            st.sampled_from(
                ["", " asc", " DESC", " up", " desc desc", "; --", " nulls first", " DESC NULLS LAST"]
            ),
        ).map("".join),
        max_size=3,
    ).map(",".join),
    GARBAGE,
)
NAME_LIST = st.one_of(st.lists(WORDS, max_size=4).map(",".join), GARBAGE)
IDS = st.one_of(
    st.lists(st.one_of(INTEGER_TEXT, WORDS, VALUES), max_size=5).map(lambda xs: ",".join(xs)),
    st.lists(st.lists(INTEGER_TEXT, min_size=1, max_size=3).map(",".join), max_size=3).map(";".join),
    GARBAGE,
)
QUERY = st.fixed_dictionaries(
    {},
    optional={
        "filter": FILTER,
        "order": ORDER,
        "fields": NAME_LIST,
        "limit": st.one_of(INTEGER_TEXT, GARBAGE),
        "offset": st.one_of(INTEGER_TEXT, GARBAGE),
        "ids": IDS,
        "id_field": NAME_LIST,
        "include_count": st.sampled_from(["true", "0", "yes", ""]),
        "params[:p]": st.one_of(VALUES, GARBAGE),
        "as_list": st.sampled_from(["true", "0", "yes"]),
        "_": st.just("123"),
    },
)


# Queries built from the table's real columns with values of their types, so that most of them reach the
# database: garbage alone would mostly stop at the first parameter check.
TYPED_VALUES = {
    "int": st.one_of(st.integers(-(2**31), 2**31 - 1).map(str), st.integers(-9, 9).map(str)),
    "text": st.one_of(
        st.text(st.sampled_from("ab%_\\'\" -1\x00é"), max_size=8).map(
            lambda s: "'" + s.replace("'", "''") + "'"
        ),
        st.text(st.sampled_from("ab%_\\' -1é()"), min_size=1, max_size=8),  # unquoted, as DreamFactory's
    ),
    "decimal": st.decimals(-(10**8), 10**8, places=2, allow_nan=False).map(str),
    "bool": st.sampled_from(["true", "false", "1", "0", "'true'"]),
    "date": st.dates().map(lambda d: f"'{d.isoformat()}'"),
    "datetime": st.datetimes().map(lambda d: f"'{d.isoformat()}'"),
}
TABLE_COLUMNS = {
    "items": {
        "id": "int",
        "name": "text",
        "note": "text",
        "price": "decimal",
        "qty": "int",
        "active": "bool",
        "born": "date",
        "seen": "datetime",
    },
    "tags": {"code": "text", "label": "text"},
}
TEXT_OPERATORS = ["like", "contains", "starts with", "ends with"]


@st.composite
def typed_comparison(draw, table: str) -> str:
    """`col OP value` with a value of the column's type (now and then of another type)."""
    column, kind = draw(st.sampled_from(sorted(TABLE_COLUMNS[table].items())))
    operators = ["=", "!=", "<>", ">", ">=", "<", "<=", "eq", "gte", "not ="]
    operators += TEXT_OPERATORS + ["not like"] if kind == "text" else []
    value = draw(st.one_of(TYPED_VALUES[kind], TYPED_VALUES[kind], VALUES))
    shape = draw(st.sampled_from(["compare", "in", "null"]))
    if shape == "in":
        values = draw(st.lists(st.one_of(TYPED_VALUES[kind], st.just("null")), min_size=1, max_size=4))
        return f"{column} {draw(st.sampled_from(['in', 'NOT IN']))} ({', '.join(values)})"
    if shape == "null":
        return f"{column} {draw(st.sampled_from(['is null', 'IS NOT NULL']))}"
    value = draw(st.one_of(st.just(value), st.just(":p")))
    return f"{column} {draw(st.sampled_from(operators))} {value}"


def typed_query(table: str):
    """A query naming real columns of the table, with in-range limits, offsets and ids."""
    names = st.sampled_from(sorted(TABLE_COLUMNS[table]))
    ids = (
        st.lists(st.integers(-3, 12).map(str), min_size=1, max_size=4).map(",".join)
        if table == "items"
        else st.lists(st.sampled_from(["a", "b", "o'brien", "1", "zz", "A"]), min_size=1, max_size=3).map(
            ",".join
        )
    )
    direction = st.sampled_from(["", " asc", " DESC", " nulls first", " desc nulls last"])
    return st.fixed_dictionaries(
        {},
        optional={
            "filter": st.recursive(typed_comparison(table), _combined, max_leaves=4),
            "order": st.lists(st.tuples(names, direction).map("".join), min_size=1, max_size=3).map(",".join),
            "fields": st.lists(names, min_size=1, max_size=4).map(",".join) | st.just("*"),
            "limit": st.integers(1, 10).map(str),
            "offset": st.integers(0, 10).map(str),
            "ids": ids,
            "include_count": st.sampled_from(["true", "false"]),
            "params[:p]": TYPED_VALUES["int"],
            "as_list": st.sampled_from(["true", "false"]),
        },
    )


ALIASES = {"fields": "select", "filter": "where", "limit": "top", "offset": "skip", "order": "sort"}


@st.composite
def aliased(draw, queries):
    """A query with some options under DreamFactory's alias names."""
    query = draw(queries)
    renamed = draw(st.sets(st.sampled_from(sorted(ALIASES))))
    return {ALIASES[k] if k in renamed else k: v for k, v in query.items()}


TABLE_AND_QUERY = st.sampled_from(TABLES).flatmap(
    lambda table: st.tuples(st.just(table), aliased(st.one_of(typed_query(table), QUERY)))
)


def send_json(client, method: str, path: str, body: bytes, query: dict, headers: dict, label: str):
    """Send a fuzzed body as JSON, note its status and message as a Hypothesis event under `label`, and
    check the answer is well formed; the response and what was sent (for assertion messages)."""
    response = client.open(
        path,
        method=method,
        data=body,
        query_string=query,
        headers={**headers, "Content-Type": "application/json"},
    )
    message = str((response.get_json(silent=True) or {}).get("error", {}).get("message"))[:70]
    event(f"{label} {method} {response.status_code} {message}")
    sent = (method, path, query, body[:300])
    assert_well_formed(response, sent)
    return response, sent


def assert_well_formed(response, sent) -> None:
    """No 5xx; every answer is a JSON object, and an error is the envelope with a message."""
    assert response.status_code < 500, (sent, response.get_data(as_text=True))
    body = response.get_json(silent=True)
    assert isinstance(body, dict), (sent, response.status_code, response.get_data(as_text=True))
    if response.status_code >= 400:
        error = body.get("error")
        assert isinstance(error, dict), (sent, body)
        assert error["code"] == error["status_code"] == response.status_code, (sent, body)
        assert isinstance(error["message"], str) and error["message"].strip(), (sent, body)
        assert error["request_id"], (sent, body)


def get_twice(client, path: str, query: dict, headers: dict):
    """GET a read twice (once through SQLAlchemy, once through its read plan); both answers must match."""
    first = client.get(path, query_string=query, headers=headers)
    second = client.get(path, query_string=query, headers=headers)
    assert (second.status_code, _without_request_id(second)) == (
        first.status_code,
        _without_request_id(first),
    ), (path, query)
    return second


def _without_request_id(response):
    body = response.get_json(silent=True)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body["error"].pop("request_id", None)
    return body if body is not None else response.get_data()


@FUZZ
@given(table_and_query=TABLE_AND_QUERY)
def test_list_parameters_never_cause_a_server_error(fuzz_service, table_and_query):
    client, headers, base = fuzz_service
    table, query = table_and_query
    response = get_twice(client, f"{base}/_table/{table}", query, headers)
    event(f"status {response.status_code}")
    assert_well_formed(response, query)
    if response.status_code == 200:
        records = response.get_json()["resource"]
        assert isinstance(records, list) and len(records) <= 5


@FUZZ
@given(
    table=st.sampled_from(TABLES),
    record_id=st.one_of(INTEGER_TEXT, VALUES, WORDS, GARBAGE),
    query=st.fixed_dictionaries({}, optional={"fields": NAME_LIST, "id_field": NAME_LIST}),
)
def test_by_id_path_never_causes_a_server_error(fuzz_service, table, record_id, query):
    client, headers, base = fuzz_service
    path = f"{base}/_table/{table}/{urllib.parse.quote(record_id, safe='')}"
    response = get_twice(client, path, query, headers)
    event(f"status {response.status_code}")
    assert_well_formed(response, (record_id, query))


# Once 500s: offset >= 2**63 (SQLite OverflowError, PostgreSQL bigint), ids beyond PostgreSQL's INTEGER,
# NUL in a text id (psycopg refuses it). Once an HTML redirect: an id starting with a slash (werkzeug
# merged the doubled slash).
REGRESSIONS = [
    pytest.param("items/%2F0", {}, id="path-id-with-slash"),
    pytest.param("items", {"offset": str(2**63)}, id="offset-2**63"),
    pytest.param("items/2147483648", {}, id="path-id-beyond-int32"),
    pytest.param("items", {"ids": "1,2147483648"}, id="ids-beyond-int32"),
    pytest.param("items", {"id_field": "qty", "ids": "-2147483649"}, id="id_field-int32"),
    pytest.param("tags/a%00b", {}, id="path-id-with-nul"),
    pytest.param("tags", {"ids": "a,b\x00"}, id="ids-with-nul"),
]


@pytest.mark.parametrize(("path", "query"), REGRESSIONS)
def test_out_of_range_and_nul_ids_are_client_errors(fuzz_service, path, query):
    client, headers, base = fuzz_service
    response = client.get(f"{base}/_table/{path}", query_string=query, headers=headers)
    assert_well_formed(response, (path, query))
    assert response.status_code in (200, 400, 404)
    assert response.is_json


AGGREGATES = ["COUNT", "sum", "Avg", "MIN", "max"]


@st.composite
def grouped_query(draw, table: str) -> dict:
    """A grouped read: group columns, aggregates over any column, a having over their answer names."""
    columns = sorted(TABLE_COLUMNS[table])
    group = draw(st.lists(st.sampled_from(columns), min_size=1, max_size=2, unique=True))
    calls = st.tuples(st.sampled_from(AGGREGATES), st.sampled_from([*columns, "*", "nope", "id;x"]))
    aggregates = draw(st.lists(calls, max_size=3))
    fields = group + [f"{function}({column})" for function, column in aggregates]
    named = group + [
        "COUNT_ALL" if column == "*" else f"{function.upper()}_{column}" for function, column in aggregates
    ]
    comparison = st.tuples(
        st.sampled_from(named + ["nope"]),
        st.sampled_from(["=", ">", "<=", "!=", "like", "in", "is null"]),
        st.one_of(TYPED_VALUES["int"], TYPED_VALUES["text"], VALUES, st.just(":p")),
    ).map(
        lambda t: f"{t[0]} {t[1]} ({t[2]})" if t[1] == "in" else " ".join(t[:2] if t[1] == "is null" else t)
    )
    optional = {
        "having": st.recursive(comparison, _combined, max_leaves=3) | GARBAGE,
        "order": st.lists(st.sampled_from(named + fields + ["nope"]), min_size=1, max_size=2).map(",".join),
        "limit": st.integers(1, 10).map(str),
        "include_count": st.sampled_from(["true", "false"]),
        "count_only": st.sampled_from(["true", "false"]),
        "params[:p]": TYPED_VALUES["int"],
        "filter": typed_comparison(table),
    }
    query = {"group" if draw(st.booleans()) else "group_by": ",".join(group), "fields": ",".join(fields)}
    return query | draw(st.fixed_dictionaries({}, optional=optional))


@FUZZ
@given(table_and_query=st.sampled_from(TABLES).flatmap(lambda t: st.tuples(st.just(t), grouped_query(t))))
def test_grouped_reads_never_cause_a_server_error(fuzz_service, table_and_query):
    client, headers, base = fuzz_service
    table, query = table_and_query
    response = get_twice(client, f"{base}/_table/{table}", query, headers)
    event(f"status {response.status_code}")
    if response.status_code == 200 and isinstance(response.get_json(), int):
        assert query.get("count_only") == "true" and response.get_json() >= 0
        return
    assert_well_formed(response, query)
    if response.status_code == 200:
        assert len(response.get_json()["resource"]) <= 5
