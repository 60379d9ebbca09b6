"""`related=` reads (issue 14 §2) on SQLite, PostgreSQL and MariaDB: DreamFactory's address book schema.

contact_info belongs to contact (has_many contact_info_by_contact_id), and contact_group_relationship is a
junction between contact and contact_group (many_many contact_group_by_contact_group_relationship). Grants
on the related tables come from a grant_of mapping, standing in for the access function the views ask.
"""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa

from bastion.access import FULL_GRANT, Grant, RowFilter
from bastion.data import records
from bastion.data import related as related_reads
from bastion.data.params import parse_list_params, parse_read_params
from bastion.data.read_plans import ReadPlans
from bastion.data.relationships import relationships
from bastion.data.schema import SchemaCache
from bastion.errors import BadRequest
from tests.databases import ENGINES, recorded, reflected_database

CONTACTS = [
    {"id": i, "first_name": f"First {i}", "last_name": f"Last {i}", "owner": "a" if i % 2 else "b"}
    for i in range(1, 31)
]
# Two infos per contact: a home one (owner a) and a work one (owner b).
INFOS = [
    {"id": 2 * i + k, "contact_id": i, "info_type": t, "phone": f"{i}-{t}", "owner": o}
    for i in range(1, 31)
    for k, (t, o) in enumerate((("home", "a"), ("work", "b")))
]
GROUPS = [{"id": 1, "name": "Friends", "owner": "a"}, {"id": 2, "name": "Work", "owner": "b"}]
LINKS = [{"id": i, "contact_id": i, "contact_group_id": 1 + i % 2} for i in range(1, 31)]
LINKS += [{"id": 100 + i, "contact_id": i, "contact_group_id": 1} for i in (1, 3)]
HAS_MANY, MANY_MANY = "contact_info_by_contact_id", "contact_group_by_contact_group_relationship"
BELONGS_TO = "contact_by_contact_id"


def create_schema(engine: sa.Engine) -> None:
    metadata = sa.MetaData()

    def owner() -> sa.Column:
        return sa.Column("owner", sa.String(10), nullable=False)

    contact = sa.Table(
        "contact",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("first_name", sa.String(40), nullable=False),
        sa.Column("last_name", sa.String(40), nullable=False),
        owner(),
    )
    sa.Table(
        "contact_info",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey("contact.id"), nullable=False),
        sa.Column("info_type", sa.String(20), nullable=False),
        sa.Column("phone", sa.String(40)),
        owner(),
        sa.Column("country", sa.String(2), sa.ForeignKey("country.code")),
    )
    sa.Table(  # a key the database does not generate: nested writes upsert it
        "country",
        metadata,
        sa.Column("code", sa.String(2), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(40), nullable=False),
    )
    group = sa.Table(
        "contact_group",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        owner(),
    )
    sa.Table(
        "contact_group_relationship",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey(contact.c.id), nullable=False),
        sa.Column("contact_group_id", sa.Integer, sa.ForeignKey(group.c.id), nullable=False),
    )
    metadata.create_all(engine)


@pytest.fixture(scope="module", params=ENGINES)
def database(request, tmp_path_factory):
    """An engine and its reflected tables, one address book per engine shared by the module."""
    with reflected_database(request.param, str(tmp_path_factory.mktemp("related")), create_schema) as found:
        yield found


@pytest.fixture
def db(database):
    """The address book reset to its seed rows before each test."""
    engine, t = database
    with engine.begin() as conn:
        for name in ("contact_group_relationship", "contact_info", "contact_group", "contact", "country"):
            conn.execute(t[name].delete())
        for name, rows in (("contact", CONTACTS), ("contact_info", INFOS), ("contact_group", GROUPS)):
            conn.execute(t[name].insert(), rows)
        conn.execute(t["contact_group_relationship"].insert(), LINKS)
        if engine.dialect.name == "postgresql":
            # The seeds chose their ids; records created by the tests must not collide with them.
            for name in ("contact", "contact_info", "contact_group", "contact_group_relationship"):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), 1000)"))
    return engine, t


def only_a(*fields: str) -> Grant:
    """Rows whose owner is 'a'; all columns, or only the fields named."""
    return Grant(filters=(RowFilter("owner", "=", "a"),), fields=frozenset(fields) if fields else None)


def granting(t, grants: dict[str, Grant | None], default: Grant | None = FULL_GRANT):
    """A grant_of for the tables of t: the given grant per table name, else default."""
    return lambda table: grants.get(table.name, default)


