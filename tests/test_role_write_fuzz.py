"""Fuzzing writes through a role with a row filter (DESIGN §4, §6), on SQLite, PostgreSQL and MariaDB: an app
whose role may POST, PUT, PATCH and DELETE `items` where `qty > 3` sends the write fuzzer's requests
(bodies of any shape and value, `ids`, `filter`, `continue`, `rollback`, records by id).

Whatever it sends, the rows its role could not see when it started are exactly as they were, and the
answer is never a 5xx.
"""

from __future__ import annotations

import urllib.parse

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from tests import test_api_data_fuzz
from tests.databases import ENGINES
from tests.test_access_leaks import key_for
from tests.test_api_data_fuzz import FUZZ, INTEGER_TEXT, filled_service, send_json
from tests.test_write_fuzz import EXISTING, WRITE_QUERY, bodies

fuzz_client = test_api_data_fuzz.fuzz_client  # its admin client, set up for this module too

HIDDEN_ROWS = "SELECT * FROM items WHERE id IN (1, 2, 3) ORDER BY id"  # qty 1-3: outside the role's rows


@pytest.fixture(scope="module", params=ENGINES)
def writer(request, fuzz_client, tmp_path_factory):
    """An app key whose role writes items with qty > 3, and the database to look at behind its back."""
    client, headers = fuzz_client
    folder = str(tmp_path_factory.mktemp("rolewritefuzz"))
    with filled_service(client, headers, request.param, folder) as (base, url):
        entry = {
            "service": base.rsplit("/", 1)[1],
            "component": "_table/items",
            "verbs": ["GET", "POST", "PUT", "PATCH", "DELETE"],
            "filters": [{"name": "qty", "operator": ">", "value": "3"}],
        }
        key = key_for(client, headers, [entry], f"writer {request.param}")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            hidden = conn.execute(sa.text(HIDDEN_ROWS)).fetchall()
        assert len(hidden) == 3
        yield client, key, base, engine, hidden
        engine.dispose()


@FUZZ
@given(
    data=st.data(),
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]),
    record_id=st.one_of(st.none(), st.sampled_from(EXISTING), INTEGER_TEXT),
    query=WRITE_QUERY,
)
def test_a_filtered_writer_never_touches_a_row_outside_its_filter(writer, data, method, record_id, query):
    client, headers, base, engine, hidden = writer
    with engine.begin() as conn:  # a DELETE by filter may have taken every row it may write: add two
        if conn.execute(sa.text("SELECT COUNT(*) FROM items WHERE qty > 3")).scalar_one() < 2:
            conn.execute(sa.text("INSERT INTO items (name, qty) VALUES ('refill', 5), ('refill', 6)"))
    body = data.draw(bodies("items"))
    path = f"{base}/_table/items"
    if record_id:
        path += "/" + urllib.parse.quote(record_id, safe="")
    _, sent = send_json(client, method, path, body, query, headers, "items")
    with engine.connect() as conn:
        assert conn.execute(sa.text(HIDDEN_ROWS)).fetchall() == hidden, sent
