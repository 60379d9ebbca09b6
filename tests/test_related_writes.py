"""Nested writes (issue 14 §2): records carrying related records, on SQLite, PostgreSQL and MariaDB.

The address book of test_related.py; ``authorize`` stands in for the access function the views ask, with
one grant per (table, verb) and a 403 for the rest, as access.ensure answers.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bastion.access import FULL_GRANT, Grant, RowFilter
from bastion.data import records
from bastion.data.params import BatchMode
from bastion.errors import BadRequest, Forbidden, NotFound
from tests import test_related as book
from tests.test_related import BELONGS_TO, HAS_MANY, MANY_MANY

database, db = book.database, book.db  # the address book of test_related, one per engine

VERBS = ("POST", "PATCH", "DELETE")


def allowing(grants: dict[tuple[str, str], Grant] | None = None, allow_delete: bool = False, **default):
    """A nesting: the grant per (table, verb) (every verb of every table when grants is None)."""

    def authorize(table: sa.Table, verb: str) -> Grant:
        grant = FULL_GRANT if grants is None else grants.get((table.name, verb))
        if grant is None:
            raise Forbidden(f"{verb} on component '_table/{table.name}' of service 'book' is not allowed")
        return grant

    return authorize, allow_delete


def rows(engine, table, **where) -> list[dict]:
    stmt = sa.select(table).where(*(table.c[k] == v for k, v in where.items())).order_by(*table.primary_key)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def new_contact(**extra) -> dict:
    return {"first_name": "New", "last_name": "Person", "owner": "a", **extra}


def test_nested_create_writes_children_parents_and_links_in_one_go(db):
    engine, t = db
    body = new_contact(
        **{
            HAS_MANY: [{"info_type": "home", "phone": "555", "owner": "a"}],
            MANY_MANY: [{"id": 1}, {"name": "Chess club", "owner": "a"}],
        }
    )
    created = records.create_records(engine, t["contact"], FULL_GRANT, [body], nesting=allowing())
    new_id = created["resource"][0]["id"]
    assert [i["phone"] for i in rows(engine, t["contact_info"], contact_id=new_id)] == ["555"]
    links = rows(engine, t["contact_group_relationship"], contact_id=new_id)
    assert len(links) == 2 and links[0]["contact_group_id"] == 1
    assert rows(engine, t["contact_group"], name="Chess club")[0]["id"] == links[1]["contact_group_id"]
    # belongs_to: an info created with its new parent contact, which is written first.
    info = {"info_type": "work", "phone": "777", "owner": "a", BELONGS_TO: new_contact(first_name="Parent")}
    made = records.create_records(engine, t["contact_info"], FULL_GRANT, [info], nesting=allowing())
    child = rows(engine, t["contact_info"], id=made["resource"][0]["id"])[0]
    assert rows(engine, t["contact"], id=child["contact_id"])[0]["first_name"] == "Parent"


def test_nested_update_updates_links_and_unlinks(db):
    engine, t = db
    body = {"id": 2, HAS_MANY: [{"id": 4, "phone": "changed"}, {"info_type": "cell", "owner": "b"}]}
    body[MANY_MANY] = [{"id": 1, "contact.id": None}, {"id": 2}]
    records.update_records(engine, t["contact"], FULL_GRANT, [body], nesting=allowing())
    infos = rows(engine, t["contact_info"], contact_id=2)
    assert [(i["id"], i["phone"], i["info_type"]) for i in infos] == [
        (4, "changed", "home"),
        (5, "2-work", "work"),
        (infos[-1]["id"], None, "cell"),
    ]
    links = rows(engine, t["contact_group_relationship"], contact_id=2)
    assert [link["contact_group_id"] for link in links] == [2]


def test_allow_related_delete_deletes_a_child_that_cannot_be_unlinked(db):
    engine, t = db
    unlink = [{"id": 3, HAS_MANY: [{"id": 6, "contact_id": None}]}]
    with pytest.raises(BadRequest, match=f"Relationship '{HAS_MANY}'.*allow_related_delete=true"):
        records.update_records(engine, t["contact"], FULL_GRANT, unlink, nesting=allowing())
    assert rows(engine, t["contact_info"], id=6)
    records.update_records(engine, t["contact"], FULL_GRANT, unlink, nesting=allowing(allow_delete=True))
    assert rows(engine, t["contact_info"], id=6) == []
    assert [i["id"] for i in rows(engine, t["contact_info"], contact_id=3)] == [7]


def test_a_failing_nested_record_writes_nothing(db):
    engine, t = db
    before = {name: len(rows(engine, t[name])) for name in ("contact", "contact_info", "contact_group")}
    bad_child = new_contact(**{HAS_MANY: [{"info_type": "home", "owner": "a"}, {"phone": "no type"}]})
    with pytest.raises(BadRequest, match=f"Relationship '{HAS_MANY}'.*info_type"):
        records.create_records(engine, t["contact"], FULL_GRANT, [bad_child], nesting=allowing())
    batch = [new_contact(**{MANY_MANY: [{"name": "G", "owner": "a"}]}), new_contact(**{HAS_MANY: {"x": 1}})]
    with pytest.raises(BadRequest):
        records.create_records(
            engine, t["contact"], FULL_GRANT, batch, BatchMode.ROLLBACK, nesting=allowing()
        )
    assert {name: len(rows(engine, t[name])) for name in before} == before


def test_each_nested_table_needs_its_own_verb_and_row_filters(db):
    engine, t = db
    no_child_post = allowing({("contact", "POST"): FULL_GRANT, ("contact_info", "PATCH"): FULL_GRANT})
    body = new_contact(**{HAS_MANY: [{"info_type": "home", "owner": "a"}]})
    denied = f"Relationship '{HAS_MANY}': POST on component '_table/contact_info'"
    with pytest.raises(Forbidden, match=denied):
        records.create_records(engine, t["contact"], FULL_GRANT, [body], nesting=no_child_post)
    assert rows(engine, t["contact"], first_name="New") == []
    only_a = Grant(filters=(RowFilter("owner", "=", "a"),))
    filtered = allowing({(n, v): only_a for n in ("contact", "contact_info") for v in VERBS})
    outside = new_contact(**{HAS_MANY: [{"info_type": "home", "owner": "b"}]})
    with pytest.raises(Forbidden, match="outside the rows this role may write"):
        records.create_records(engine, t["contact"], FULL_GRANT, [outside], nesting=filtered)
    own_outside = new_contact(owner="b", **{HAS_MANY: [{"info_type": "home", "owner": "a"}]})
    with pytest.raises(Forbidden, match="outside the rows this role may write"):
        records.create_records(engine, t["contact"], only_a, [own_outside], nesting=filtered)
    hidden_child = [{"id": 1, HAS_MANY: [{"id": 3, "phone": "x"}]}]  # info 3 belongs to owner b
    with pytest.raises(Exception, match="not found in table 'contact_info'"):
        records.update_records(engine, t["contact"], FULL_GRANT, hidden_child, nesting=filtered)
    assert rows(engine, t["contact_info"], id=3)[0]["phone"] == "1-work"
    assert rows(engine, t["contact"], first_name="New") == []


def test_field_lists_apply_to_nested_records_and_updates_by_id(db):
    engine, t = db
    no_phone = Grant(fields=frozenset({"id", "contact_id", "info_type", "owner"}))
    nesting = allowing({("contact_info", v): no_phone for v in VERBS})
    body = {"first_name": "Changed", HAS_MANY: [{"id": 2, "phone": "hidden"}]}
    with pytest.raises(BadRequest, match=f"Relationship '{HAS_MANY}': Unknown field 'phone'"):
        records.update_record(engine, t["contact"], FULL_GRANT, "1", body, nesting=nesting)
    assert rows(engine, t["contact"], id=1)[0]["first_name"] == "First 1"  # nothing written
    body[HAS_MANY] = [{"id": 2, "info_type": "cell"}, {"info_type": "fax", "owner": "a"}]
    assert records.update_record(engine, t["contact"], FULL_GRANT, "1", body, nesting=nesting) == {"id": 1}
    for nothing in ({HAS_MANY: None}, {HAS_MANY: []}):  # null and [] change nothing, as in DreamFactory
        assert records.update_record(engine, t["contact"], FULL_GRANT, "1", nothing, nesting=nesting) == {
            "id": 1
        }
    assert [i["info_type"] for i in rows(engine, t["contact_info"], contact_id=1)] == ["cell", "work", "fax"]


def test_related_records_with_a_chosen_key_are_upserted(db):
    engine, t = db
    info = {
        "info_type": "home",
        "owner": "a",
        "contact_id": 1,
        "country_by_country": {"code": "NL", "name": "NL"},
    }
    records.create_records(engine, t["contact_info"], FULL_GRANT, [info], nesting=allowing())
    info["country_by_country"]["name"] = "Netherlands"
    records.create_records(engine, t["contact_info"], FULL_GRANT, [info], nesting=allowing())
    assert rows(engine, t["country"]) == [{"code": "NL", "name": "Netherlands"}]
    assert [i["country"] for i in rows(engine, t["contact_info"], contact_id=1)] == [None, None, "NL", "NL"]
    missing = [{"id": 1, HAS_MANY: [{"id": 999, "phone": "x"}]}]  # a generated key is never chosen
    with pytest.raises(NotFound, match=f"Relationship '{HAS_MANY}': Record '999' not found"):
        records.update_records(engine, t["contact"], FULL_GRANT, missing, nesting=allowing())


def test_a_relationship_to_a_table_the_caller_cannot_use_reads_as_an_unknown_field(db):
    """Before, a 403 named the hidden table (or the hidden join column): guessed names were confirmed."""
    engine, t = db
    own = Grant(fields=frozenset({"id", "first_name", "last_name", "owner"}))
    no_infos = allowing({("contact", v): FULL_GRANT for v in VERBS})
    hidden_fk = allowing(
        {
            (n, v): own if n == "contact_info" else FULL_GRANT
            for n in ("contact", "contact_info")
            for v in VERBS
        }
    )
    for nesting in (no_infos, hidden_fk):
        for name in (HAS_MANY, "contact_info_by_nothing"):
            body = new_contact(**{name: [{"info_type": "home", "owner": "a"}]})
            with pytest.raises(BadRequest) as refused:
                records.create_records(engine, t["contact"], FULL_GRANT, [body], nesting=nesting)
            assert refused.value.message == f"Unknown field '{name}'"
    assert rows(engine, t["contact"], first_name="New") == []
    # With some verb on the other table and its join column, the relationship is the caller's to use.
    body = new_contact(**{HAS_MANY: [{"info_type": "home", "owner": "a"}]})
    only_patch = allowing({("contact", "POST"): FULL_GRANT, ("contact_info", "PATCH"): FULL_GRANT})
    with pytest.raises(
        Forbidden, match=f"Relationship '{HAS_MANY}': POST on component '_table/contact_info'"
    ):
        records.create_records(engine, t["contact"], FULL_GRANT, [body], nesting=only_patch)