def contacts(db, grants=None, grant=FULL_GRANT, **query):
    engine, t = db
    params = parse_list_params(query, 100)
    grant_of = granting(t, grants or {})
    return records.list_records(engine, t["contact"], grant, params, grant_of=grant_of, cap=100)["resource"]


def test_relationships_are_named_as_dreamfactory_names_them(db):
    _, t = db
    found = {name: r.describe() for name, r in relationships(t["contact"]).items()}
    # contact_info holds two foreign keys, so it is a junction too (to country), as DreamFactory sees it.
    assert set(found) == {
        HAS_MANY,
        MANY_MANY,
        "contact_group_relationship_by_contact_id",
        "country_by_contact_info",
    }
    assert found[MANY_MANY] == {
        "name": MANY_MANY,
        "type": "many_many",
        "field": "id",
        "ref_table": "contact_group",
        "ref_field": "id",
        "junction_table": "contact_group_relationship",
        "junction_field": "contact_id",
        "junction_ref_field": "contact_group_id",
    }
    belongs = relationships(t["contact_info"])[BELONGS_TO]
    assert (belongs.type, belongs.field, belongs.ref_table.name, belongs.ref_field) == (
        "belongs_to",
        "contact_id",
        "contact",
        "id",
    )
    assert "contact_by_contact_group_relationship" in relationships(t["contact_group"])


def test_related_star_attaches_every_kind(db):
    rows = contacts(db, related="*", limit="3")
    assert [r["id"] for r in rows] == [1, 2, 3]
    assert [i["phone"] for i in rows[0][HAS_MANY]] == ["1-home", "1-work"]
    assert [[g["name"] for g in r[MANY_MANY]] for r in rows] == [
        ["Friends", "Work"],
        ["Friends"],
        ["Friends", "Work"],
    ]
    assert [j["contact_group_id"] for j in rows[1]["contact_group_relationship_by_contact_id"]] == [1]


def test_without_grant_of_no_other_table_is_read(db):
    engine, t = db
    with pytest.raises(BadRequest, match=f"no relationship '{BELONGS_TO}'"):
        records.list_records(
            engine, t["contact_info"], FULL_GRANT, parse_list_params({"related": BELONGS_TO}, 9)
        )


def test_belongs_to_is_an_object_and_by_id_works(db):
    engine, t = db
    params, related = parse_read_params({"related": BELONGS_TO, "fields": "phone"})
    one = records.get_record(
        engine, t["contact_info"], FULL_GRANT, "3", params.fields, asked=related, grant_of=granting(t, {})
    )
    assert one == {"phone": "1-work", BELONGS_TO: {**CONTACTS[0]}}


def test_per_relation_fields_limit_and_order(db):
    rows = contacts(
        db,
        related=HAS_MANY,
        fields="first_name",
        limit="2",
        **{f"{HAS_MANY}.fields": "phone", f"{HAS_MANY}.limit": "1", f"{HAS_MANY}.order": "phone desc"},
    )
    assert rows == [
        {"first_name": "First 1", HAS_MANY: [{"phone": "1-work"}]},
        {"first_name": "First 2", HAS_MANY: [{"phone": "2-work"}]},
    ]


def test_related_row_filters_and_field_lists_apply(db):
    grants = {"contact_info": only_a("id", "contact_id", "phone"), "contact_group": only_a()}
    rows = contacts(db, grants, related=f"{HAS_MANY},{MANY_MANY}", ids="1,2,3")
    for row in rows:
        assert [i["phone"] for i in row[HAS_MANY]] == [f"{row['id']}-home"]
        assert all(set(i) == {"id", "contact_id", "phone"} for i in row[HAS_MANY])
        assert all(g["owner"] == "a" for g in row[MANY_MANY])
    assert [[g["name"] for g in r[MANY_MANY]] for r in rows] == [["Friends"]] * 3  # never "Work" (owner b)


def test_junction_row_filters_apply(db):
    junction = Grant(filters=(RowFilter("contact_group_id", "=", "1"),))
    rows = contacts(db, {"contact_group_relationship": junction}, related=MANY_MANY, ids="2,5")
    assert [[g["id"] for g in r[MANY_MANY]] for r in rows] == [[1], []]


def test_denied_relationship_reads_as_unknown_and_star_leaves_it_out(db):
    grants = {"contact_group": None}
    # Not a 403 naming the table: that told the caller a table hidden from it exists, and its name.
    with pytest.raises(BadRequest, match=f"no relationship '{MANY_MANY}'") as denied:
        contacts(db, grants, related=MANY_MANY)
    with pytest.raises(BadRequest) as unknown:
        contacts(db, grants, related="contact_group_by_nothing")
    assert str(denied.value).replace(MANY_MANY, "X") == str(unknown.value).replace(
        "contact_group_by_nothing", "X"
    )
    assert "contact_group'" not in str(denied.value).replace(MANY_MANY, "")
    rows = contacts(db, grants, related="*", limit="1")
    assert MANY_MANY not in rows[0] and HAS_MANY in rows[0]


