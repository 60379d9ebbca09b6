"""Fuzzing reads through a role with a row filter and a field list (DESIGN §4, §6), on SQLite, PostgreSQL and
MariaDB: an app whose role may GET `items` where `qty > 3`, fields `id`, `name` and `qty` only, sends the
read fuzzer's queries (filters, orders, fields, ids, id_field, as_list, counts, DreamFactory spellings).

Whatever it asks, no value of a hidden row or a hidden column reaches the answer, a count never exceeds
the rows the role may see, and the answer is never a 5xx.
"""

from __future__ import annotations

import urllib.parse

import pytest
import sqlalchemy as sa
from hypothesis import event, given
from hypothesis import strategies as st

from tests import test_api_data_fuzz
from tests.databases import ENGINES
from tests.test_access_leaks import key_for
from tests.test_api_data_fuzz import (
    FUZZ,
    GARBAGE,
    INTEGER_TEXT,
    NAME_LIST,
    TABLE_AND_QUERY,
    assert_well_formed,
    filled_service,
    grouped_query,
)

fuzz_client = test_api_data_fuzz.fuzz_client  # its admin client, set up for this module too

SHOWN = ("id", "name", "qty")
HIDDEN = ("note", "price", "active", "born", "seen")
IDS = ["1", "3", "4", "7", "item 1' or ''='"]  # rows hidden and shown, and a name


@pytest.fixture(scope="module", params=ENGINES)
def restricted(request, fuzz_client, tmp_path_factory):
    """An app key whose role reads items with qty > 3, three fields; and every value it may see, as text."""
    client, headers = fuzz_client
    folder = str(tmp_path_factory.mktemp("rolefuzz"))
    with filled_service(client, headers, request.param, folder) as (base, url):
        entry = {
            "service": base.rsplit("/", 1)[1],
            "component": "_table/items",
            "verbs": ["GET"],
            "filters": [{"name": "qty", "operator": ">", "value": "3"}],
            "fields": list(SHOWN),
        }
        key = key_for(client, headers, [entry], f"rows {request.param}")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, name, qty FROM items WHERE qty > 3")).fetchall()
        engine.dispose()
        visible = {str(value) for row in rows for value in row}
        yield client, key, base, visible, len(rows)


def _scalars(value):
    """Every scalar inside a JSON value."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    else:
        yield value


@FUZZ
@given(table_and_query=TABLE_AND_QUERY)
def test_a_restricted_caller_sees_nothing_outside_its_rows_and_fields(restricted, table_and_query):
    client, headers, base, visible, count = restricted
    table, query = table_and_query
    response = client.get(f"{base}/_table/{table}", query_string=query, headers=headers)
    event(f"{table} {response.status_code}")
    assert_well_formed(response, query)
    if response.status_code != 200:
        return
    assert table == "items", query  # no grant on tags
    body = response.get_json()
    for record in body["resource"]:
        if isinstance(record, dict):
            assert set(record) <= set(SHOWN), (query, record)
    leaked = {
        value for value in _scalars(body["resource"]) if value is not None and str(value) not in visible
    }
    assert not leaked, (query, leaked)
    assert body.get("meta", {}).get("count", 0) <= count, (query, body["meta"])


@FUZZ
@given(
    record_id=st.one_of(
        INTEGER_TEXT, GARBAGE, st.sampled_from(["1", "3", "4", "7", "item 1' or ''='"])
    ).filter(
        bool  # an empty id is the table's own path
    ),
    query=st.fixed_dictionaries({}, optional={"fields": NAME_LIST, "id_field": NAME_LIST}),
)
def test_a_restricted_caller_reads_no_hidden_record_by_id(restricted, record_id, query):
    client, headers, base, visible, _ = restricted
    path = f"{base}/_table/items/{urllib.parse.quote(record_id, safe='')}"
    response = client.get(path, query_string=query, headers=headers)
    event(f"by id {response.status_code}")
    assert_well_formed(response, (record_id, query))
    if response.status_code == 200:
        record = response.get_json()
        assert set(record) <= set(SHOWN), (record_id, query, record)
        assert all(str(value) in visible for value in _scalars(record) if value is not None), (
            record_id,
            record,
        )


@FUZZ
@given(query=grouped_query("items"))
def test_a_restricted_caller_groups_and_aggregates_only_what_it_may_see(restricted, query):
    client, headers, base, visible, count = restricted
    response = client.get(f"{base}/_table/items", query_string=query, headers=headers)
    event(f"grouped {response.status_code}")
    if response.status_code == 200 and isinstance(response.get_json(), int):  # count_only: groups counted
        assert 0 <= response.get_json() <= count, query
        return
    assert_well_formed(response, query)
    if response.status_code == 200:
        for record in response.get_json()["resource"]:
            named = " ".join(record).lower()
            assert not any(column in named for column in HIDDEN), (query, record)
            if record.get("qty") is not None:
                assert str(record["qty"]) in visible, (query, record)
