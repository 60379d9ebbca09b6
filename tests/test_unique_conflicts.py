"""A unique-key clash is a 409 that names the field and says what to do, the same on every engine."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bastion.access import FULL_GRANT, Grant
from bastion.data.records import create_records, update_record
from bastion.errors import Conflict
from tests.access_world import world_on
from tests.databases import ENGINES, reflected_database

TAKEN = "the value is already used by another record; choose another"
TOGETHER = "this combination of values is already used by another record; choose another"
HIDDEN = "A value that must be unique is already used by another record; choose another"
FIRST = {"id": 1, "email": "a@example.com", "team": "red", "seat": 1, "code": "A", "badge": "b1"}


def create_schema(engine: sa.Engine) -> None:
    """people: a unique constraint, a composite one, a unique index and a unique column of each kind."""
    metadata = sa.MetaData()
    people = sa.Table(
        "people",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(80)),
        sa.Column("team", sa.String(20)),
        sa.Column("seat", sa.Integer),
        sa.Column("code", sa.String(20)),
        sa.Column("badge", sa.String(20), unique=True, server_default="none"),
        sa.UniqueConstraint("email", name="people_email_key"),
        sa.UniqueConstraint("team", "seat", name="people_team_seat_key"),
    )
    sa.Index("people_code_idx", people.c.code, unique=True)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(people.insert(), [FIRST])


@pytest.fixture(scope="module", params=ENGINES)
def people(request, tmp_path_factory):
    with reflected_database(request.param, str(tmp_path_factory.mktemp("unique")), create_schema) as found:
        yield found


def _clash(people, record: dict, grant: Grant = FULL_GRANT) -> Conflict:
    engine, tables = people
    with pytest.raises(Conflict) as caught:
        create_records(engine, tables["people"], grant, [{**FIRST, "id": 2, **record}])
    return caught.value


@pytest.mark.parametrize(
    ("clash", "fields"),
    [
        ({"id": 1}, ["id"]),
        ({"email": "a@example.com"}, ["email"]),
        ({"code": "A"}, ["code"]),
        ({"badge": "b1"}, ["badge"]),
    ],
)
def test_a_clash_names_its_field_and_says_what_to_do(people, clash, fields):
    others = {"email": "x@example.com", "team": "blue", "code": "X", "badge": "bx"}
    error = _clash(people, {**others, **clash})
    assert error.code == 409
    assert error.message == f"{fields[0]}: {TAKEN}"
    assert error.context == {fields[0]: [TAKEN], "errors": {fields[0]: TAKEN}}
    # The other record's values never reach the client.
    assert "@example.com" not in repr(error.context) + error.message


def test_a_composite_key_names_every_field(people):
    error = _clash(people, {"email": "y@example.com", "code": "Y", "badge": "by"})
    assert error.message == f"team, seat: {TOGETHER}"
    assert error.context["errors"] == {"team": TOGETHER, "seat": TOGETHER}


def test_a_key_with_a_hidden_column_names_nothing(people):
    engine, tables = people
    people_table = tables["people"]
    no_badge = Grant(fields=frozenset({"id", "email", "team", "seat", "code"}))
    with engine.begin() as conn:
        conn.execute(people_table.insert(), [{"id": 3, "email": "c@example.com"}])  # badge: its default
    try:
        with pytest.raises(Conflict) as caught:
            update_record(engine, people_table, no_badge, "3", {"email": "a@example.com"})
        assert caught.value.message == f"email: {TAKEN}"  # a column the grant shows is named
        # The new record takes badge's default, which row 3 holds: the column the grant hides is not named.
        with pytest.raises(Conflict) as caught:
            create_records(engine, people_table, no_badge, [{"id": 4, "email": "d@example.com"}])
        assert caught.value.message == HIDDEN and caught.value.context is None
    finally:
        with engine.begin() as conn:
            conn.execute(people_table.delete().where(people_table.c.id == 3))


@pytest.fixture(scope="module", params=ENGINES)
def world(request, tmp_path_factory):
    yield from world_on(request.param, tmp_path_factory.mktemp("unique_http"))


def test_the_409_envelope_over_http(world):
    world.reset_rows()
    url = "/api/v2/hr/_table/employees"
    response = world.client.post(url, json={"id": 1, "first_name": "Dup"}, headers=world.admin_headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == error["status_code"] == 409
    assert error["message"] == f"id: {TAKEN}"
    assert error["context"] == {"id": [TAKEN], "errors": {"id": TAKEN}}
    # In a batch, the record's entry carries the same error.
    batch = world.client.post(
        url,
        query_string={"continue": "1"},
        json=[{"id": 9, "first_name": "A"}, {"id": 2, "first_name": "B"}],
        headers=world.admin_headers,
    )
    assert batch.status_code == 400
    entry = batch.get_json()["error"]["context"]["resource"][1]
    assert entry["code"] == 409 and entry["message"] == f"id: {TAKEN}"