def test_hidden_join_column_is_refused_and_never_leaks(db):
    # The same 400 as an unknown name: a reason would confirm that a hidden column exists and joins.
    for grant, grants in (
        (Grant(fields=frozenset({"first_name"})), {}),
        (FULL_GRANT, {"contact_info": Grant(fields=frozenset({"id", "phone"}))}),
    ):
        with pytest.raises(BadRequest, match=f"no relationship '{HAS_MANY}' that this caller may read$"):
            contacts(db, grants, grant=grant, related=HAS_MANY)
    rows = contacts(db, related=HAS_MANY, fields="first_name", limit="1")
    assert set(rows[0]) == {"first_name", HAS_MANY}  # the join key was selected, then dropped


def test_unknown_relationship_is_400(db):
    with pytest.raises(BadRequest, match="no relationship 'nope'"):
        contacts(db, related="nope")


def statements(engine: sa.Engine) -> contextlib.AbstractContextManager[list[str]]:
    """The SQL of every statement the engine runs inside the block."""
    return recorded(engine, "before_cursor_execute", lambda _conn, _cursor, statement, *_: statement)


def test_one_query_per_relationship_per_page(db):
    engine, _ = db
    for limit in ("3", "30"):
        with statements(engine) as seen:
            rows = contacts(db, related=f"{HAS_MANY},{MANY_MANY}", limit=limit)
        assert len(rows) == int(limit) and all(len(r[HAS_MANY]) == 2 for r in rows)
        assert sum("contact_info" in s for s in seen) == 1
        assert sum("contact_group_relationship" in s for s in seen) == 1


def test_compiled_related_reads_answer_what_one_off_reads_answer(db):
    engine, t = db
    plans = ReadPlans()
    for ids in ("1,2,3", "4,5,6", "7", "1,2,3,4,5,6,7,8,9"):  # 3 keys run in 4 slots, the last repeated
        query = {"related": "*", "ids": ids, f"{HAS_MANY}.order": "phone desc"}
        expected = contacts(db, **query)
        for _ in range(3):  # seen once, compiled, then run from the plan
            params = parse_list_params(query, 100)
            grant_of = granting(t, {})
            got = records.list_records(engine, t["contact"], FULL_GRANT, params, plans, grant_of, cap=100)
            assert got["resource"] == expected
    assert plans.plan_count() >= 3


def test_very_large_pages_are_read_in_chunks_of_keys(db, monkeypatch):
    engine, _ = db
    monkeypatch.setattr(related_reads, "CHUNK", 4)
    with statements(engine) as seen:
        rows = contacts(db, related=HAS_MANY, limit="10")
    assert sum("contact_info" in s for s in seen) == 3  # 4 + 4 + 2 keys
    expected = [[f"{n}-home", f"{n}-work"] for n in range(1, 11)]
    assert [[i["phone"] for i in r[HAS_MANY]] for r in rows] == expected


def test_relationships_follow_the_schema_cache(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'cache.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    cache = SchemaCache()
    assert relationships(cache.table("k", engine, "parent")) == {}
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INT REFERENCES parent)")
    cache.refresh("k")
    assert list(relationships(cache.table("k", engine, "parent"))) == ["child_by_parent_id"]
    engine.dispose()


def test_a_cursor_walk_with_related_keeps_its_order_when_a_sort_column_is_a_join_column(db):
    # contact_id is both a sort column and the join column related= adds and drops again; the
    # cursor's token must be written from it before it is dropped.
    engine, t = db
    query = {"order": "contact_id desc", "fields": "phone", "related": BELONGS_TO, "limit": "7"}
    phones, token = [], ""
    for _ in range(20):
        params = parse_list_params({**query, "cursor": token}, 100)
        body = records.list_records(engine, t["contact_info"], FULL_GRANT, params, grant_of=granting(t, {}))
        assert all(set(row) == {"phone", BELONGS_TO} for row in body["resource"])
        phones += [row["phone"] for row in body["resource"]]
        token = body.get("meta", {}).get("next")
        if token is None:
            break
    expected = [i["phone"] for i in sorted(INFOS, key=lambda i: (-i["contact_id"], i["id"]))]
    assert phones == expected
