"""Reflection of existing schemas on the three engines, and the demo database."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from bastion import demo_seed as seed
from bastion.data import schema
from bastion.errors import NotFound
from tests.databases import ENGINES, scratch_database


def create_sample(engine: sa.Engine) -> None:
    """Tables with integer, text and composite keys, a foreign key, a mixed-case name, and a view."""
    metadata = sa.MetaData()
    sa.Table(
        "departments",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("budget", sa.Numeric(12, 2), server_default="0"),
    )
    sa.Table(
        "Employees",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(120), nullable=False, unique=True),
        sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id")),
        sa.Column("hired_on", sa.Date),
        sa.Column("notes", sa.Text),
    )
    sa.Table(
        "codes",
        metadata,
        sa.Column("code", sa.String(10), primary_key=True),
        sa.Column("label", sa.String(40)),
    )
    sa.Table(
        "pairs",
        metadata,
        sa.Column("b", sa.String(10), nullable=False),
        sa.Column("a", sa.Integer, nullable=False),
        sa.Column("weight", sa.Float),
        sa.PrimaryKeyConstraint("a", "b"),
    )
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            sa.text("CREATE VIEW rich_departments AS SELECT id, name FROM departments WHERE budget > 0")
        )


@pytest.fixture(scope="module", params=ENGINES)
def sample(request, tmp_path_factory):
    """An engine over the sample schema, one per database engine, shared by the read-only tests."""
    with scratch_database(request.param, str(tmp_path_factory.mktemp("schema"))) as url:
        engine = sa.create_engine(url)
        create_sample(engine)
        yield engine
        engine.dispose()


@pytest.fixture
def cache():
    return schema.SchemaCache()


def test_tables_lists_tables_and_views(cache, sample):
    assert cache.tables("k", sample) == ["Employees", "codes", "departments", "pairs", "rich_departments"]


@pytest.mark.parametrize("name", ["Employees", "employees", "EMPLOYEES"])
def test_table_lookup_ignores_case(cache, sample, name):
    assert cache.table("k", sample, name).name == "Employees"


def test_unknown_table_is_not_found(cache, sample):
    with pytest.raises(NotFound, match="Table 'salaries' not found in service 'hr'"):
        cache.table("k", sample, "salaries", service="hr")


def test_primary_keys(cache, sample):
    def key(name):
        return [column.name for column in schema.primary_key(cache.table("k", sample, name))]

    assert key("departments") == ["id"]
    assert key("codes") == ["code"]
    assert key("pairs") == ["a", "b"]
    assert key("rich_departments") == []


def test_describe_table(cache, sample):
    described = schema.describe_table(cache.table("k", sample, "employees"))
    assert (described["name"], described["is_view"], described["primary_key"]) == ("Employees", False, ["id"])
    fields = {field["name"]: field for field in described["field"]}
    assert list(fields) == ["id", "email", "department_id", "hired_on", "notes"]
    identity = fields["id"]
    assert (identity["type"], identity["allow_null"], identity["is_primary_key"]) == ("integer", False, True)
    assert (identity["auto_increment"], identity["length"]) == (True, None)
    assert isinstance(identity["db_type"], str)
    assert fields["email"]["type"] == "string"
    assert (fields["email"]["length"], fields["email"]["allow_null"]) == (120, False)
    assert [fields[name]["type"] for name in ("department_id", "hired_on", "notes")] == [
        "integer",
        "date",
        "text",
    ]
    assert described["related"] == [
        {
            "name": "departments_by_department_id",
            "type": "belongs_to",
            "ref_table": "departments",
            "field": "department_id",
            "ref_field": "id",
            **NO_JUNCTION,
        }
    ]


NO_JUNCTION = {"junction_table": None, "junction_field": None, "junction_ref_field": None}


def test_describe_table_types_keys_and_views(cache, sample):
    departments = schema.describe_table(cache.table("k", sample, "departments"))
    budget = departments["field"][2]
    assert (budget["type"], budget["default"] is not None) == ("decimal", True)
    assert departments["related"][0] == {
        "name": "Employees_by_department_id",
        "type": "has_many",
        "ref_table": "Employees",
        "field": "id",
        "ref_field": "department_id",
        **NO_JUNCTION,
    }
    pairs = schema.describe_table(cache.table("k", sample, "pairs"))
    assert pairs["primary_key"] == ["a", "b"]
    assert [field["auto_increment"] for field in pairs["field"]] == [False, False, False]
    assert pairs["field"][2]["type"] == "float"
    view = schema.describe_table(cache.table("k", sample, "rich_departments"))
    assert (view["is_view"], view["primary_key"], view["related"]) == (True, [], [])


def test_describe_table_shows_only_visible_columns(cache, sample):
    employees = cache.table("k", sample, "employees")
    described = schema.describe_table(employees, lambda name: name in ("id", "email"))
    assert [field["name"] for field in described["field"]] == ["id", "email"]
    assert described["related"] == []
    departments = schema.describe_table(cache.table("k", sample, "departments"), lambda name: name != "id")
    assert (departments["primary_key"], departments["related"]) == ([], [])


def test_concurrent_lookups_share_one_reflection(cache, sample):
    found: list[sa.Table] = []
    threads = [
        threading.Thread(target=lambda: found.append(cache.table("k", sample, "pairs"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8
    assert all(table is found[0] for table in found)


def test_unchanged_schema_is_not_reflected_again(sample):
    now = [0.0]
    cache = schema.SchemaCache(check_interval=10, clock=lambda: now[0])
    first = cache.metadata("k", sample)
    now[0] = 11.0
    assert cache.metadata("k", sample) is first
    assert schema.fingerprint(sample) == schema.fingerprint(sample)


def test_a_new_engine_under_the_same_key_is_reflected_again(tmp_path):
    first, second = (sa.create_engine(f"sqlite:///{tmp_path / name}") for name in ("a.db", "b.db"))
    create_sample(first)
    with second.begin() as connection:
        connection.execute(sa.text("CREATE TABLE other (id INTEGER PRIMARY KEY)"))
    cache = schema.SchemaCache()
    assert "codes" in cache.tables("svc", first)
    assert cache.tables("svc", second) == ["other"]
    first.dispose()
    second.dispose()


def add_column(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE codes ADD COLUMN color VARCHAR(20)"))


def test_refresh_picks_up_a_new_column(scratch_db_url):
    engine = sa.create_engine(scratch_db_url)
    create_sample(engine)
    cache = schema.SchemaCache(check_interval=3600)
    assert "color" not in cache.table("k", engine, "codes").c
    before = schema.fingerprint(engine)
    add_column(engine)
    assert schema.fingerprint(engine) != before
    assert "color" not in cache.table("k", engine, "codes").c
    cache.refresh("k")
    assert "color" in cache.table("k", engine, "codes").c
    engine.dispose()


def test_expired_check_notices_a_changed_schema(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    create_sample(engine)
    now = [0.0]
    cache = schema.SchemaCache(check_interval=10, clock=lambda: now[0])
    assert "color" not in cache.table("k", engine, "codes").c
    add_column(engine)
    now[0] = 5.0
    assert "color" not in cache.table("k", engine, "codes").c
    now[0] = 10.0
    assert "color" in cache.table("k", engine, "codes").c
    cache.refresh()
    engine.dispose()


# The demo database


def counts(path) -> dict[str, int]:
    tables = ("departments", "employees", "projects", "assignments", "active_employees")
    with sqlite3.connect(path) as connection:
        return {name: connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in tables}  # noqa: S608


def test_seed_creates_the_demo_database(tmp_path):
    path = tmp_path / "demo.db"
    started = time.perf_counter()
    seed.create_demo_database(str(path))
    assert time.perf_counter() - started < 2
    found = counts(path)
    assert (found["departments"], found["employees"], found["projects"]) == (8, 3000, 24)
    assert 2000 < found["assignments"] < 4000
    with sqlite3.connect(path) as connection:
        active = connection.execute("SELECT count(*) FROM employees WHERE is_active = 1").fetchone()[0]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    assert found["active_employees"] == active


def test_seed_reflects_with_keys_and_view(tmp_path):
    path = tmp_path / "demo.db"
    seed.create_demo_database(str(path), employees=50)
    engine = sa.create_engine(f"sqlite:///{path}")
    cache = schema.SchemaCache()
    assert cache.tables("demo", engine) == [
        "active_employees",
        "assignments",
        "departments",
        "employees",
        "projects",
    ]
    assignments = cache.table("demo", engine, "assignments")
    assert [column.name for column in schema.primary_key(assignments)] == ["employee_id", "project_id"]
    assert schema.describe_table(cache.table("demo", engine, "active_employees"))["is_view"] is True
    with engine.connect() as connection:
        row = connection.execute(sa.select(cache.table("demo", engine, "employees")).limit(1)).one()
    assert isinstance(row.is_active, bool)
    engine.dispose()


def test_seed_is_deterministic_and_refuses_to_overwrite(tmp_path):
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    seed.create_demo_database(str(first), employees=100)
    seed.create_demo_database(str(second), employees=100)
    with sqlite3.connect(first) as a, sqlite3.connect(second) as b:
        query = "SELECT * FROM employees ORDER BY id"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
    with pytest.raises(FileExistsError):
        seed.create_demo_database(str(first), employees=10)
    seed.create_demo_database(str(first), employees=10, force=True)
    assert counts(first)["employees"] == 10
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".seed-")] == []


def test_seed_command_line(tmp_path, capsys):
    path = tmp_path / "cli.db"
    assert seed.main([str(path), "--rows", "20"]) == 0
    assert counts(path)["employees"] == 20
    assert seed.main([str(path)]) == 1
    assert "already exists" in capsys.readouterr().err
    for bad in (["--rows", "x", str(path)], ["--rows", "0", str(path)], []):
        with pytest.raises(SystemExit) as caught:
            seed.main(bad)
        assert caught.value.code == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
