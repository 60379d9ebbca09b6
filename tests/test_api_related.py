"""`related=` through the API (issue 14 §2): real roles, `_schema` and the OpenAPI document agree with
what a read may attach. The SQL itself is tested on every engine in test_related.py."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.conftest import add_sqlite_service
from tests.test_access_leaks import key_for

ADDRESS_BOOK = [
    "CREATE TABLE contact (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, notes TEXT)",
    "CREATE TABLE contact_info (id INTEGER PRIMARY KEY,"
    " contact_id INT NOT NULL REFERENCES contact(id), info_type TEXT, phone TEXT, secret TEXT)",
    "CREATE TABLE contact_group (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "CREATE TABLE contact_group_relationship (id INTEGER PRIMARY KEY,"
    " contact_id INT NOT NULL REFERENCES contact(id),"
    " contact_group_id INT NOT NULL REFERENCES contact_group(id))",
    "INSERT INTO contact (first_name, notes) VALUES ('Ada', 'n1'), ('Bo', 'n2')",
    "INSERT INTO contact_info (contact_id, info_type, phone, secret) VALUES"
    " (1, 'home', '1-home', 's'), (1, 'work', '1-work', 's'), (2, 'home', '2-home', 's')",
    "INSERT INTO contact_group (name) VALUES ('Friends')",
    "INSERT INTO contact_group_relationship (contact_id, contact_group_id) VALUES (1, 1)",
]
INFOS, GROUPS = "contact_info_by_contact_id", "contact_group_by_contact_group_relationship"
LINKS = "contact_group_relationship_by_contact_id"
# Contacts and their home numbers (no secret); groups are denied; the junction is readable.
HOME_ONLY = [
    {"service": "book", "component": "_table/contact", "verbs": ["GET"]},
    {"service": "book", "component": "_schema/*", "verbs": ["GET"]},
    {
        "service": "book",
        "component": "_table/contact_info",
        "verbs": ["GET"],
        "fields": ["id", "contact_id", "phone"],
        "filters": [{"name": "info_type", "operator": "=", "value": "home"}],
    },
    {"service": "book", "component": "_table/contact_group_relationship", "verbs": ["GET"]},
]


@pytest.fixture
def book(client, admin_headers, tmp_path):
    add_sqlite_service(client, admin_headers, tmp_path / "book.db", ADDRESS_BOOK, name="book")
    return "/api/v2/book"


def test_admin_reads_every_relationship_on_lists_and_by_id(client, admin_headers, book):
    listed = client.get(f"{book}/_table/contact?related=*&fields=first_name", headers=admin_headers)
    assert listed.status_code == 200, listed.get_json()
    first = listed.get_json()["resource"][0]
    assert first["first_name"] == "Ada" and "id" not in first
    assert [i["phone"] for i in first[INFOS]] == ["1-home", "1-work"]
    assert [g["name"] for g in first[GROUPS]] == ["Friends"]
    one = client.get(f"{book}/_table/contact_info/3?related=contact_by_contact_id", headers=admin_headers)
    assert one.get_json()["contact_by_contact_id"] == {"id": 2, "first_name": "Bo", "notes": "n2"}


def test_a_role_reads_only_what_each_related_table_allows(client, admin_headers, book):
    key = key_for(client, admin_headers, HOME_ONLY)
    denied = client.get(f"{book}/_table/contact?related={GROUPS}", headers=key)
    assert denied.status_code == 400  # as an unknown name: a 403 confirmed the hidden table
    assert (
        denied.get_json()["error"]["message"]
        == f"Table 'contact' has no relationship '{GROUPS}' that this caller may read"
    )
    rows = client.get(f"{book}/_table/contact?related=*", headers=key).get_json()["resource"]
    assert [[i["phone"] for i in r[INFOS]] for r in rows] == [["1-home"], ["2-home"]]
    assert all(set(i) == {"id", "contact_id", "phone"} for r in rows for i in r[INFOS])
    assert GROUPS not in rows[0]  # `*` means the relationships this role may read
    unknown = client.get(f"{book}/_table/contact?related=nope", headers=key)
    assert unknown.status_code == 400 and "'nope'" in unknown.get_json()["error"]["message"]
    # The other table's options are validated like the table's own.
    hidden = client.get(f"{book}/_table/contact?related={INFOS}&{INFOS}.fields=secret", headers=key)
    assert hidden.status_code == 400 and "secret" in hidden.get_json()["error"]["message"]


def test_schema_and_document_name_only_readable_relationships(client, admin_headers, book):
    key = key_for(client, admin_headers, HOME_ONLY)
    related = client.get(f"{book}/_schema/contact", headers=key).get_json()["related"]
    assert [r["name"] for r in related] == [LINKS, INFOS]
    admin = client.get(f"{book}/_schema/contact", headers=admin_headers).get_json()["related"]
    many = next(r for r in admin if r["type"] == "many_many")
    assert (many["name"], many["junction_table"], many["junction_field"], many["junction_ref_field"]) == (
        GROUPS,
        "contact_group_relationship",
        "contact_id",
        "contact_group_id",
    )
    doc = client.get("/api/v2/api_docs/book", headers=key).get_json()
    validate(doc)
    params = doc["paths"]["/_table/contact"]["get"]["parameters"]
    related_param = next(p for p in params if p.get("name") == "related")
    assert related_param["schema"]["items"]["enum"] == ["*", LINKS, INFOS]
    assert f"{INFOS}.limit" in [p.get("name") for p in params]
    assert GROUPS not in str(doc)
    full = client.get("/api/v2/api_docs/book", headers=admin_headers).get_json()
    assert GROUPS in str(full["paths"]["/_table/contact/{id}"]["get"]["parameters"])


def test_nested_create_through_the_api_needs_each_tables_verb(client, admin_headers, book):
    body = {"first_name": "Cy", INFOS: [{"info_type": "home", "phone": "3-home"}]}
    made = client.post(f"{book}/_table/contact?fields=id", json=body, headers=admin_headers)
    assert made.status_code == 201, made.get_json()
    new_id = made.get_json()["resource"][0]["id"]
    read = client.get(f"{book}/_table/contact/{new_id}?related={INFOS}", headers=admin_headers).get_json()
    assert [i["phone"] for i in read[INFOS]] == ["3-home"]
    contacts_only = [{"service": "book", "component": "_table/contact", "verbs": ["GET", "POST"]}]
    key = key_for(client, admin_headers, contacts_only)
    denied = client.post(f"{book}/_table/contact", json={**body, "first_name": "Di"}, headers=key)
    # No verb on contact_info: the relationship is an unknown field to this role, not a 403 naming the table.
    assert denied.status_code == 400
    assert denied.get_json()["error"]["message"] == f"Unknown field '{INFOS}'"
    with_patch = [*contacts_only, {"service": "book", "component": "_table/contact_info", "verbs": ["PATCH"]}]
    denied = client.post(
        f"{book}/_table/contact",
        json={**body, "first_name": "Di"},
        headers=key_for(client, admin_headers, with_patch, "r2"),
    )
    assert denied.status_code == 403
    assert (
        f"Relationship '{INFOS}': POST on component '_table/contact_info'"
        in denied.get_json()["error"]["message"]
    )
    names = [
        c["first_name"]
        for c in client.get(f"{book}/_table/contact", headers=admin_headers).get_json()["resource"]
    ]
    assert names == ["Ada", "Bo", "Cy"]  # nothing of the denied request was written


GROUPED = ["group=first_name", "count_only=true", "group=notes&fields=notes,COUNT(*)"]


@pytest.mark.parametrize("query", GROUPED)
def test_related_with_groups_or_a_bare_count_is_a_400(client, admin_headers, book, query):
    response = client.get(f"{book}/_table/contact?related=*&{query}", headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert "'related' cannot be used with 'group' or 'count_only'" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("option", ["order=id", "limit=1"])
def test_order_or_limit_on_a_belongs_to_relationship_is_a_400_naming_it(client, admin_headers, book, option):
    one = "contact_by_contact_id"
    url = f"{book}/_table/contact_info?related={one}&{one}.{option}"
    response = client.get(url, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert f"'{one}.{option.split('=')[0]}' does not apply" in response.get_json()["error"]["message"]
    # On a has-many relationship both work.
    many = client.get(f"{book}/_table/contact?related={INFOS}&{INFOS}.{option}", headers=admin_headers)
    assert many.status_code == 200, many.get_json()
