"""A row filter's placeholder is one value, never filter syntax, on every engine.

A user's e-mail is theirs to choose when registration is open (`%@%.%` is a valid address for the
platform), and `_` is common in real ones: in a `like` pattern the placeholder's wildcards must be literal,
and in an `in` list the value must stay one item even when it holds a comma.
"""

from __future__ import annotations

import functools

import pytest
import sqlalchemy as sa

from tests.conftest import created, login
from tests.databases import config_from_url

PASSWORD = "a long enough password"
URL = "/api/v2/owned/_table/owned"
OWNERS = ["ab@example.com", "a_b@example.com", "axb@example.com", "x,victim@example.com"]
OWNERS.append("victim@example.com")


@pytest.fixture(scope="module")
def system_db_url(sqlite_system_db_url):
    """The tests are about data engines: one SQLite system database is enough."""
    return sqlite_system_db_url


@pytest.fixture
def owned(scratch_db_url, client, admin_headers):
    """A table of rows owned by e-mail addresses; `read(email, filter)` lists the ids a user may read."""

    post = functools.partial(created, client, admin_headers)

    engine = sa.create_engine(scratch_db_url)
    table = sa.Table(
        "owned",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("owner", sa.String(80)),
    )
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "owner": owner} for i, owner in enumerate(OWNERS, 1)])
        conn.execute(table.insert().values(id=9, owner="%@%.%"))
    engine.dispose()
    post("service", {"name": "owned", "config": config_from_url(scratch_db_url)})
    users: dict[str, str] = {}
    roles: dict[tuple, int] = {}

    def read(email: str, operator: str, value: str) -> list[int]:
        if email not in users:
            post("user", {"email": email, "name": "U", "password": PASSWORD})
            users[email] = login(client, email, PASSWORD, "/api/v2/user/session").get_json()["session_token"]
        if (operator, value) not in roles:
            row_filter = {"name": "owner", "operator": operator, "value": value}
            entry = {"service": "owned", "component": "_table/owned", "verbs": ["GET"]}
            entry["filters"] = [row_filter]
            role = post("role", {"name": f"r{len(roles)}", "access": [entry]})
            roles[operator, value] = post("app", {"name": f"a{len(roles)}", "role_id": role["id"]})["api_key"]
        headers = {"X-Api-Key": roles[operator, value], "Authorization": f"Bearer {users[email]}"}
        response = client.get(URL, headers=headers)
        assert response.status_code == 200, response.get_json()
        return sorted(row["id"] for row in response.get_json()["resource"])

    return read


def test_a_placeholder_in_a_like_pattern_matches_only_itself(owned):
    # Before: `%@%.%` read every row, and `a_b@...` read `axb@...` too.
    assert owned("%@%.%", "like", "{user.email}") == [9]
    assert owned("a_b@example.com", "like", "{user.email}") == [2]
    assert owned("ab@example.com", "like", "{user.email}") == [1]
    # The pattern's own wildcards still work around the placeholder's literal value.
    assert owned("ab@example.com", "like", "%{user.email}") == [1]
    assert owned("a_b@example.com", "like", "{user.email}%") == [2]
    assert owned("victim@example.com", "like", "%{user.email}") == [4, 5]


def test_a_placeholder_in_an_in_list_is_one_item(owned):
    # Before: `x,victim@example.com` split into `x` and `victim@example.com`, and read the victim's row.
    assert owned("x,victim@example.com", "in", "{user.email}") == [4]
    assert owned("x,victim@example.com", "in", "{user.email}, ab@example.com") == [1, 4]
    assert owned("x,victim@example.com", "not in", "{user.email}") == [1, 2, 3, 5, 9]
