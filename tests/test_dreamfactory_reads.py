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
