"""Fuzzing the API documents against the access decision (DESIGN §8): for a role of random entries
(components, verbs, field lists; more specific entries narrowing broader ones), the service document its
app key reads lists a table operation exactly when the access decision allows it, and a table's record
schema lists exactly the columns a read through the key answers.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests import test_api_data_fuzz
from tests.test_api_data_fuzz import FUZZ, filled_service

fuzz_client = test_api_data_fuzz.fuzz_client  # its admin client, set up for this module too

TABLES = {
    "items": ["id", "name", "note", "price", "qty", "active", "born", "seen"],
    "tags": ["code", "label"],
}
VERBS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
COMPONENTS = [
    "*",
    "_table/*",
    "_table/items",
    "_table/tags",
    "_table",
    "_schema/*",
    "_schema/items",
    "",
    "_TABLE/Items",
]
ENTRIES = st.lists(
    st.fixed_dictionaries(
        {
            "component": st.sampled_from(COMPONENTS),
            "verbs": st.lists(st.sampled_from(VERBS), unique=True, max_size=5),
        },
        optional={
            "service": st.sampled_from(["fuzz_sqlite"]),
            "fields": st.lists(
                st.sampled_from(sorted(set(itertools.chain(*TABLES.values())))), unique=True, max_size=4
            ),
        },
    ),
    min_size=1,
    max_size=4,
)
_made = itertools.count()


@pytest.fixture(scope="module")
def docs_api(fuzz_client, tmp_path_factory):
    """The admin client and a filled SQLite service `fuzz_sqlite`."""
    client, headers = fuzz_client
    with filled_service(client, headers, "sqlite", str(tmp_path_factory.mktemp("docsfuzz"))):
        yield client, headers


def _key_for(client, headers, entries: list[dict]) -> tuple[int, dict] | None:
    """A new app of a role with these entries (None when the role is refused, e.g. fields on `*`)."""
    number = next(_made)
    role = client.post(
        "/api/v2/system/role", json={"name": f"docs {number}", "access": entries}, headers=headers
    )
    if role.status_code != 201:
        assert role.status_code == 400, role.get_json()
        return None
    app = client.post(
        "/api/v2/system/app",
        json={"name": f"docs {number}", "role_id": role.get_json()["id"]},
        headers=headers,
    )
    return app.get_json()["id"], {"X-Api-Key": app.get_json()["api_key"]}


def _decision(client, headers, app_id: int, verb: str, table: str) -> dict:
    """The access decision for the app, as the explain endpoint gives it."""
    query = {"app": str(app_id), "verb": verb, "path": f"/api/v2/fuzz_sqlite/_table/{table}"}
    answer = client.get("/api/v2/system/explain", query_string=query, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


@FUZZ
@given(entries=ENTRIES)
def test_a_document_lists_exactly_what_the_role_may_do(docs_api, entries):
    client, headers = docs_api
    made = _key_for(client, headers, entries)
    event("role refused" if made is None else "role made")
    if made is None:
        return
    app_id, key = made
    document = client.get("/api/v2/api_docs/fuzz_sqlite", headers=key)
    event(f"document {document.status_code}")
    paths = document.get_json().get("paths", {}) if document.status_code == 200 else {}
    for table in TABLES:
        listed = {verb.upper() for verb in paths.get(f"/_table/{table}", {})}
        decided = {verb: _decision(client, headers, app_id, verb, table) for verb in VERBS}
        allowed = {verb for verb, decision in decided.items() if decision["allowed"]}
        assert listed <= allowed, (entries, table, listed, allowed)
        for verb in allowed - listed:  # left out only when its column list names none of the table's
            assert verb != "DELETE" and not set(decided[verb]["fields"]) & set(TABLES[table]), (entries, verb)
        if "GET" not in allowed:
            continue
        read = client.get(f"/api/v2/fuzz_sqlite/_table/{table}", query_string={"limit": "1"}, headers=key)
        assert (read.status_code == 200) == ("GET" in listed), (entries, table, read.get_json())
        if read.status_code != 200:
            continue
        schemas = document.get_json()["components"]["schemas"]
        documented = set(schemas.get(f"{table}.GET", schemas.get(table))["properties"])
        for record in read.get_json()["resource"]:
            assert set(record) == documented, (entries, table, record, documented)
