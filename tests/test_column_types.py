"""Real-world column types of each engine through the data API: values round-trip, bad ones are a 400."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.databases import config_from_url, scratch_database

PG_TABLES = [
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    """CREATE TABLE things (
        id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code int GENERATED ALWAYS AS IDENTITY,
        ia int[], ta text[], iv interval, d date, ts timestamp, tstz timestamptz, tm time, ttz timetz,
        ip inet, js json, m mood
    )""",
]
MYSQL_TABLES = [
    """CREATE TABLE things (
        id bigint unsigned PRIMARY KEY, tm time, tm6 time(6), db double, st set('a', 'b', 'c'),
        j json, n int, ts timestamp NULL
    )"""
]
SQLITE_TABLES = [
    """CREATE TABLE loose (id INTEGER PRIMARY KEY, anything, num NUMERIC, price DECIMAL(10, 2),
        day DATE, stamp DATETIME, flag BOOLEAN, big INTEGER)""",
]


@pytest.fixture(scope="module")
def system_db_url(sqlite_system_db_url):
    """This module tests data types, not the system database: one SQLite system database is enough."""
    return sqlite_system_db_url


def _service(client, headers, engine: str, tmp_path, statements: list[str]):
    """A service 'db' over a scratch database of the engine holding the statements' tables."""
    with scratch_database(engine, str(tmp_path)) as url:
        built = sa.create_engine(url)
        with built.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        built.dispose()
        body = {"name": "db", "config": config_from_url(url)}
        response = client.post("/api/v2/system/service", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        yield url


@pytest.fixture
def pg(client, admin_headers, tmp_path):
    """A PostgreSQL service 'db' with identity, array, interval, date-time, inet, json and enum columns."""
    yield from _service(client, admin_headers, "postgresql", tmp_path, PG_TABLES)


@pytest.fixture
def my(client, admin_headers, tmp_path):
    """A MariaDB service 'db' with TIME, DOUBLE, SET, JSON and BIGINT UNSIGNED columns."""
    yield from _service(client, admin_headers, "mysql", tmp_path, MYSQL_TABLES)


@pytest.fixture
def lite(client, admin_headers, tmp_path):
    """A SQLite service 'db' with untyped, NUMERIC, date and boolean columns."""
    yield from _service(client, admin_headers, "sqlite", tmp_path, SQLITE_TABLES)


def _sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def _field_error(response, field: str, needle: str) -> None:
    assert response.status_code == 400, response.get_json()
    assert needle in response.get_json()["error"]["context"]["errors"][field]


THINGS = "/api/v2/db/_table/things"


def test_postgresql_arrays_take_arrays_of_their_item_type(client, admin_headers, pg):
    created = client.post(
        f"{THINGS}?fields=ia,ta", json={"ia": [[1, 2], [3, 4]], "ta": [None, "b,c"]}, headers=admin_headers
    )
    assert created.get_json()["resource"] == [{"ia": [[1, 2], [3, 4]], "ta": [None, "b,c"]}]
    # A string was bound as an array of its characters, and a number failed inside the driver (500).
    _field_error(
        client.patch(f"{THINGS}/1", json={"ta": "abc"}, headers=admin_headers), "ta", "must be an array"
    )
    _field_error(client.patch(f"{THINGS}/1", json={"ia": 1}, headers=admin_headers), "ia", "must be an array")
    _field_error(client.patch(f"{THINGS}/1", json={"ia": [1, "x"]}, headers=admin_headers), "ia", "item 1")
    assert client.get(f"{THINGS}/1?fields=ta", headers=admin_headers).get_json() == {"ta": [None, "b,c"]}


def test_postgresql_values_python_cannot_hold_read_as_postgresql_text(client, admin_headers, pg):
    _sql(
        pg,
        "INSERT INTO things (d, ts, tstz, iv)"
        " VALUES ('infinity', '-infinity', 'infinity', '1 year 2 mons 3 days')",
        "INSERT INTO things (d, ts, tm, ttz)"
        " VALUES ('0044-03-15 BC', '0044-03-15 12:00 BC', '24:00', '24:00+00')",
    )
    response = client.get(f"{THINGS}?fields=id,d,ts,tstz,tm,ttz,iv", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    first, second = response.get_json()["resource"]
    assert first == {"id": 1, "d": "infinity", "ts": "-infinity", "tstz": "infinity", "tm": None,
                     "ttz": None, "iv": "1 year 2 mons 3 days"}  # fmt: skip
    assert second == {"id": 2, "d": "0044-03-15 BC", "ts": "0044-03-15 12:00:00 BC", "tstz": None,
                      "tm": "24:00:00", "ttz": "24:00:00+00", "iv": None}  # fmt: skip
    # An interval keeps its months (a timedelta made '1 mon' 30 days) and goes back as it was read.
    patched = client.patch(f"{THINGS}/2?fields=iv", json={"iv": first["iv"]}, headers=admin_headers)
    assert patched.get_json() == {"iv": "1 year 2 mons 3 days"}
    found = client.get(
        THINGS, query_string={"filter": "iv > '1 year'", "fields": "id"}, headers=admin_headers
    )
    assert found.get_json()["resource"] == [{"id": 1}, {"id": 2}]


@pytest.mark.parametrize(("query"), [{"filter": "ip = 1"}, {"order": "js desc"}])
def test_postgresql_comparison_its_type_lacks_is_a_400(client, admin_headers, pg, query):
    client.post(THINGS, json={"ip": "10.0.0.1", "js": {"a": 1}}, headers=admin_headers)
    response = client.get(THINGS, query_string=query, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert "does not support that comparison" in response.get_json()["error"]["message"]
    quoted = client.get(
        THINGS, query_string={"filter": "ip = '10.0.0.1'", "fields": "ip"}, headers=admin_headers
    )
    assert quoted.get_json()["resource"] == [{"ip": "10.0.0.1"}]


def test_postgresql_identity_always_is_refused_by_name(client, admin_headers, pg):
    assert client.post(THINGS, json={"m": "ok"}, headers=admin_headers).status_code == 201
    _field_error(client.post(THINGS, json={"id": 7}, headers=admin_headers), "id", "GENERATED ALWAYS")
    _field_error(
        client.patch(f"{THINGS}/1", json={"code": 7}, headers=admin_headers), "code", "GENERATED ALWAYS"
    )
    batch = {"resource": [{"id": 1, "code": 1}]}
    _field_error(client.put(THINGS, json=batch, headers=admin_headers), "code", "GENERATED ALWAYS")
    # A record sent back with its own key is not a change of the key.
    echoed = client.patch(f"{THINGS}/1?fields=id,m", json={"id": 1, "m": "sad"}, headers=admin_headers)
    assert echoed.get_json() == {"id": 1, "m": "sad"}
    by_filter = client.patch(
        THINGS, query_string={"filter": "id = 1"}, json={"code": 3}, headers=admin_headers
    )
    _field_error(by_filter, "code", "GENERATED ALWAYS")


def test_mysql_time_is_a_signed_duration_both_ways(client, admin_headers, my):
    _sql(my, "INSERT INTO things (id, tm, tm6) VALUES (1, '-838:59:59', '100:00:00.5')")
    # SQLAlchemy folded the duration into a time of day: '-838:59:59' read as '01:00:01'.
    assert client.get(f"{THINGS}/1?fields=tm,tm6", headers=admin_headers).get_json() == {
        "tm": "-838:59:59",
        "tm6": "100:00:00.500000",
    }
    patched = client.patch(f"{THINGS}/1?fields=tm", json={"tm": "-01:30:00"}, headers=admin_headers)
    assert patched.get_json() == {"tm": "-01:30:00"}
    found = client.get(
        THINGS, query_string={"filter": "tm < '00:00:00'", "fields": "id"}, headers=admin_headers
    )
    assert found.get_json()["resource"] == [{"id": 1}]
    _field_error(
        client.patch(f"{THINGS}/1", json={"tm": "839:00:00"}, headers=admin_headers), "tm", "838:59:59"
    )
    _field_error(client.patch(f"{THINGS}/1", json={"tm": "noon"}, headers=admin_headers), "tm", "duration")
    schema = client.get("/api/v2/db/_schema/things", headers=admin_headers).get_json()
    assert {f["name"]: f["type"] for f in schema["field"]}["tm"] == "time"
    # The API docs described it as an RFC 3339 time of day, which "-01:30:00" is not.
    doc = client.get("/api/v2/api_docs/db", headers=admin_headers).get_json()
    described = doc["components"]["schemas"]["things"]["properties"]["tm"]
    assert "format" not in described
    assert all(re.search(described["pattern"], value) for value in ("-838:59:59", "100:00:00.5"))


def test_mysql_double_keeps_every_digit_and_is_a_float(client, admin_headers, my):
    body = {"id": 1, "db": 0.12345678901234568}
    created = client.post(f"{THINGS}?fields=db", json=body, headers=admin_headers).get_json()
    # DOUBLE came back as a Decimal rounded to ten places, as the string "0.1234567890".
    assert created["resource"] == [{"db": 0.12345678901234568}]
    schema = client.get("/api/v2/db/_schema/things", headers=admin_headers).get_json()
    assert {f["name"]: f["type"] for f in schema["field"]}["db"] == "float"


def test_mysql_set_reads_and_writes_as_mysql_spells_it(client, admin_headers, my):
    _sql(my, "INSERT INTO things (id, st) VALUES (1, 'c,a')")
    # It read as the Python text of a set, "{'c', 'a'}", and no value but one member could be written.
    assert client.get(f"{THINGS}/1?fields=st", headers=admin_headers).get_json() == {"st": "a,c"}
    patched = client.patch(f"{THINGS}/1?fields=st", json={"st": ["b", "a"]}, headers=admin_headers)
    assert patched.get_json() == {"st": "a,b"}
    assert client.patch(f"{THINGS}/1?fields=st", json={"st": "c,b"}, headers=admin_headers).get_json() == {
        "st": "b,c"
    }
    _field_error(
        client.patch(f"{THINGS}/1", json={"st": "a,z"}, headers=admin_headers), "st", "members of: a, b, c"
    )
    found = client.get(THINGS, query_string={"filter": "st = 'b,c'", "fields": "id"}, headers=admin_headers)
    assert found.get_json()["resource"] == [{"id": 1}]


def test_mariadb_json_column_takes_and_gives_json(client, admin_headers, my):
    document = {"a": [1, 2.5, None], "big": 9007199254740993}
    created = client.post(f"{THINGS}?fields=j", json={"id": 1, "j": document}, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["resource"] == [{"j": document}]
    schema = client.get("/api/v2/db/_schema/things", headers=admin_headers).get_json()
    assert {f["name"]: f["type"] for f in schema["field"]}["j"] == "json"


def test_mysql_unsigned_bigint_holds_its_whole_range(client, admin_headers, my):
    top = 2**64 - 1
    created = client.post(f"{THINGS}?fields=id", json={"id": top}, headers=admin_headers)
    assert created.get_json()["resource"] == [{"id": top}]
    assert client.get(f"{THINGS}/{top}?fields=id", headers=admin_headers).get_json() == {"id": top}
    found = client.get(
        THINGS, query_string={"filter": f"id in (1, {top})", "fields": "id"}, headers=admin_headers
    )
    assert found.get_json()["resource"] == [{"id": top}]
    _field_error(client.post(THINGS, json={"id": -1}, headers=admin_headers), "id", "at least 0")
    _field_error(client.post(THINGS, json={"id": 2**64}, headers=admin_headers), "id", "must be an integer")


LOOSE = "/api/v2/db/_table/loose"


def test_sqlite_values_the_declared_type_cannot_parse_read_as_stored(client, admin_headers, lite):
    _sql(
        lite,
        "INSERT INTO loose VALUES (1, 'x', '1.5', 12.345, '2024-01-02', '2024-01-02 03:04:05', 1, 7)",
        "INSERT INTO loose VALUES (2, 3.5, 'abc', 'n/a', 'soon', 20240102, 'yes', 'many')",
    )
    response = client.get(f"{LOOSE}?include_count=true", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["resource"] == [
        {"id": 1, "anything": "x", "num": "1.5", "price": "12.345", "day": "2024-01-02",
         "stamp": "2024-01-02T03:04:05", "flag": True, "big": 7},
        {"id": 2, "anything": 3.5, "num": "abc", "price": "n/a", "day": "soon", "stamp": 20240102,
         "flag": "yes", "big": "many"},
    ]  # fmt: skip


def test_sqlite_numeric_keeps_the_digits_it_stores(client, admin_headers, lite):
    body = {"id": 1, "num": 2**62 + 1, "price": "41000.5"}
    created = client.post(f"{LOOSE}?fields=num,price", json=body, headers=admin_headers).get_json()
    # A Decimal was bound as a float (2**62 + 1 stored as 2**62) and read rounded to ten places.
    assert created["resource"] == [{"num": str(2**62 + 1), "price": "41000.50"}]
    patched = client.patch(f"{LOOSE}/1?fields=num", json={"num": "1.10"}, headers=admin_headers)
    assert patched.get_json() == {"num": "1.1"}


def test_sqlite_numeric_reads_numbers_too_long_to_pad(client, admin_headers, lite):
    # Padding 1e300 to two places needs more digits than Decimal's context holds: that raised on every
    # page holding the row. Whole numbers read through the fast path, padded to the scale.
    _sql(lite, "INSERT INTO loose (id, num, price) VALUES (1, 1e300, 1e300), (2, 47800.0, 47800.0)")
    _sql(lite, "INSERT INTO loose (id, num, price) VALUES (3, -0.0, 0.0), (4, 12, 12)")
    response = client.get(f"{LOOSE}?fields=id,num,price", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["resource"] == [
        {"id": 1, "num": "1E+300", "price": "1E+300"},
        {"id": 2, "num": "47800", "price": "47800.00"},  # NUMERIC affinity stores 47800.0 as an integer
        {"id": 3, "num": "0", "price": "0.00"},
        {"id": 4, "num": "12", "price": "12.00"},
    ]


@pytest.mark.parametrize(
    ("value", "needle"), [({"a": 1}, "text, a number"), ([1], "text, a number"), (2**70, "64 bits")]
)
def test_untyped_column_refuses_what_no_driver_binds(client, admin_headers, lite, value, needle):
    client.post(LOOSE, json={"id": 1}, headers=admin_headers)
    _field_error(
        client.patch(f"{LOOSE}/1", json={"anything": value}, headers=admin_headers), "anything", needle
    )


def test_mariadb_value_out_of_a_column_range_names_the_field(client, admin_headers, my):
    client.post(THINGS, json={"id": 1}, headers=admin_headers)
    # MariaDB names the column as `database`.`table`.`column` here, which went unread.
    response = client.patch(f"{THINGS}/1", json={"ts": "1960-01-01T00:00:00"}, headers=admin_headers)
    _field_error(response, "ts", "cannot be stored")


def test_cursor_pages_past_a_value_read_as_stored(client, admin_headers, lite):
    _sql(lite, "INSERT INTO loose (id, num) VALUES (1, 1), (2, 'x'), (3, 2.5)")
    query = {"order": "num desc", "fields": "id", "limit": 1, "cursor": ""}
    seen = []
    while True:
        page = client.get(LOOSE, query_string=query, headers=admin_headers)
        assert page.status_code == 200, page.get_json()  # the token after "x" was a 400 "start again"
        seen += [row["id"] for row in page.get_json()["resource"]]
        query["cursor"] = page.get_json().get("meta", {}).get("next")
        if not query["cursor"]:
            break
    assert seen == [2, 3, 1]
