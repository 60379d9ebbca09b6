"""Fuzzing the admin API (DESIGN §4, §11) in process: roles with their access entries and row filters, apps,
users, lookups, CORS rules and services, created, updated in place and in batches, deleted, and listed
with DreamFactory's list parameters.

Bodies come in every JSON shape with each resource's own keys (DreamFactory's spellings too) and any
value; list parameters are grammatical and garbage. Whatever is sent, the answer is never a 5xx and every
error is the JSON envelope; a refused change changes nothing in the system database (not even its audit
log).
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from tests import test_api_data_fuzz
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
from tests.test_write_fuzz import json_values, refused_whole

fuzz_client = test_api_data_fuzz.fuzz_client  # its admin client, set up for this module too

VALUES = json_values(
    ["*", "GET", "get", "_table/*", "_table/items", "https://a.example", "id", "1", "AND"], 8
)
VERBS = st.lists(
    st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "get", "HEAD", "*", ""]), max_size=4
)
ROW_FILTER = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.sampled_from(["id", "name", "qty", "nope", "", "ID"]), VALUES),
        "operator": st.one_of(
            st.sampled_from(["=", "!=", ">", "<=", "in", "like", "is null", "contains"]), VALUES
        ),
        "value": st.one_of(st.sampled_from(["{user.id}", "{lookup.x}", "{app.id}", "{nope}", "1"]), VALUES),
    },
)
ACCESS_ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "service": st.one_of(st.sampled_from(["fuzz_sqlite", "system", "*", "nope"]), VALUES),
        "component": st.one_of(
            st.sampled_from(["*", "_table/*", "_table/items", "_schema/*", "x/*"]), VALUES
        ),
        "verbs": st.one_of(VERBS, VALUES),
        "verb_mask": st.one_of(st.integers(-1, 40), VALUES),
        "filters": st.one_of(st.lists(ROW_FILTER, max_size=3), VALUES),
        "filter_op": st.one_of(st.sampled_from(["AND", "or", "XOR"]), VALUES),
        "fields": st.one_of(st.lists(st.sampled_from(["id", "name", "*", "nope", ""]), max_size=3), VALUES),
    },
)
NAMES = st.one_of(st.text(min_size=1, max_size=70), st.sampled_from(INJECTIONS), st.just("fuzz role"))
# Each resource's own keys (with DreamFactory's names), so that most bodies get past "unknown field".
RESOURCES = {
    "role": {
        "name": NAMES,
        "description": st.text(max_size=30),
        "is_active": VALUES,
        "access": st.one_of(st.lists(ACCESS_ENTRY, max_size=3), VALUES),
        "role_service_access_by_role_id": st.one_of(st.lists(ACCESS_ENTRY, max_size=2), VALUES),
    },
    "app": {
        "name": NAMES,
        "description": st.text(max_size=30),
        "role_id": st.one_of(st.integers(-3, 5), VALUES),
        "is_active": VALUES,
        "type": st.one_of(st.integers(-1, 4), VALUES),
        "url": VALUES,
    },
    "user": {
        "email": st.one_of(st.emails(), VALUES),
        "name": NAMES,
        "first_name": VALUES,
        "last_name": VALUES,
        "display_name": VALUES,
        "password": st.one_of(st.text(min_size=0, max_size=80), VALUES),
        "is_active": VALUES,
        "user_to_app_to_role_by_user_id": st.one_of(
            st.lists(st.fixed_dictionaries({}, optional={"app_id": VALUES, "role_id": VALUES}), max_size=2),
            VALUES,
        ),
    },
    "lookup": {
        "name": NAMES,
        "value": VALUES,
        "private": VALUES,
        "is_private": VALUES,
        "role_id": VALUES,
        "user_id": VALUES,
    },
    "cors": {
        "path": st.one_of(st.sampled_from(["*", "/api/v2/*", "/api/v2/x", "api/v2", "/a/**"]), VALUES),
        "origins": st.one_of(
            st.lists(st.sampled_from(["*", "https://a.example", "null", "x"]), max_size=3), VALUES
        ),
        "origin": VALUES,
        "methods": st.one_of(VERBS, VALUES),
        "method": VALUES,
        "headers": VALUES,
        "header": VALUES,
        "exposed_headers": VALUES,
        "max_age": st.one_of(st.integers(-5, 2**40), VALUES),
        "supports_credentials": VALUES,
        "enabled": VALUES,
    },
    "service": {
        "name": NAMES,
        "label": VALUES,
        "type": st.one_of(st.sampled_from(["sql", "sqlite", "pgsql", "http", "nope"]), VALUES),
        "is_active": VALUES,
        # The database stays the filled one: a fuzzed path would make SQLite files where it points.
        "config": st.one_of(
            st.fixed_dictionaries(
                {"engine": st.just("sqlite"), "database": st.just(":memory:")},
                optional={"max_records": VALUES, "query_timeout": VALUES, "options": VALUES},
            ),
            st.fixed_dictionaries(
                {"engine": st.sampled_from(["http", "nope", "postgresql"])},
                optional={"base_url": VALUES, "auth": VALUES, "host": st.just("127.0.0.1"), "port": VALUES},
            ),
        ),
    },
}
WORD = st.text(st.sampled_from("abcdefghij_0123456789"), min_size=1, max_size=12)
PRINTABLE = st.text(st.characters(categories=("L", "N", "P")), min_size=1, max_size=30)
GOOD_ENTRY = st.fixed_dictionaries(
    {"component": st.sampled_from(["*", "_table/*", "_table/items", "_table/tags", "_schema/*"])},
    optional={
        "service": st.just("fuzz_sqlite"),
        "verbs": st.lists(
            st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]), unique=True, max_size=5
        ),
        "filters": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(["id", "name", "qty", "code"]),
                    "operator": st.sampled_from(["=", "!=", ">", "<=", "in", "like", "is null", "contains"]),
                    "value": st.sampled_from(["1", "a%", "{user.id}", "{lookup.seed}", "(1,2)", ""]),
                }
            ),
            max_size=2,
        ),
        "filter_op": st.sampled_from(["AND", "OR"]),
        "fields": st.lists(st.sampled_from(["id", "name", "qty", "code", "label"]), unique=True, max_size=3),
    },
)
# Well-typed records (names may collide, references may dangle), so that changes are also accepted.
GOOD = {
    "role": st.fixed_dictionaries(
        {"name": PRINTABLE}, optional={"access": st.lists(GOOD_ENTRY, max_size=3), "is_active": st.booleans()}
    ),
    "app": st.fixed_dictionaries(
        {"name": PRINTABLE}, optional={"role_id": st.integers(0, 4), "is_active": st.booleans()}
    ),
    "user": st.fixed_dictionaries(
        {"email": st.emails(), "name": PRINTABLE},
        optional={"password": st.text(min_size=10, max_size=20), "is_active": st.booleans()},
    ),
    "lookup": st.fixed_dictionaries(
        {"name": WORD, "value": st.text(max_size=20)},
        optional={"private": st.booleans(), "role_id": st.integers(0, 4)},
    ),
    "cors": st.fixed_dictionaries(
        {"path": WORD.map(lambda word: f"/api/v2/{word}/*")},
        optional={
            "origins": st.lists(WORD.map(lambda word: f"https://{word}.example"), max_size=2),
            "methods": st.lists(st.sampled_from(["GET", "POST", "DELETE"]), unique=True, min_size=1),
            "max_age": st.integers(0, 86400),
        },
    ),
    "service": st.fixed_dictionaries(
        {
            "name": WORD.map(lambda word: "s" + word),
            "config": st.just({"engine": "sqlite", "database": ":memory:"}),
        },
        optional={"label": PRINTABLE, "is_active": st.booleans()},
    ),
}
LIST_PARAMETERS = {
    "filter": FILTER,
    "order": NAME_LIST,
    "fields": NAME_LIST,
    "ids": IDS,
    "limit": INTEGER_TEXT,
    "offset": INTEGER_TEXT,
    "include_count": st.sampled_from(["true", "0", "yes", ""]),
    "related": st.one_of(st.sampled_from(["role_service_access_by_role_id", "*", "nope"]), NAME_LIST),
    "continue": st.sampled_from(["true", "false", "1", "0", "yes", ""]),
    "rollback": st.sampled_from(["true", "false", "1", "0", "yes", ""]),
}
QUERY = st.one_of(
    st.just({}),
    st.just({}),
    st.sampled_from(list(LIST_PARAMETERS)).flatmap(
        lambda name: LIST_PARAMETERS[name].map(lambda v: {name: v})
    ),
    st.fixed_dictionaries({}, optional=LIST_PARAMETERS),
)
# Rows written on every request, accepted or not: sessions touched by the admin token.
VOLATILE_TABLES = {"admin_session", "user_session"}


def record(resource: str):
    """A body record for the resource: its own keys with fuzzed values, sometimes with unknown keys."""
    own = st.fixed_dictionaries({}, optional=RESOURCES[resource])
    return st.one_of(
        own,
        st.tuples(own, st.dictionaries(st.text(max_size=10), VALUES, max_size=2)).map(
            lambda pair: {**pair[1], **pair[0]}
        ),
    )


def body(resource: str):
    """A record, a list, DreamFactory's `resource` wrapper, any JSON value, or bytes that are not JSON."""
    one = record(resource)
    shaped = st.one_of(
        one,
        st.lists(one, max_size=3),
        st.lists(one, max_size=3).map(lambda items: {"resource": items}),
        VALUES,
    )
    encoded = shaped.map(lambda value: json.dumps(value).encode())
    return st.one_of(encoded, encoded, encoded, st.binary(max_size=30))


