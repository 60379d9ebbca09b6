"""Fuzzing the data API's writes over HTTP on SQLite, PostgreSQL and MariaDB (DESIGN §5, §6).

Hypothesis sends POST, PUT, PATCH and DELETE to `_table/<t>` and `_table/<t>/<id>` with bodies of any JSON
shape and value (wrong types, integers past 64 bits, NaN, NUL, dates that do not exist, injection text,
unknown and relationship keys, bare values, bytes that are not JSON) and the write parameters (`fields`,
`id_field`, `ids`, `filter`, `continue`, `rollback`, `allow_related_delete`). Whatever it sends, the
answer is never a 5xx and every error is the JSON envelope; a refused write of one record, or of a batch
sent with `rollback=true`, leaves the table as it was.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from tests import test_api_data_fuzz
from tests.databases import ENGINES
from tests.test_api_data_fuzz import (
    FILTER,
    FUZZ,
    IDS,
    INJECTIONS,
    INTEGER_TEXT,
    NAME_LIST,
    filled_service,
    send_json,
)

fuzz_client = test_api_data_fuzz.fuzz_client  # its admin client, set up for this module too

KEYS = {
    "items": ["id", "name", "note", "price", "qty", "active", "born", "seen"],
    "tags": ["code", "label"],
}


def json_values(samples: list[str], max_leaves: int):
    """Any JSON value: every scalar type (integers past 64 bits, NaN, text of any character), injection
    text and the samples, alone or nested in lists and objects."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=50),
        st.sampled_from(INJECTIONS),
        st.sampled_from(samples),
    )
    return st.recursive(scalars, _nested, max_leaves=max_leaves)


def _nested(inner):
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)


VALUES = json_values(["2024-02-30", "2024-01-01", "2024-01-01T10:00:00+02:00", "12.345", "1e309", "-0"], 6)
EXISTING = ["1", "2", "3", "4", "a", "b", "o'brien", "1,2", "%00"]  # ids of filled rows, and two odd ones
FLAGS = st.sampled_from(["true", "false", "1", "0", "yes", ""])
WRITE_PARAMETERS = {
    "fields": NAME_LIST,
    "id_field": NAME_LIST,
    "ids": IDS,
    "filter": FILTER,
    "continue": FLAGS,
    "rollback": FLAGS,
    "allow_related_delete": FLAGS,
}
# Mostly no parameter or one, so that most bodies reach the database; sometimes any mix of them.
WRITE_QUERY = st.one_of(
    st.just({}),
    st.sampled_from(list(WRITE_PARAMETERS)).flatmap(
        lambda name: WRITE_PARAMETERS[name].map(lambda v: {name: v})
    ),
    st.fixed_dictionaries({}, optional=WRITE_PARAMETERS),
)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=45)
# Values of the columns' own types (and just past their limits), so that writes are also accepted.
TYPED = {
    "items": st.fixed_dictionaries(
        {"name": TEXT},
        optional={
            "id": st.integers(-(2**33), 2**33),
            "note": st.one_of(st.none(), TEXT),
            "qty": st.one_of(st.none(), st.integers(-(2**33), 2**33)),
            "price": st.one_of(st.floats(-1e12, 1e12), st.decimals(places=3, allow_nan=False).map(str)),
            "active": st.one_of(st.booleans(), st.sampled_from([0, 1, "true", "false", "yes"])),
            "born": st.one_of(st.dates().map(str), st.datetimes().map(lambda d: d.isoformat())),
            "seen": st.datetimes().map(lambda d: d.isoformat()),
        },
    ),
    "tags": st.fixed_dictionaries({"code": st.text(max_size=22)}, optional={"label": TEXT}),
}


def records(table: str):
    """Records with the table's own columns, other columns', relationship-like and unknown keys."""
    names = [*KEYS[table], *KEYS["tags" if table == "items" else "items"], "items_by_code", "nope", "", "ID"]
    keys = st.one_of(st.sampled_from(names), st.sampled_from(INJECTIONS[:6]))
    return st.one_of(TYPED[table], st.dictionaries(keys, VALUES, max_size=6))


def bodies(table: str):
    """What a client may put in a write's body: a record, a list, DreamFactory's `resource`, anything."""
    record = records(table)
    json_body = st.one_of(
        record,
        st.lists(record, max_size=4),
        st.lists(record, max_size=4).map(lambda items: {"resource": items}),
        st.fixed_dictionaries({"resource": VALUES}),
        VALUES,
    )
    # Python's json writes NaN, Infinity and integers of any size: the platform must refuse them itself.
    return st.one_of(json_body.map(lambda body: json.dumps(body).encode()), st.binary(max_size=40))


@pytest.fixture(scope="module", params=ENGINES)
def write_service(request, fuzz_client, tmp_path_factory):
    """A service over a filled scratch database of each engine; yields the client, headers, base and URL."""
    client, headers = fuzz_client
    folder = str(tmp_path_factory.mktemp("writefuzz"))
    with filled_service(client, headers, request.param, folder) as (base, url):
        engine = sa.create_engine(url)
        yield client, headers, base, engine
        engine.dispose()


def _rows(engine: sa.Engine, table: str) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT * FROM {table}")).fetchall()  # noqa: S608 (a fixed name)
    return sorted((tuple(map(repr, row)) for row in rows), key=repr)


def _topped_up(engine: sa.Engine) -> None:
    # A DELETE by filter may empty a table: give later examples records to update and delete again.
    with engine.begin() as conn:
        if conn.execute(sa.text("SELECT COUNT(*) FROM items")).scalar_one() < 3:
            conn.execute(sa.text("INSERT INTO items (name, qty) VALUES ('refill', 1), ('refill', 2)"))


def refused_whole(record_id: str | None, query: dict, payload: bytes) -> bool:
    """Whether a refused write must leave everything as it was: one record, or a batch under `rollback`."""
    # Without `rollback` a batch stops at its first failure and keeps the records before it, as
    # DreamFactory's do, and its error says so. One record is one sent by path or as one object.
    try:
        sent = json.loads(payload)
    except ValueError:
        return True
    one_object = isinstance(sent, dict) and "resource" not in sent and "ids" not in query
    return bool(record_id) or one_object or query.get("rollback") == "true"


@FUZZ
@given(
    data=st.data(),
    table=st.sampled_from(list(KEYS)),
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]),
    record_id=st.one_of(st.none(), st.none(), st.sampled_from(EXISTING), INTEGER_TEXT, st.text(max_size=6)),
    query=WRITE_QUERY,
)
def test_writes_never_cause_a_server_error_nor_a_half_write(
    write_service, data, table, method, record_id, query
):
    client, headers, base, engine = write_service
    _topped_up(engine)
    body = data.draw(bodies(table))
    path = f"{base}/_table/{table}"
    if record_id:  # an empty one leaves a trailing slash: the table's path
        path += "/" + urllib.parse.quote(record_id, safe="")
    before = _rows(engine, table)
    response, sent = send_json(client, method, path, body, query, headers, table)
    if response.status_code >= 400 and refused_whole(record_id, query, body):
        assert _rows(engine, table) == before, sent
