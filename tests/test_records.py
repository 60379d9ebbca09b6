"""Record operations of the data API on SQLite, PostgreSQL and MariaDB, with hand-made grants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bastion.access import FULL_GRANT, Grant, RowFilter
from bastion.data.params import BatchMode, parse_list_params
from bastion.data.records import (
    create_records,
    delete_record,
    delete_records,
    get_record,
    grant_condition,
    list_records,
    records_from_body,
    update_by_filter,
    update_by_ids,
    update_record,
    update_records,
)
from bastion.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationError
from tests.databases import ENGINES, reflected_database

DEPARTMENTS = {**dict.fromkeys(range(1, 9), "Sales"), **dict.fromkeys(range(9, 17), "Engineering")}
DEPARTMENTS |= dict.fromkeys(range(17, 21), "HR")
EMPLOYEES = [
    {
        "id": i,
        "name": f"Emp {i:02d}",
        "department": DEPARTMENTS[i],
        "salary": Decimal(f"{40000 + i * 1000}.50"),
        "hired": dt.date(2020, 1, i),
        "active": i % 3 != 0,
        "notes": None if i % 2 else f"note {i}",
        "secret": f"s{i}",
    }
    for i in range(1, 21)
]
ASSIGNMENTS = [{"employee_id": e, "project_id": p, "role": f"r{e}-{p}"} for e in (1, 2, 3) for p in (7, 8)]
TAGS = [{"code": "a-1", "label": "Alpha"}, {"code": "b,2", "label": "Beta"}]
SALES = Grant(filters=(RowFilter("department", "=", "Sales"),))
NO_SALARY = Grant(fields=frozenset({"id", "name", "department", "hired", "active", "notes"}))
SALES_IDS = set(range(1, 9))


def create_schema(engine: sa.Engine) -> None:
    """employees (int key), assignments (composite key, foreign key), tags (text key), logbook (no key)."""
    metadata = sa.MetaData()
    sa.Table(
        "employees",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("department", sa.String(30), nullable=False),
        sa.Column("salary", sa.Numeric(10, 2)),
        sa.Column("hired", sa.Date),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("notes", sa.Text),
        sa.Column("secret", sa.String(30)),
    )
    sa.Table(
        "assignments",
        metadata,
        sa.Column("employee_id", sa.Integer, sa.ForeignKey("employees.id"), primary_key=True),
        sa.Column("project_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("role", sa.String(30)),
    )
    sa.Table(
        "tags",
        metadata,
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("label", sa.String(50), nullable=False, unique=True),
    )
    sa.Table("logbook", metadata, sa.Column("entry", sa.String(50)), sa.Column("day", sa.Date))
    metadata.create_all(engine)
    if engine.dialect.name == "postgresql":
        # Seeds use explicit ids 1..20; created records must not collide with them.
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('employees', 'id'), 1000)"))


@pytest.fixture(scope="module", params=ENGINES)
def database(request, tmp_path_factory):
    """An engine and the reflected tables, one schema per engine shared by the module."""
    with reflected_database(request.param, str(tmp_path_factory.mktemp("records")), create_schema) as found:
        yield found


@pytest.fixture
def db(database):
    """The shared schema reset to its seed rows before each test."""
    engine, tables = database
    with engine.begin() as conn:
        for name in ("assignments", "tags", "logbook", "employees"):
            conn.execute(tables[name].delete())
        conn.execute(tables["employees"].insert(), EMPLOYEES)
        conn.execute(tables["assignments"].insert(), ASSIGNMENTS)
        conn.execute(tables["tags"].insert(), TAGS)
        conn.execute(tables["logbook"].insert(), [{"entry": "one", "day": dt.date(2024, 5, 1)}])
    return engine, tables


def params(max_records: int = 100, **args: str):
    return parse_list_params(args, max_records)


def ids_of(body) -> list:
    return [row["id"] for row in body["resource"]]


def count(engine, table, condition=None) -> int:
    stmt = sa.select(sa.func.count()).select_from(table)
    with engine.connect() as conn:
        return conn.execute(stmt if condition is None else stmt.where(condition)).scalar_one()


def row(engine, table, **key):
    with engine.connect() as conn:
        stmt = sa.select(table).where(*(table.c[name] == value for name, value in key.items()))
        return conn.execute(stmt).mappings().first()


# Reads


def test_list_defaults_to_key_order_without_meta(db):
    engine, t = db
    body = list_records(engine, t["employees"], FULL_GRANT, params())
    assert ids_of(body) == list(range(1, 21))
    assert "meta" not in body
    with engine.connect() as conn:
        assert ids_of(list_records(conn, t["employees"], SALES, params(limit="2"))) == [1, 2]
        assert get_record(conn, t["employees"], SALES, "3")["id"] == 3


def test_rows_are_json_safe(db):
    engine, t = db
    first = list_records(engine, t["employees"], FULL_GRANT, params(ids="2"))["resource"][0]
    assert first["salary"] == "42000.50"
    assert first["hired"] == "2020-01-02"
    assert first["active"] in (True, 1)
    assert first["notes"] == "note 2"


def test_cap_truncates_and_reports_count_and_next(db):
    engine, t = db
    body = list_records(engine, t["employees"], FULL_GRANT, params(max_records=5, limit="50"))
    assert ids_of(body) == [1, 2, 3, 4, 5]
    assert body["meta"] == {"count": 20, "next": 5}
    last = list_records(engine, t["employees"], FULL_GRANT, params(max_records=5, offset="15"))
    assert ids_of(last) == [16, 17, 18, 19, 20]
    assert "meta" not in last


def test_limit_offset_order_and_include_count(db):
    engine, t = db
    body = list_records(engine, t["employees"], FULL_GRANT, params(limit="3", offset="2", order="id desc"))
    assert ids_of(body) == [18, 17, 16]
    assert "meta" not in body
    counted = list_records(engine, t["employees"], FULL_GRANT, params(limit="3", include_count="true"))
    assert counted["meta"] == {"count": 20, "next": 3}
    by_department = params(order="department desc, salary asc", fields="id,department", limit="3")
    assert ids_of(list_records(engine, t["employees"], FULL_GRANT, by_department)) == [1, 2, 3]


def test_fields_filter_and_ids(db):
    engine, t = db
    body = list_records(
        engine, t["employees"], FULL_GRANT, params(fields="name,id", filter="department = 'HR' and id > 18")
    )
    assert body["resource"] == [{"name": "Emp 19", "id": 19}, {"name": "Emp 20", "id": 20}]
    assert ids_of(list_records(engine, t["employees"], FULL_GRANT, params(ids="5, 3,19"))) == [3, 5, 19]
    named = list_records(engine, t["employees"], FULL_GRANT, params(ids="Emp 04", id_field="name"))
    assert ids_of(named) == [4]


def test_composite_and_text_keys(db):
    engine, t = db
    body = list_records(engine, t["assignments"], FULL_GRANT, params(ids="1,7;3,8"))
    assert [(r["employee_id"], r["project_id"]) for r in body["resource"]] == [(1, 7), (3, 8)]
    assert get_record(engine, t["assignments"], FULL_GRANT, "2, 8")["role"] == "r2-8"
    assert get_record(engine, t["tags"], FULL_GRANT, "b,2") == {"code": "b,2", "label": "Beta"}
    with pytest.raises(BadRequest, match="must have 2 comma-separated values"):
        get_record(engine, t["assignments"], FULL_GRANT, "2")
    with pytest.raises(BadRequest, match="separate composite ids with ';'"):
        list_records(engine, t["assignments"], FULL_GRANT, params(ids="1,7,3,8"))


def test_get_record_and_its_errors(db):
    engine, t = db
    assert get_record(engine, t["employees"], FULL_GRANT, "5", fields=("id", "name")) == {
        "id": 5,
        "name": "Emp 05",
    }
    with pytest.raises(NotFound, match="Record '55' not found in table 'employees'"):
        get_record(engine, t["employees"], FULL_GRANT, "55")
    with pytest.raises(BadRequest, match="Invalid id 'abc': field 'id' must be an integer"):
        get_record(engine, t["employees"], FULL_GRANT, "abc")
    with pytest.raises(BadRequest, match="Invalid id"):
        list_records(engine, t["employees"], FULL_GRANT, params(ids="1,x"))


def test_table_without_key_reads_with_id_field_and_refuses_writes(db):
    engine, t = db
    assert list_records(engine, t["logbook"], FULL_GRANT, params())["resource"] == [
        {"entry": "one", "day": "2024-05-01"}
    ]
    assert get_record(engine, t["logbook"], FULL_GRANT, "one", id_field=("entry",))["day"] == "2024-05-01"
    with pytest.raises(BadRequest, match="name the key fields with 'id_field'"):
        get_record(engine, t["logbook"], FULL_GRANT, "one")
    with pytest.raises(BadRequest, match="its records cannot be written"):
        create_records(engine, t["logbook"], FULL_GRANT, [{"entry": "two"}])


# Row filters and hidden columns


def test_row_filter_limits_list_count_get_and_ids(db):
    engine, t = db
    employees = t["employees"]
    body = list_records(engine, employees, SALES, params(include_count="1"))
    assert set(ids_of(body)) == SALES_IDS and body["meta"]["count"] == 8
    assert ids_of(list_records(engine, employees, SALES, params(ids="2,3"))) == [2, 3]
    with pytest.raises(BadRequest, match="2 of 3 requested records not found"):
        list_records(engine, employees, SALES, params(ids="2,12,17"))
    with pytest.raises(NotFound, match="Record '12' not found"):
        get_record(engine, employees, SALES, "12")
    escape = params(filter="department = 'HR' or id > 0", include_count="true")
    escaped = list_records(engine, employees, SALES, escape)
    assert set(ids_of(escaped)) == SALES_IDS and escaped["meta"]["count"] == 8
    assert ids_of(list_records(engine, employees, SALES, params(filter="department = 'HR'"))) == []


def test_row_filters_joined_by_or(db):
    engine, t = db
    grant = Grant(filters=(RowFilter("department", "=", "HR"), RowFilter("id", "in", "1, 2")), filter_op="OR")
    assert ids_of(list_records(engine, t["employees"], grant, params())) == [1, 2, 17, 18, 19, 20]
    assert grant_condition(t["employees"], FULL_GRANT) is None


def test_row_filter_that_cannot_apply_denies(db):
    engine, t = db
    broken = Grant(filters=(RowFilter("nope", "=", 1),))
    with pytest.raises(Forbidden):
        list_records(engine, t["employees"], broken, params())
    with pytest.raises(Forbidden):
        grant_condition(t["employees"], Grant(filters=(RowFilter("id", "=", "abc"),)))


@pytest.mark.parametrize(
    "args",
    [{"order": "{}"}, {"fields": "id,{}"}, {"ids": "1", "id_field": "{}"}],
    ids=["order", "fields", "id_field"],
)
def test_hidden_column_reads_as_unknown(db, args):
    engine, t = db
    for name in ("salary", "nope"):
        query = params(**{k: v.format(name) for k, v in args.items()})
        with pytest.raises(BadRequest) as caught:
            list_records(engine, t["employees"], NO_SALARY, query)
        assert caught.value.message == f"Unknown field '{name}'"


def test_hidden_column_in_filter_reads_as_unknown_and_is_not_returned(db):
    engine, t = db
    messages = []
    for name in ("salary", "nope"):
        with pytest.raises(BadRequest) as caught:
            list_records(engine, t["employees"], NO_SALARY, params(filter=f"{name} > 1"))
        messages.append(caught.value.message.replace(name, "X"))
    assert messages[0] == messages[1]
    first = list_records(engine, t["employees"], NO_SALARY, params(fields="*"))["resource"][0]
    assert "salary" not in first and "secret" not in first
    assert "salary" not in get_record(engine, t["employees"], NO_SALARY, "1")
    with pytest.raises(ValidationError, match="Unknown field 'salary'"):
        update_record(engine, t["employees"], NO_SALARY, "1", {"salary": 1})
    with pytest.raises(BadRequest, match="Unknown field 'secret'"):
        get_record(engine, t["employees"], NO_SALARY, "1", fields=("secret",))


# Creating


def test_create_returns_keys_and_fields(db):
    engine, t = db
    employees = t["employees"]
    body = create_records(engine, employees, FULL_GRANT, [{"name": "New", "department": "HR"}])
    new_id = body["resource"][0]["id"]
    assert body == {"resource": [{"id": new_id}]}
    stored = row(engine, employees, id=new_id)
    assert stored["name"] == "New" and stored["active"] in (True, 1)
    records = [
        {"name": "A", "department": "HR", "salary": "10.25", "hired": "2024-02-29", "active": False},
        {"name": "B", "department": "HR", "salary": 7.5},
    ]
    body = create_records(engine, employees, NO_SALARY, [{"name": "B", "department": "HR"}])
    assert list(body["resource"][0]) == ["id"]
    body = create_records(engine, employees, FULL_GRANT, records, fields=("name", "salary", "hired"))
    assert body["resource"] == [
        {"name": "A", "salary": "10.25", "hired": "2024-02-29"},
        {"name": "B", "salary": "7.50", "hired": None},
    ]


def test_create_composite_and_text_keys(db):
    engine, t = db
    body = create_records(engine, t["assignments"], FULL_GRANT, [{"employee_id": 4, "project_id": 9}])
    assert body == {"resource": [{"employee_id": 4, "project_id": 9}]}
    body = create_records(engine, t["tags"], FULL_GRANT, [{"code": "c 3", "label": "Gamma"}], fields=("*",))
    assert body == {"resource": [{"code": "c 3", "label": "Gamma"}]}


@pytest.mark.parametrize(
    ("record", "error", "message"),
    [
        ({"department": "HR"}, ValidationError, "Field 'name' is required"),
        (
            {"name": "X", "department": "HR", "salary": "abc"},
            ValidationError,
            "Field 'salary' must be a number",
        ),
        ({"name": "X", "department": "HR", "hired": "2024-13-01"}, ValidationError, "Field 'hired' must be"),
        ({"name": "X" * 51, "department": "HR"}, ValidationError, "at most 50 characters"),
        (
            {"name": "X", "department": "HR", "nope": 1, "nah": 2},
            ValidationError,
            "Unknown fields 'nope', 'nah'",
        ),
        ({"name": "X", "department": "HR", "salary": 123456789}, ValidationError, "at most 8 digits before"),
        ({"id": 1, "name": "X", "department": "HR"}, Conflict, "id: the value is already used by another"),
    ],
    ids=["required", "number", "date", "length", "unknown", "overflow", "duplicate"],
)
def test_create_refuses_bad_records(db, record, error, message):
    engine, t = db
    with pytest.raises(error, match=message) as caught:
        create_records(engine, t["employees"], FULL_GRANT, [record])
    assert type(caught.value) is error
    assert count(engine, t["employees"]) == 20


def test_constraint_messages_carry_no_driver_text(db):
    engine, t = db
    with pytest.raises(Conflict) as caught:
        create_records(engine, t["tags"], FULL_GRANT, [{"code": "z", "label": "Alpha"}])
    assert "tags" not in caught.value.message.lower() and "duplicate" not in caught.value.message.lower()
    with pytest.raises(BadRequest, match="foreign key") as caught:
        create_records(engine, t["assignments"], FULL_GRANT, [{"employee_id": 99, "project_id": 1}])
    assert "assignments" not in caught.value.message
    with pytest.raises(BadRequest, match="foreign key"):
        delete_record(engine, t["employees"], FULL_GRANT, "1")
    assert row(engine, t["employees"], id=1) is not None


def test_value_the_database_refuses_is_a_400(db):
    engine, t = db
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite stores any 64-bit integer in an INTEGER column")
    with pytest.raises(BadRequest, match="cannot be stored") as caught:
        create_records(engine, t["assignments"], FULL_GRANT, [{"employee_id": 1, "project_id": 2**40}])
    assert "integer" not in caught.value.message  # the driver says "integer out of range"


def test_hidden_required_column_is_not_named(db):
    engine, t = db
    no_name = Grant(fields=frozenset({"id", "department"}))
    with pytest.raises(BadRequest) as caught:
        create_records(engine, t["employees"], no_name, [{"department": "HR"}])
    assert caught.value.message == "Record violates a not null constraint"


def test_create_outside_row_filter_is_forbidden_and_not_written(db):
    engine, t = db
    with pytest.raises(Forbidden, match="is outside the rows this role may write"):
        create_records(engine, t["employees"], SALES, [{"name": "Intruder", "department": "HR"}])
    assert row(engine, t["employees"], name="Intruder") is None
    body = create_records(engine, t["employees"], SALES, [{"name": "Seller", "department": "Sales"}])
    assert row(engine, t["employees"], id=body["resource"][0]["id"])["name"] == "Seller"


# Batches


BATCH = [
    {"name": "First", "department": "Sales"},
    {"name": "Second", "department": "HR"},  # outside SALES
    {"name": "Third", "department": "Sales"},
]


def written(engine, t) -> list[str]:
    names = t["employees"].c.name.in_(["First", "Second", "Third"])
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(t["employees"].c.name).where(names)).scalars())


def test_batch_stop_keeps_earlier_records(db):
    engine, t = db
    with pytest.raises(BadRequest) as caught:
        create_records(engine, t["employees"], SALES, BATCH, BatchMode.STOP)
    context = caught.value.context
    assert context["errors"] == [1]
    assert list(context["resource"][0]) == ["id"]
    assert context["resource"][1]["error"]["code"] == 403
    assert context["resource"][2] is None
    assert "records before it were written" in caught.value.message
    assert written(engine, t) == ["First"]


def test_batch_rollback_writes_nothing(db):
    engine, t = db
    with pytest.raises(BadRequest) as caught:
        create_records(engine, t["employees"], SALES, BATCH, BatchMode.ROLLBACK)
    assert caught.value.context["errors"] == [1]
    assert caught.value.context["resource"][0] is None
    assert written(engine, t) == []
    late_failure = [*BATCH[::2], {"name": "Fourth"}]
    with pytest.raises(BadRequest) as caught:
        create_records(engine, t["employees"], SALES, late_failure, BatchMode.ROLLBACK)
    assert caught.value.context["errors"] == [2]
    assert written(engine, t) == []


def test_batch_continue_tries_every_record(db):
    engine, t = db
    with pytest.raises(BadRequest) as caught:
        create_records(engine, t["employees"], SALES, BATCH, BatchMode.CONTINUE)
    context = caught.value.context
    assert context["errors"] == [1]
    assert "error" in context["resource"][1] and "id" in context["resource"][2]
    assert written(engine, t) == ["First", "Third"]


def test_batch_continue_reports_database_errors_per_record(db):
    engine, t = db
    records = [{"code": "n1", "label": "N"}, {"code": "n2", "label": "Alpha"}, {"code": "n3", "label": "M"}]
    with pytest.raises(BadRequest) as caught:
        create_records(engine, t["tags"], FULL_GRANT, records, BatchMode.CONTINUE)
    assert caught.value.context["errors"] == [1]
    assert caught.value.context["resource"][1]["error"]["code"] == 409
    assert count(engine, t["tags"]) == 4


def test_records_from_body_shapes():
    assert records_from_body({"resource": [{"a": 1}]}) == [{"a": 1}]
    assert records_from_body([{"a": 1}, {"b": 2}]) == [{"a": 1}, {"b": 2}]
    assert records_from_body({"a": 1}) == [{"a": 1}]
    assert records_from_body({"resource": {"a": 1}}) == [{"a": 1}]  # DreamFactory's wrapped single record
    for bad, message in [
        ("x", "must be a JSON object"),
        ([], "holds no records"),
        ({"resource": []}, "holds no records"),
        ({"resource": "a"}, "must be an array of records or one record"),
        ([{"a": 1}, 2], "Record 1 of the request body must be a JSON object"),
        ([{}] * 3, "At most 2 records"),
    ]:
        with pytest.raises(BadRequest, match=message):
            records_from_body(bad, max_batch=2)


# Updating


def test_patch_and_put_batches(db):
    engine, t = db
    employees = t["employees"]
    body = update_records(
        engine, employees, FULL_GRANT, [{"id": 2, "notes": "patched"}, {"id": 3, "salary": 1}]
    )
    assert body == {"resource": [{"id": 2}, {"id": 3}]}
    assert (
        row(engine, employees, id=2)["notes"] == "patched"
        and row(engine, employees, id=2)["name"] == "Emp 02"
    )
    replaced = {"id": 4, "name": "Four", "department": "HR"}
    update_records(engine, employees, FULL_GRANT, [replaced], partial=False)
    four = row(engine, employees, id=4)
    assert (four["name"], four["salary"], four["notes"], four["hired"]) == ("Four", None, None, None)
    with pytest.raises(ValidationError, match="Field 'name' is required when a record is replaced"):
        update_records(engine, employees, FULL_GRANT, [{"id": 5, "department": "HR"}], partial=False)
    with pytest.raises(BadRequest, match="missing key field 'id'"):
        update_records(engine, employees, FULL_GRANT, [{"notes": "x"}])
    # A replace resets only what the role may see: the hidden salary survives.
    update_records(
        engine, employees, NO_SALARY, [{"id": 6, "name": "Six", "department": "HR"}], partial=False
    )
    six = row(engine, employees, id=6)
    assert (six["name"], six["notes"], six["salary"]) == ("Six", None, Decimal("46000.50"))


def test_update_by_id_composite_and_key_change(db):
    engine, t = db
    body = update_record(engine, t["assignments"], FULL_GRANT, "2,7", {"role": "lead"}, fields=("role",))
    assert body == {"role": "lead"}
    assert update_record(engine, t["tags"], FULL_GRANT, "a-1", {"code": "a-9"}) == {"code": "a-9"}
    assert row(engine, t["tags"], code="a-9")["label"] == "Alpha"
    with pytest.raises(NotFound):
        update_record(engine, t["employees"], FULL_GRANT, "99", {"notes": "x"})
    body = update_by_filter(engine, t["assignments"], FULL_GRANT, "project_id = 8", {"role": "bulk"})
    assert [(r["employee_id"], r["project_id"]) for r in body["resource"]] == [(1, 8), (2, 8), (3, 8)]
    assert count(engine, t["assignments"], t["assignments"].c.role == "bulk") == 3
    with pytest.raises(BadRequest, match="Unknown field 'secret'"):
        create_records(engine, t["tags"], FULL_GRANT, [{"code": "q", "label": "Q"}], fields=("secret",))
    assert row(engine, t["tags"], code="q") is None


def test_update_by_ids(db):
    engine, t = db
    body = update_by_ids(engine, t["employees"], SALES, (("1", "2"),), {"notes": "bulk"})
    assert body == {"resource": [{"id": 1}, {"id": 2}]}
    with pytest.raises(BadRequest) as caught:
        update_by_ids(engine, t["employees"], SALES, (("3", "12"),), {"notes": "x"}, BatchMode.ROLLBACK)
    assert caught.value.context["resource"][1]["error"]["code"] == 404
    assert row(engine, t["employees"], id=3)["notes"] is None


def test_row_filter_guards_updates(db):
    engine, t = db
    employees = t["employees"]
    with pytest.raises(NotFound):
        update_record(engine, employees, SALES, "12", {"notes": "hidden"})
    assert row(engine, employees, id=12)["notes"] == "note 12"
    with pytest.raises(Forbidden, match="Record '2' is outside the rows this role may write"):
        update_record(engine, employees, SALES, "2", {"department": "HR", "notes": "moved"})
    assert (row(engine, employees, id=2)["department"], row(engine, employees, id=2)["notes"]) == (
        "Sales",
        "note 2",
    )
    with pytest.raises(Forbidden):
        update_records(engine, employees, SALES, [{"id": 4, "department": "HR"}])
    assert row(engine, employees, id=4)["department"] == "Sales"


def test_update_by_filter_stays_within_row_filter(db):
    engine, t = db
    employees = t["employees"]
    body = update_by_filter(engine, employees, SALES, "id > 6 or department = 'HR'", {"notes": "bulk"})
    assert body == {"resource": [{"id": 7}, {"id": 8}]}
    assert count(engine, employees, employees.c.notes == "bulk") == 2
    with pytest.raises(Forbidden):
        update_by_filter(engine, employees, SALES, "id < 3", {"department": "HR"})
    assert count(engine, employees, employees.c.department == "Sales") == 8
    with pytest.raises(BadRequest, match="part of the key"):
        update_by_filter(engine, employees, FULL_GRANT, "id = 1", {"id": 100})
    with pytest.raises(BadRequest, match="must not be empty"):
        update_by_filter(engine, employees, FULL_GRANT, " ", {"notes": "all"})
    with pytest.raises(BadRequest, match="salary"):
        update_by_filter(engine, employees, NO_SALARY, "salary > 0", {"notes": "x"})


# Deleting


def test_delete_by_id_and_row_filter(db):
    engine, t = db
    employees = t["employees"]
    assert delete_record(engine, employees, SALES, "5", fields=("name",)) == {"name": "Emp 05"}
    assert row(engine, employees, id=5) is None
    with pytest.raises(NotFound):
        delete_record(engine, employees, SALES, "15")
    assert row(engine, employees, id=15) is not None
    assert delete_record(engine, t["assignments"], FULL_GRANT, "3,8") == {"employee_id": 3, "project_id": 8}
    assert count(engine, t["assignments"]) == 5


def test_delete_by_ids_body_and_filter(db):
    engine, t = db
    employees = t["employees"]
    body = delete_records(engine, employees, SALES, ids=(("4", "6"),))
    assert body == {"resource": [{"id": 4}, {"id": 6}]}
    with pytest.raises(BadRequest) as caught:
        delete_records(engine, employees, SALES, ids=(("7", "16", "8"),), mode=BatchMode.CONTINUE)
    assert caught.value.context["errors"] == [1]
    assert row(engine, employees, id=16) is not None and row(engine, employees, id=8) is None
    records = [{"employee_id": 1, "project_id": 7, "role": "ignored"}, {"employee_id": 2, "project_id": 8}]
    assert len(delete_records(engine, t["assignments"], FULL_GRANT, records=records)["resource"]) == 2
    delete_records(engine, t["assignments"], FULL_GRANT, filter_text="employee_id > 0")
    body = delete_records(engine, employees, SALES, filter_text="id > 0 or department = 'HR'")
    assert ids_of(body) == [1, 2, 3, 5]
    assert count(engine, employees) == 12
    with pytest.raises(BadRequest, match="exactly one"):
        delete_records(engine, employees, FULL_GRANT)
