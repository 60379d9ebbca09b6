"""DreamFactory's field keys in `_schema` (df-core ColumnSchema::toArray) on every engine, and the access cut:
a foreign key never names a table the caller may not read nor a column it may not see, and no uniqueness or
index fact tells anything about a hidden column."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from bastion.data import field_facts, schema
from tests.databases import config_from_url
from tests.test_access_leaks import key_for

SYS = "/api/v2/system"


@pytest.fixture(scope="module")
def system_db_url(sqlite_system_db_url):
    """The subject is the data service's engine, not the system database's."""
    return sqlite_system_db_url


def _facts_schema(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "parents",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("code", sa.CHAR(4), nullable=False, unique=True),
        sa.Column("full_name", sa.String(50), nullable=False),
        sa.Column("a", sa.Integer),
        sa.Column("b", sa.Integer),
        sa.UniqueConstraint("a", "b"),
    )
    children = sa.Table(
        "children",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("parents.id", ondelete="CASCADE")),
        sa.Column(
            "other_id", sa.Integer, sa.ForeignKey("parents.id", ondelete="SET NULL", onupdate="CASCADE")
        ),
        sa.Column("plain_id", sa.Integer, sa.ForeignKey("parents.id")),
        sa.Column("amount", sa.Numeric(10, 2), server_default="0"),
        sa.Column("ratio", sa.Float),
        sa.Column("x", sa.Integer, nullable=False),
        sa.Column("y", sa.Integer),
        sa.Column("z", sa.Integer),
    )
    sa.Index("ix_children_x_y", children.c.x, children.c.y)
    where = children.c.z > 0
    sa.Index("ux_children_z", children.c.z, unique=True, postgresql_where=where, sqlite_where=where)
    metadata.create_all(engine)


@pytest.fixture
def described(scratch_db_url):
    engine = sa.create_engine(scratch_db_url)
    _facts_schema(engine)
    cache = schema.SchemaCache()

    def fields(name: str) -> dict[str, dict]:
        return {f["name"]: f for f in schema.describe_table(cache.table("k", engine, name))["field"]}

    yield engine.dialect.name, fields
    engine.dispose()


def test_labels_are_dreamfactorys():
    assert field_facts.label("first_name") == "First Name"
    assert field_facts.label("userId") == "UserId"
    assert field_facts.label("a__b c") == "A  B C"
    assert field_facts.label("é_x") == "é X"  # PHP's ucwords changes ASCII letters only


def test_labels_required_precision_and_lengths(described):
    dialect, fields = described
    parents, children = fields("parents"), fields("children")
    assert parents["full_name"]["label"] == "Full Name"
    # Not null, no default and not generated: DreamFactory's ColumnSchema::getRequired. SQLite's INTEGER
    # PRIMARY KEY is its rowid, which the database fills in.
    keys = [] if dialect == "sqlite" else ["id"]
    assert [name for name, f in parents.items() if f["required"]] == [*keys, "code", "full_name"]
    assert [name for name, f in children.items() if f["required"]] == ["x"]
    assert (children["amount"]["precision"], children["amount"]["scale"]) == (10, 2)
    assert children["ratio"]["precision"] is None and children["x"]["scale"] is None
    assert (parents["code"]["fixed_length"], parents["full_name"]["fixed_length"]) == (True, False)
    assert parents["code"]["supports_multibyte"] and parents["full_name"]["supports_multibyte"]
    assert not children["amount"]["supports_multibyte"]


def test_uniqueness_and_indexes(described):
    dialect, fields = described
    parents, children = fields("parents"), fields("children")
    assert parents["code"]["is_unique"] and parents["code"]["is_index"]
    # A composite unique key makes neither column unique alone; its first column leads an index.
    assert [parents[n]["is_unique"] for n in ("a", "b")] == [False, False]
    assert [parents[n]["is_index"] for n in ("a", "b")] == [True, False]
    assert [children[n]["is_index"] for n in ("x", "y")] == [True, False]
    # A partial unique index makes no column unique (MariaDB has no partial index: a full one there).
    assert children["z"]["is_unique"] is (dialect == "mysql") and children["z"]["is_index"]
    # The primary key is is_primary_key, as in DreamFactory; MariaDB indexes each foreign key itself.
    assert not parents["id"]["is_unique"] and not parents["id"]["is_index"]
    assert children["parent_id"]["is_index"] is (dialect == "mysql")


def test_foreign_keys_name_their_target_and_rules(described):
    dialect, fields = described
    children = fields("children")
    refs = {
        name: [children[name][k] for k in ("is_foreign_key", "ref_table", "ref_field", "ref_on_update")]
        + [children[name]["ref_on_delete"]]
        for name in ("parent_id", "other_id", "plain_id", "x")
    }
    default = "RESTRICT" if dialect == "mysql" else "NO ACTION"  # what each engine does when none is named
    assert refs == {
        "parent_id": [True, "parents", "id", default, "CASCADE"],
        "other_id": [True, "parents", "id", "CASCADE", "SET NULL"],
        "plain_id": [True, "parents", "id", default, default],
        "x": [False, None, None, None, None],
    }


def test_facts_are_computed_once_per_reflection(described, monkeypatch):
    _, fields = described
    first = fields("children")
    monkeypatch.setattr(field_facts, "static_facts", lambda _c: pytest.fail("computed again"))
    assert fields("children") == first


def test_mariadb_single_byte_columns_do_not_support_multibyte(scratch_db_url):
    engine = sa.create_engine(scratch_db_url)
    if engine.dialect.name != "mysql":
        pytest.skip("a column character set is MariaDB's")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INT PRIMARY KEY, l VARCHAR(9) CHARACTER SET latin1)")
        connection.exec_driver_sql("CREATE TABLE u (id INT PRIMARY KEY, l VARCHAR(9)) CHARACTER SET latin1")
    cache = schema.SchemaCache()
    for name in ("t", "u"):
        fields = schema.describe_table(cache.table("k", engine, name))["field"]
        assert fields[1]["supports_multibyte"] is False, name
    engine.dispose()


# --- through the API, for a role -------------------------------------------------------------------------


def _club_schema(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    sa.Table(
        "owners", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("code", sa.String(9))
    )
    sa.Table(
        "teams",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40)),
        sa.Column("hidden_token", sa.String(40), unique=True),
    )
    members = sa.Table(
        "members",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id", ondelete="CASCADE")),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id")),
        sa.Column("team_token", sa.String(40), sa.ForeignKey("teams.hidden_token")),
        sa.Column("email", sa.String(80)),
        sa.Column("badge", sa.String(20), unique=True),
        sa.UniqueConstraint("badge", "email"),
    )
    sa.Index("ix_badge_email", members.c.badge, members.c.email)
    sa.Index("ix_email_badge", members.c.email, members.c.badge)
    sa.Table(
        "pairs",
        metadata,
        sa.Column("a", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("secret_b", sa.Integer, primary_key=True, autoincrement=False),
    )
    metadata.create_all(engine)


SHOWN = ["id", "owner_id", "team_id", "team_token", "email"]
CLUB_ROLE = [
    {"service": "club", "component": "_table/members", "verbs": ["GET"], "fields": SHOWN},
    {"service": "club", "component": "_table/teams", "verbs": ["GET"], "fields": ["id", "name"]},
    {"service": "club", "component": "_table/pairs", "verbs": ["GET"], "fields": ["a"]},
    {"service": "club", "component": "_schema/*", "verbs": ["GET"]},
]
NOTHING = {"ref_table": None, "ref_field": None, "ref_on_update": None, "ref_on_delete": None}


@pytest.fixture
def club(client, admin_headers, scratch_db_url):
    engine = sa.create_engine(scratch_db_url)
    _club_schema(engine)
    engine.dispose()
    body = {"name": "club", "config": config_from_url(scratch_db_url)}
    assert client.post(f"{SYS}/service", json=body, headers=admin_headers).status_code == 201
    return "/api/v2/club", key_for(client, admin_headers, CLUB_ROLE)


def _refs(field: dict) -> dict:
    return {k: field[k] for k in ("is_foreign_key", *NOTHING)}


def test_a_foreign_key_names_only_what_the_role_may_read(client, admin_headers, club):
    base, key = club
    answer = client.get(f"{base}/_schema/members", headers=key)
    assert answer.status_code == 200, answer.get_json()
    fields = {f["name"]: f for f in answer.get_json()["field"]}
    assert list(fields) == SHOWN
    # Into a table the role cannot read: a foreign key, no more.
    assert _refs(fields["owner_id"]) == {"is_foreign_key": True, **NOTHING}
    # Into a readable table, but to a column the role may not see there: the same.
    assert _refs(fields["team_token"]) == {"is_foreign_key": True, **NOTHING}
    assert _refs(fields["team_id"])["ref_table"] == "teams" and fields["team_id"]["ref_field"] == "id"
    text = json.dumps(answer.get_json())
    for hidden in ("owners", "hidden_token", "badge", "CASCADE"):
        assert hidden not in text, hidden
    # The parts of the schema answer the same cut.
    one = client.get(f"{base}/_schema/members/_field/owner_id", headers=key).get_json()
    assert _refs(one) == {"is_foreign_key": True, **NOTHING}
    listed = client.get(f"{base}/_schema/members/_field", headers=key).get_json()["resource"]
    assert listed == answer.get_json()["field"]
    # An admin sees every target.
    admin = client.get(f"{base}/_schema/members", headers=admin_headers).get_json()["field"]
    admin_refs = {f["name"]: (f["ref_table"], f["ref_field"], f["ref_on_delete"]) for f in admin}
    assert admin_refs["owner_id"] == ("owners", "id", "CASCADE")
    assert admin_refs["team_token"][:2] == ("teams", "hidden_token")


def test_hidden_columns_of_unique_keys_and_indexes_leave_no_trace(client, club):
    base, key = club
    members = {f["name"]: f for f in client.get(f"{base}/_schema/members", headers=key).get_json()["field"]}
    # email is unique only together with the hidden badge; an index leads with it (its other column unnamed).
    assert (members["email"]["is_unique"], members["email"]["is_index"]) == (False, True)
    pairs = client.get(f"{base}/_schema/pairs", headers=key).get_json()
    assert pairs["primary_key"] == ["a"] and [f["name"] for f in pairs["field"]] == ["a"]
    assert "secret_b" not in json.dumps(pairs)
    meta = client.get(f"{base}/_table/members?include_schema=true", headers=key).get_json()["meta"]["schema"]
    assert {f["name"]: f for f in meta["field"]} == members