def _system_rows(client) -> dict[str, list]:
    engine = client.application.extensions["bastion.db"]
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {
            name: sorted(map(repr, conn.execute(sa.text(f'SELECT * FROM "{name}"')).fetchall()))  # noqa: S608
            for name in names
            if name not in VOLATILE_TABLES
        }


@pytest.fixture(scope="module")
def admin_api(fuzz_client, tmp_path_factory):
    """The admin client with a data service for roles to name and a few records of each kind."""
    client, headers = fuzz_client
    with filled_service(client, headers, "sqlite", str(tmp_path_factory.mktemp("adminfuzz"))):
        _seed(client, headers)
        yield client, headers


def _seed(client, headers) -> None:
    for path, created in (
        (
            "/api/v2/system/role",
            {"name": "seed role", "access": [{"component": "*", "verbs": ["GET"]}]},
        ),
        ("/api/v2/system/app", {"name": "seed app"}),
        ("/api/v2/system/cors", {"path": "/api/v2/seed/*", "origins": ["https://seed.example"]}),
        ("/api/v2/system/lookup", {"name": "seed", "value": "1"}),
    ):
        response = client.post(path, json=created, headers=headers)
        assert response.status_code == 201, response.get_json()


@FUZZ
@given(
    data=st.data(),
    resource=st.sampled_from(list(RESOURCES)),
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "GET"]),
    record_id=st.one_of(
        st.none(), st.none(), st.sampled_from(["1", "2", "3"]), INTEGER_TEXT, st.text(max_size=5)
    ),
    query=QUERY,
)
def test_admin_api_never_causes_a_server_error_nor_a_partial_change(
    admin_api, data, resource, method, record_id, query
):
    client, headers = admin_api
    payload = data.draw(body(resource)) if method != "GET" else b""
    path = f"/api/v2/system/{resource}"
    if record_id:
        path += "/" + record_id.replace("/", "%2F").replace("?", "%3F").replace("#", "%23")
    before = _system_rows(client)
    response, sent = send_json(client, method, path, payload, query, headers, resource)
    if response.status_code >= 400 and refused_whole(record_id, query, payload):
        assert _system_rows(client) == before, sent


@FUZZ
@given(
    data=st.data(),
    resource=st.sampled_from(list(RESOURCES)),
    method=st.sampled_from(["POST", "PUT", "PATCH"]),
    record_id=st.one_of(st.none(), st.sampled_from(["1", "2", "3", "4"])),
    query=st.sampled_from([{}, {"rollback": "true"}, {"continue": "true"}, {"ids": "1,2"}, {"ids": "2,999"}]),
)
def test_well_typed_changes_are_made_or_refused_whole(admin_api, data, resource, method, record_id, query):
    client, headers = admin_api
    one = GOOD[resource]
    shape = st.one_of(one, st.lists(one, min_size=1, max_size=3).map(lambda items: {"resource": items}))
    payload = json.dumps(data.draw(shape)).encode()
    path = f"/api/v2/system/{resource}" + (f"/{record_id}" if record_id else "")
    before = _system_rows(client)
    response, sent = send_json(client, method, path, payload, query, headers, resource)
    if response.status_code >= 400 and refused_whole(record_id, query, payload):
        assert _system_rows(client) == before, sent
