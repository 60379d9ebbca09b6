"""Cursor (keyset) paging and include_count=estimate on SQLite, PostgreSQL and MariaDB (data/keyset.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bastion.access import FULL_GRANT, Grant, RowFilter
from bastion.data import cursors
from bastion.data.params import parse_list_params
from bastion.data.read_plans import ReadPlans
from bastion.data.records import list_records
from bastion.errors import BadRequest
from tests.databases import ENGINES, created_tables, scratch_database

SECRET = cursors.signing_key(b"k" * 32)
# 60 rows: `grp` has many ties and nulls, `score` ties in threes, `name` is unique.
ROWS = [
    {"id": i, "grp": None if i % 7 == 0 else i % 4, "score": i // 3, "name": f"n{(i * 37) % 61:02d}"}
    for i in range(1, 61)
]
ORDERS = ["", "grp", "grp desc", "grp nulls first", "grp desc nulls last", "score desc, name", "name desc"]


@pytest.fixture(scope="module", params=ENGINES)
def database(request, tmp_path_factory):
    """An engine with `people` (int key), `hidden` (its key hidden by the test grant) and a keyless log."""
    with scratch_database(request.param, str(tmp_path_factory.mktemp("cursors"))) as url:
        metadata = sa.MetaData()
        sa.Table(
            "people",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("grp", sa.Integer, nullable=True),
            sa.Column("score", sa.Integer, nullable=False),
            sa.Column("name", sa.String(20), nullable=False),
        )
        sa.Table("log", metadata, sa.Column("entry", sa.String(20)))
        with created_tables(url, metadata) as created:
            yield created


@pytest.fixture
def db(database):
    """`people` reset to its 60 rows."""
    engine, tables = database
    with engine.begin() as conn:
        conn.execute(tables["people"].delete())
        conn.execute(tables["people"].insert(), ROWS)
    return engine, tables["people"]


def page(engine, table, grant=FULL_GRANT, plans=None, **args):
    """One list read with a cursor (empty: the first page)."""
    args.setdefault("cursor", "")
    return list_records(engine, table, grant, parse_list_params(args, 100), plans, SECRET)


def walk(engine, table, grant=FULL_GRANT, plans=None, between=None, **args) -> list[dict]:
    """Every page of a cursor walk, following meta.next; `between` runs after each page."""
    rows, token, pages = [], "", 0
    while True:
        body = page(engine, table, grant, plans, cursor=token, **args)
        rows.extend(body["resource"])
        pages += 1
        assert pages <= 100, "the walk does not end"
        if between is not None:
            between(pages)
        token = body.get("meta", {}).get("next")
        if token is None:
            return rows
        assert isinstance(token, str) and len(body["resource"]) == int(args.get("limit", 100))


def offset_ids(engine, table, grant=FULL_GRANT, **args) -> list:
    """The same read in one offset page: the order the cursor walk must follow."""
    body = list_records(engine, table, grant, parse_list_params({**args, "limit": "1000"}, 1000))
    return [r["id"] for r in body["resource"]]


@pytest.mark.parametrize("order", ORDERS)
def test_a_walk_returns_every_row_once_in_the_offset_order(db, order):
    engine, people = db
    args = {"order": order} if order else {}
    plans = ReadPlans()
    for _ in range(2):  # the second walk runs on compiled plans, null patterns included
        rows = walk(engine, people, plans=plans, limit="7", **args)
        assert [r["id"] for r in rows] == offset_ids(engine, people, **args)


def test_fields_and_as_list_keep_their_shape(db):
    engine, people = db
    rows = walk(engine, people, limit="9", fields="name", order="score desc")
    assert all(set(row) == {"name"} for row in rows)
    assert sorted(r["name"] for r in rows) == sorted(r["name"] for r in ROWS)
    first = page(engine, people, limit="5", as_list="true")
    assert first["resource"] == [1, 2, 3, 4, 5] and isinstance(first["meta"]["next"], str)
    second = page(engine, people, limit="5", as_list="true", cursor=first["meta"]["next"])
    assert second["resource"] == [6, 7, 8, 9, 10]


def test_concurrent_inserts_cause_no_duplicates_and_no_lost_rows(db):
    engine, people = db
    added = iter(range(1000, 1100))

    def insert_some(_pages: int) -> None:
        # Rows land before, inside and after the walk's position in the order.
        with engine.begin() as conn:
            for score in (0, 10, 30):
                conn.execute(people.insert(), {"id": next(added), "grp": 1, "score": score, "name": "new"})

    rows = walk(engine, people, limit="8", order="score", between=insert_some)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert set(range(1, 61)) <= set(ids)


def test_the_role_row_filter_applies_on_every_page(db):
    engine, people = db
    grant = Grant(filters=(RowFilter("score", ">=", 10),))
    rows = walk(engine, people, grant, limit="6", order="grp desc")
    assert [r["id"] for r in rows] == offset_ids(engine, people, grant, order="grp desc")
    assert {r["id"] for r in rows} == {r["id"] for r in ROWS if r["score"] >= 10}


def test_a_tampered_or_foreign_token_is_a_400(db):
    engine, people = db
    token = page(engine, people, limit="5", order="score")["meta"]["next"]
    head, _, mac = token.partition(".")
    forged = cursors._b64(b'{"v":1,"q":"x","after":["1 OR 1=1",1]}') + "." + mac
    for bad in (forged, head + "." + mac[::-1], "garbage", token + "x", "é.é"):
        with pytest.raises(BadRequest, match="not a cursor this server issued"):
            page(engine, people, limit="5", order="score", cursor=bad)
    for other in ({"order": "score desc"}, {"order": "score", "filter": "grp = 1"}, {"fields": "id"}):
        with pytest.raises(BadRequest, match="belongs to another query"):
            page(engine, people, limit="5", cursor=token, **other)
    # A token signed with another key (another installation's APP_KEY) is refused too.
    with pytest.raises(BadRequest, match="not a cursor"):
        list_records(
            engine,
            people,
            FULL_GRANT,
            parse_list_params({"cursor": token, "order": "score", "limit": "5"}, 100),
            secret=cursors.signing_key(b"other"),
        )


def test_a_cursor_with_offset_or_ids_or_a_hidden_key_is_a_400(db, database):
    engine, people = db
    with pytest.raises(BadRequest, match="cannot be combined"):
        page(engine, people, offset="5")
    with pytest.raises(BadRequest, match="cannot be combined"):
        page(engine, people, ids="1,2")
    no_key = Grant(fields=frozenset({"grp", "score", "name"}))
    with pytest.raises(BadRequest, match="needs a primary key this role may read"):
        page(engine, people, no_key, order="score")
    with pytest.raises(BadRequest, match="needs a primary key"):
        page(engine, database[1]["log"])


def test_without_a_cursor_next_stays_the_offset(db):
    engine, people = db
    body = list_records(
        engine, people, FULL_GRANT, parse_list_params({"limit": "5", "include_count": "1"}, 100)
    )
    assert body["meta"] == {"count": 60, "next": 5}


def analyze(engine, table) -> None:
    """Give the database a row estimate of the table."""
    statement = {"postgresql": "ANALYZE people", "mysql": "ANALYZE TABLE people"}.get(engine.dialect.name)
    with engine.begin() as conn:
        conn.execute(sa.text(statement or "ANALYZE"))


def test_include_count_estimate_names_what_was_estimated(db):
    engine, people = db
    analyze(engine, people)
    args = {"limit": "5", "include_count": "estimate"}
    body = list_records(engine, people, FULL_GRANT, parse_list_params(args, 100))
    assert body["meta"]["count_estimated"] is True
    assert isinstance(body["meta"]["count"], int) and body["meta"]["count"] >= 0
    assert body["meta"]["next"] == 5  # from the extra row fetched, not from the estimate
    # A filter or a role's row filter narrows the rows: the count is then exact, and says so.
    filtered = list_records(engine, people, FULL_GRANT, parse_list_params({**args, "filter": "grp = 1"}, 100))
    assert filtered["meta"]["count"] == sum(r["grp"] == 1 for r in ROWS)
    assert filtered["meta"]["count_estimated"] is False
    restricted = Grant(filters=(RowFilter("score", "<", 3),))
    limited = list_records(engine, people, restricted, parse_list_params({**args, "limit": "10"}, 100))
    assert limited["meta"] == {"count": 8, "count_estimated": False}
    exact = list_records(engine, people, FULL_GRANT, parse_list_params({"include_count": "1"}, 100))
    assert exact["meta"] == {"count": 60}
    with_cursor = page(engine, people, limit="50", include_count="estimate", cursor="")
    assert with_cursor["meta"]["count_estimated"] is True and "next" in with_cursor["meta"]


def test_a_deep_cursor_page_seeks_in_the_key_index_on_sqlite(tmp_path):
    # Without this, each page reads every row before it: the cost of offset that cursors exist to avoid.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'seek.db'}")
    metadata = sa.MetaData()
    sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Integer))
    metadata.create_all(engine)
    table = metadata.tables["t"]
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "v": i % 5} for i in range(1, 101)])
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2:4]))
    first = page(engine, table, limit="10")
    statements.clear()
    page(engine, table, limit="10", cursor=first["meta"]["next"])
    ((sql, parameters),) = statements
    with engine.connect() as conn:
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters))
    assert "SEARCH" in plan and "SCAN" not in plan, plan
    engine.dispose()


def test_a_token_too_long_for_a_url_is_refused_when_it_would_be_written(db):
    engine, people = db
    key = cursors.signing_key(b"k")
    assert len(cursors.encode(key, "q", ["x" * 100])) < cursors.MAX_TOKEN
    with pytest.raises(BadRequest, match="too long for a 'cursor' token"):
        cursors.encode(key, "q", ["x" * cursors.MAX_TOKEN])
    with pytest.raises(BadRequest, match="too long to be a cursor"):
        page(engine, people, cursor="x" * (cursors.MAX_TOKEN + 1))


def test_a_cursor_with_group_or_count_only_is_a_400(db):
    engine, people = db
    with pytest.raises(BadRequest, match="'cursor' cannot be used with 'group' or 'count_only'"):
        page(engine, people, count_only="true")
    with pytest.raises(BadRequest, match="'cursor' cannot be used with 'group' or 'count_only'"):
        page(engine, people, group="grp", fields="grp")
