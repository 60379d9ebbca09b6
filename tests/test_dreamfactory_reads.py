"""DreamFactory's read options in the record layer, on SQLite, PostgreSQL and MariaDB (issue 14).

Placeholders, unquoted values, as_list and nulls placement under role grants: none of them may widen a
row filter or reveal a hidden column.
"""

from __future__ import annotations

import pytest

from bastion.access import FULL_GRANT, Grant
from bastion.data import records
from bastion.errors import BadRequest
from tests import test_records as seeded
from tests.test_records import NO_SALARY, SALES, SALES_IDS, ids_of, params

database, db = seeded.database, seeded.db  # the seeded schema of test_records, one per engine


def employees(db, grant, **query):
    engine, t = db
    return records.list_records(engine, t["employees"], grant, params(**query))


def test_placeholders_are_values_and_never_widen_the_row_filter(db):
    widen = {"filter": "department = :d or id > :n", "params[:d]": "HR", "params[:n]": "0"}
    assert set(ids_of(employees(db, SALES, **widen))) == SALES_IDS
    hostile = {"filter": "department = :d", "params[:d]": "Sales' or '1'='1"}
    assert employees(db, FULL_GRANT, **hostile)["resource"] == []
    assert ids_of(employees(db, FULL_GRANT, filter="name like :p", **{"params[:p]": "Emp 1_"})) == list(
        range(10, 20)
    )


@pytest.mark.parametrize(
    "text", ["salary gt 1", "name = Emp 01 or salary = 1", "salary not in (1,2)", "(salary lte 5)"]
)
def test_a_hidden_column_stays_unknown_in_every_new_spelling(db, text):
    with pytest.raises(BadRequest, match="unknown column 'salary'"):
        employees(db, NO_SALARY, filter=text)


def test_unquoted_values_select_the_same_rows_as_quoted_ones(db):
    quoted = employees(db, FULL_GRANT, filter="department = 'Engineering' and name not like 'Emp 1%'")
    unquoted = employees(db, FULL_GRANT, filter="(department = Engineering) && (name not like Emp 1%)")
    assert ids_of(unquoted) == ids_of(quoted) == [9]


def test_as_list_answers_the_ids_the_grant_may_see(db):
    engine, t = db
    assert employees(db, FULL_GRANT, as_list="true")["resource"] == list(range(1, 21))
    assert employees(db, SALES, as_list="1", order="id desc", limit="3")["resource"] == [8, 7, 6]
    assert employees(db, FULL_GRANT, as_list="1", id_field="name", limit="2")["resource"] == [
        "Emp 01",
        "Emp 02",
    ]
    composite = records.list_records(engine, t["assignments"], FULL_GRANT, params(as_list="1", limit="3"))
    assert composite["resource"] == ["1,7", "1,8", "2,7"]
    tags = records.list_records(engine, t["tags"], FULL_GRANT, params(as_list="1", fields="*"))
    assert tags["resource"] == ["a-1", "b,2"]


def test_as_list_never_reveals_a_hidden_key(db):
    no_key = Grant(fields=frozenset({"name", "department"}))
    with pytest.raises(BadRequest, match="no primary key this role may use"):
        employees(db, no_key, as_list="true")
    with pytest.raises(BadRequest, match="With 'as_list', name the identifying fields with 'id_field'"):
        employees(db, FULL_GRANT, as_list="true", fields="name")
    with pytest.raises(BadRequest, match="Unknown field 'salary'"):
        employees(db, NO_SALARY, as_list="true", id_field="salary")


def test_nulls_first_and_last_on_every_engine(db):
    odd, even = list(range(1, 21, 2)), set(range(2, 21, 2))  # notes is null on odd ids
    assert ids_of(employees(db, FULL_GRANT, order="notes desc nulls first", limit="10")) == odd
    assert ids_of(employees(db, FULL_GRANT, order="notes nulls last", offset="10")) == odd
    assert set(ids_of(employees(db, FULL_GRANT, order="notes desc nulls last", limit="10"))) == even
    assert set(ids_of(employees(db, FULL_GRANT, order="notes asc nulls first", offset="10"))) == even
    with pytest.raises(BadRequest, match="Unknown field 'salary'"):
        employees(db, NO_SALARY, order="salary nulls first")


def test_ids_naming_no_readable_record_are_dreamfactorys_batch_error(db):
    """df-sqldb Table::commitTransaction (GET): an id that finds no record fails the read with 400."""
    with pytest.raises(
        BadRequest, match=r"1 of 3 requested records not found \(first: record 1, id '99'\)"
    ) as e:
        employees(db, FULL_GRANT, ids="3,99,1", fields="name")
    context = e.value.context
    assert context["error"] == context["errors"] == [1]
    assert context["resource"][0] == {"name": "Emp 03"} and context["resource"][2] == {"name": "Emp 01"}
    assert context["resource"][1]["error"]["code"] == 404
    # An id outside the row filter is missing too, and the entries show only what the grant may read.
    with pytest.raises(BadRequest) as e:
        employees(db, SALES, ids="2,12,17")
    assert e.value.context["errors"] == [1, 2]
    assert set(e.value.context["resource"][0]) == {
        "id",
        "name",
        "department",
        "salary",
        "hired",
        "active",
    } | {
        "notes",
        "secret",
    }
    with pytest.raises(BadRequest) as e:
        employees(db, NO_SALARY, ids="2,99")
    assert "salary" not in e.value.context["resource"][0]
    with pytest.raises(BadRequest, match="id '9,9'"):
        engine, t = db
        records.list_records(engine, t["assignments"], FULL_GRANT, params(ids="1,7;9,9"))


def test_ids_found_in_full_or_narrowed_on_purpose_answer_the_records(db):
    assert ids_of(employees(db, FULL_GRANT, ids="5,3,3,19")) == [3, 5, 19]
    assert employees(db, FULL_GRANT, ids="5,3", as_list="1")["resource"] == [3, 5]
    # A filter, an offset or a smaller limit leaves ids out on purpose: no error, as before.
    assert ids_of(employees(db, FULL_GRANT, ids="5,99", filter="id < 10")) == [5]
    assert ids_of(employees(db, FULL_GRANT, ids="5,6,99", limit="2")) == [5, 6]
    assert ids_of(employees(db, FULL_GRANT, ids="5,6,99", offset="1")) == [6]


def test_ids_of_text_keys_match_as_the_database_compares(db):
    engine, t = db
    tags = lambda ids: records.list_records(engine, t["tags"], FULL_GRANT, params(ids=ids))  # noqa: E731
    assert [r["code"] for r in tags("a-1")["resource"]] == ["a-1"]
    if engine.dialect.name == "mysql":  # case-insensitive collation: the database found it, so did we
        assert [r["code"] for r in tags("A-1")["resource"]] == ["a-1"]
    else:
        with pytest.raises(BadRequest, match="id 'A-1'"):
            tags("A-1")
