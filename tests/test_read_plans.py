"""Read plans (data/read_plans.py) answer exactly what SQLAlchemy's execution answers, on every engine.

Each read here runs three times: the first through SQLAlchemy, the second compiles the shape's plan, the
third reuses it. The answers must be identical, per-request values (limit, offset, keys) must reach the
reused plan, and a plan must never serve another grant's rows.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bastion.access import FULL_GRANT, Grant, RowFilter
from bastion.data import engines, records
from bastion.data.read_plans import OneOffRead, ReadPlan, ReadPlans
from bastion.errors import BadRequest, NotFound
from tests import test_records as seeded
from tests.live import free_port
from tests.test_records import NO_SALARY, SALES, ids_of, params

database, db = seeded.database, seeded.db  # the seeded schema of test_records, one per engine

HR = Grant(filters=(RowFilter("department", "=", "HR"),))
LIST_QUERIES = [
    {},
    {"fields": "name,salary", "order": "salary desc"},
    {"filter": "hired >= '2020-01-05' and active = true"},
    {"filter": "salary > 45000.5", "include_count": "true", "limit": "3", "offset": "2"},
    {"filter": "name like 'Emp 1%' or notes is null", "order": "hired desc"},
    {"filter": "active != true", "fields": "*"},
    {"filter": "department in ('Sales', 'HR')"},
    {"limit": "25"},
]


@pytest.fixture
def plans():
    """A fresh, empty plan cache for the record operations."""
    return ReadPlans()


def three_times(read):
    answers = [read() for _ in range(3)]
    assert answers[1] == answers[0]
    assert answers[2] == answers[0]
    return answers[0]


@pytest.mark.parametrize("query", LIST_QUERIES)
@pytest.mark.parametrize("grant", [FULL_GRANT, SALES, NO_SALARY], ids=["full", "sales", "no-salary"])
def test_a_plan_answers_lists_like_sqlalchemy(db, plans, query, grant):
    engine, t = db
    if grant is NO_SALARY and "salary" in str(query):
        for _ in range(3):
            with pytest.raises(BadRequest):  # a hidden column stays unknown on every request
                records.list_records(engine, t["employees"], grant, params(**query), plans=plans)
        assert plans.plan_count() == 0
        return
    query_params = params(**query)
    body = three_times(lambda: records.list_records(engine, t["employees"], grant, query_params, plans=plans))
    assert body["resource"], query
    assert plans.plan_count() == 1 + ("include_count" in query)


@pytest.mark.parametrize(
    ("table", "record_id", "fields"),
    [("employees", "3", None), ("employees", "4", ("name", "hired")), ("assignments", "2, 8", None)]
    + [("tags", "b,2", None), ("employees", "9", ("*",))],
)
def test_a_plan_answers_by_id_like_sqlalchemy(db, plans, table, record_id, fields):
    engine, t = db
    table_ = t[table]
    record = three_times(
        lambda: records.get_record(engine, table_, FULL_GRANT, record_id, fields, plans=plans)
    )
    assert record
    assert plans.plan_count() == 1


def test_values_of_each_request_reach_a_reused_plan(db, plans):
    engine, t = db
    employees = t["employees"]
    for n in range(5):
        query = params(limit="3", offset=str(n))
        page = records.list_records(engine, employees, FULL_GRANT, query, plans=plans)
        assert ids_of(page) == [n + 1, n + 2, n + 3]
    found = [records.get_record(engine, employees, FULL_GRANT, str(i), plans=plans)["id"] for i in (5, 6, 7)]
    assert found == [5, 6, 7]
    with pytest.raises(NotFound):
        records.get_record(engine, employees, FULL_GRANT, "999", plans=plans)
    assert plans.plan_count() == 2


def test_a_plan_never_serves_another_grants_rows(db, plans):
    engine, t = db
    for _ in range(3):
        sales = records.list_records(engine, t["employees"], SALES, params(), plans=plans)
        hr = records.list_records(engine, t["employees"], HR, params(), plans=plans)
        assert set(ids_of(sales)) == set(range(1, 9))
        assert set(ids_of(hr)) == set(range(17, 21))
        with pytest.raises(NotFound):
            records.get_record(engine, t["employees"], HR, "3", plans=plans)
    assert plans.plan_count() == 3


def test_driver_errors_on_a_plan_are_sqlalchemy_errors(db, plans):
    engine, _ = db
    metadata = sa.MetaData()
    scratch = sa.Table("plan_scratch", metadata, sa.Column("id", sa.Integer, primary_key=True))
    metadata.create_all(engine)
    try:
        for _ in range(2):
            assert records.list_records(engine, scratch, FULL_GRANT, params(), plans=plans)["resource"] == []
        assert plans.plan_count() == 1
    finally:
        metadata.drop_all(engine)
    # The 503 handler and the constraint translation only know SQLAlchemy's exception classes.
    with pytest.raises(sa.exc.DBAPIError):
        records.list_records(engine, scratch, FULL_GRANT, params(), plans=plans)
    recreated = sa.MetaData()
    sa.Table("plan_scratch", recreated, sa.Column("id", sa.Integer, primary_key=True))
    recreated.create_all(engine)
    try:
        assert records.list_records(engine, scratch, FULL_GRANT, params(), plans=plans)["resource"] == []
    finally:
        recreated.drop_all(engine)


def test_shapes_are_compiled_on_their_second_request_and_evicted_oldest_first(db):
    engine, t = db
    plans = ReadPlans(max_plans=2)
    employees = t["employees"]

    def build(column):
        return lambda: sa.select(employees.c[column]).limit(1)

    assert isinstance(plans.read(engine, "a", build("id")), OneOffRead)
    plan = plans.read(engine, "a", build("id"))
    assert isinstance(plan, ReadPlan)
    assert plans.read(engine, "a", build("id")) is plan
    assert isinstance(plans.read(engine, ["unhashable"], build("id")), OneOffRead)
    assert isinstance(plans.read(engine, None, build("id")), OneOffRead)
    for shape in ("b", "c"):
        plans.read(engine, shape, build("name"))
        plans.read(engine, shape, build("name"))
    assert plans.plan_count() == 2
    assert isinstance(plans.read(engine, "a", build("id")), OneOffRead)  # evicted, seen once again

    # An expanding IN list changes the SQL text per execution: never a plan.
    def expanding():
        return sa.select(employees.c.id).where(employees.c.id.in_([1, 2]))

    assert all(isinstance(plans.read(engine, "in", expanding), OneOffRead) for _ in range(3))


def test_parameters_that_change_the_sql_never_share_a_plan(db, plans):
    """Placeholder values, nulls placement and as_list change the statement: each has its own plan."""
    engine, t = db

    def run(**query):
        return records.list_records(engine, t["employees"], FULL_GRANT, params(**query), plans=plans)

    for _ in range(3):
        assert ids_of(run(filter="salary > :min", **{"params[:min]": "55000"})) == list(range(15, 21))
        assert ids_of(run(filter="salary > :min", **{"params[:min]": "58000"})) == [18, 19, 20]
        first = ids_of(run(fields="id", order="notes nulls first", limit="10"))
        last = ids_of(run(fields="id", order="notes nulls last", limit="10"))
        assert first == list(range(1, 20, 2)) and set(last) == set(range(2, 21, 2))
        assert run(as_list="true", limit="3")["resource"] == [1, 2, 3]
        assert ids_of(run(limit="3")) == [1, 2, 3]
    assert plans.plan_count() == 6


@pytest.mark.parametrize("engine_name", ["postgresql", "mysql"])
def test_a_stopped_database_fails_a_plan_with_sqlalchemy_errors(plans, engine_name):
    # Nothing listens on the port: the pooled connection a plan asks for cannot be opened. Its error
    # must be SQLAlchemy's, like the first (one-off) read's, so the 503 translation applies to both.
    port = free_port()
    config = {"engine": engine_name, "host": "127.0.0.1", "port": port, "database": "x", "username": "u"}
    engine = engines.create_engine(config)
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    try:
        for _ in range(3):
            with pytest.raises(sa.exc.OperationalError):
                records.list_records(engine, table, FULL_GRANT, params(), plans=plans)
            with pytest.raises(sa.exc.OperationalError):
                records.get_record(engine, table, FULL_GRANT, "1", plans=plans)
        assert plans.plan_count() == 2
    finally:
        engine.dispose()
