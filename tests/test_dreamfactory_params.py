"""DreamFactory's count_only, group, having and aggregates in the record layer, on every engine (issue 14 §3).

The seeded schema of test_records: 20 employees, ids 1-8 Sales, 9-16 Engineering, 17-20 HR, salary
40000.50 + 1000 * id, active unless the id is a multiple of 3, notes null on odd ids.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from bastion.access import FULL_GRANT, Grant, RowFilter
from bastion.data import records
from bastion.errors import BadRequest
from tests import test_records as seeded
from tests.test_records import NO_SALARY, SALES, params

database, db = seeded.database, seeded.db  # the seeded schema of test_records, one per engine


def employees(db, grant, **query):
    engine, t = db
    return records.list_records(engine, t["employees"], grant, params(**query))


def salary_sum(ids) -> Decimal:
    return sum(Decimal(f"{40000 + i * 1000}.50") for i in ids)


def test_count_only_counts_what_the_filter_and_the_row_filter_leave(db):
    assert employees(db, FULL_GRANT, count_only="true") == {"count": 20}
    assert employees(db, FULL_GRANT, count_only="1", filter="id > 15", limit="2") == {"count": 5}
    # The role's row filter applies: a Sales-only role counts Sales rows whatever it asks.
    assert employees(db, SALES, count_only="1", filter="department = HR or id > 0") == {"count": 8}
    with pytest.raises(BadRequest, match="Unknown field 'salary'"):
        employees(db, NO_SALARY, count_only="1", fields="salary")
    with pytest.raises(BadRequest, match="unknown column 'salary'"):
        employees(db, NO_SALARY, count_only="1", filter="salary > 1")


def test_group_with_aggregates_answers_dreamfactory_names(db):
    body = employees(
        db,
        FULL_GRANT,
        group="department",
        fields="department,COUNT(*),sum(salary),MIN(name),max(hired),COUNT(notes)",
        order="department",
    )
    rows = body["resource"]
    assert [r["department"] for r in rows] == ["Engineering", "HR", "Sales"]
    assert set(rows[0]) == {"department", "COUNT_ALL", "SUM_salary", "MIN_name", "MAX_hired", "COUNT_notes"}
    assert [r["COUNT_ALL"] for r in rows] == [8, 4, 8]
    assert [Decimal(r["SUM_salary"]) for r in rows] == [
        salary_sum(range(9, 17)),
        salary_sum(range(17, 21)),
        salary_sum(range(1, 9)),
    ]
    assert rows[1]["MIN_name"] == "Emp 17" and rows[1]["MAX_hired"] == "2020-01-20"
    assert [r["COUNT_notes"] for r in rows] == [4, 2, 4]  # COUNT(x) skips nulls: notes is null on odd ids


def test_avg_is_a_number_on_every_engine(db):
    rows = employees(db, FULL_GRANT, group="department", fields="department,AVG(id)", order="department")
    assert [r["AVG_id"] for r in rows["resource"]] == [12.5, 18.5, 4.5]


def test_row_filter_applies_before_grouping(db):
    only_sales = employees(db, SALES, group="department", fields="department,COUNT(*)")
    assert only_sales["resource"] == [{"department": "Sales", "COUNT_ALL": 8}]
    some_sales = Grant(filters=(RowFilter("id", "<", 4),))
    rows = employees(db, some_sales, group="active", fields="active,COUNT(*)", order="active")
    assert rows["resource"] == [{"active": False, "COUNT_ALL": 1}, {"active": True, "COUNT_ALL": 2}]


def test_having_filters_groups_with_bound_values(db):
    rows = employees(
        db,
        FULL_GRANT,
        group="department",
        fields="department,COUNT(*)",
        having="COUNT_ALL > 4",
        order="department",
    )
    assert [r["department"] for r in rows["resource"]] == ["Engineering", "Sales"]
    by_sum = employees(
        db, FULL_GRANT, group="department", fields="department,SUM(salary)", having="sum_salary < 250000"
    )
    assert [r["department"] for r in by_sum["resource"]] == ["HR"]
    placeholder = {"having": "department = :d or COUNT_ALL = :n", "params[:d]": "HR", "params[:n]": "8"}
    rows = employees(
        db, FULL_GRANT, group="department", fields="department,COUNT(*)", order="department", **placeholder
    )
    assert [r["department"] for r in rows["resource"]] == ["Engineering", "HR", "Sales"]
    hostile = employees(
        db,
        FULL_GRANT,
        group="department",
        fields="department,COUNT(*)",
        having="department = 'x'' or ''1''=''1'",
    )
    assert hostile["resource"] == []


def test_grouped_pages_and_counts_are_of_groups(db):
    query = {"group": "department", "fields": "department,COUNT(*)", "order": "COUNT(*) desc,department"}
    page = employees(db, FULL_GRANT, limit="1", offset="1", include_count="1", **query)
    assert page["resource"] == [{"department": "Sales", "COUNT_ALL": 8}]
    assert page["meta"] == {"count": 3, "next": 2}
    assert employees(db, FULL_GRANT, count_only="1", having="COUNT_ALL > 4", **query) == {"count": 2}
    # The default fields of a grouped read are its group columns.
    assert employees(db, FULL_GRANT, group="department", order="department")["resource"] == [
        {"department": "Engineering"},
        {"department": "HR"},
        {"department": "Sales"},
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"group": "department", "fields": "department,SUM(salary)"},
        {"group": "department", "fields": "department,max(salary)"},
        {"group": "salary", "fields": "salary"},
        {"group": "department", "fields": "department,COUNT(*)", "having": "salary > 1"},
        {"group": "department", "fields": "department,COUNT(*)", "order": "salary"},
    ],
)
def test_a_hidden_column_is_refused_in_every_grouped_place(db, query):
    with pytest.raises(BadRequest, match="salary") as refused:
        employees(db, NO_SALARY, **query)
    assert refused.value.code == 400
    # The same request from a role that may read salary is fine: the refusal is the field list's doing.
    if "order" not in query and "having" not in query:
        employees(db, FULL_GRANT, **query)


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ({"fields": "SUM(salary)"}, "Aggregate 'SUM(salary)' in 'fields' needs 'group'"),
        ({"group": "department", "fields": "department,name"}, "Field 'name' must be a group column"),
        ({"group": "department,active", "fields": "department"}, "Group column 'active' must also be listed"),
        ({"group": "department", "fields": "*"}, "not '*'"),
        ({"group": "department", "fields": "department,SUM(name)"}, "needs a numeric column; 'name'"),
        ({"group": "department", "fields": "department,AVG(*)"}, "only COUNT takes '*'"),
        ({"group": "department", "fields": "department,SUM(nope)"}, "Unknown field 'nope'"),
        ({"group": "department", "fields": "department,SUM(id;drop)"}, "Unknown field 'id;drop'"),
        ({"group": "department", "fields": "department,SUM(salary) x"}, "Unknown field 'SUM(salary) x'"),
        (
            {"group": "department", "fields": "department,COUNT(*)", "having": "COUNT_ALL >"},
            "Invalid 'having'",
        ),
        ({"group": "department", "as_list": "1"}, "'as_list' and 'group'"),
        ({"group": "department", "order": "name"}, "Order field 'name' must be a group column"),
    ],
)
def test_bad_groupings_are_a_400_naming_the_problem(db, query, needle):
    with pytest.raises(BadRequest, match=None) as refused:
        employees(db, FULL_GRANT, **query)
    assert needle in refused.value.message


def test_having_needs_group():
    with pytest.raises(BadRequest, match="Parameter 'having' needs 'group'"):
        params(having="COUNT_ALL > 1")
