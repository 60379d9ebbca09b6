"""A fixture world for access tests: a data service, roles, apps, users and their credentials.

Built once per module and data engine through the real admin API; each test resets the data rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from tests.conftest import create_admin_user, login
from tests.databases import config_from_url

COLUMNS = ("id", "first_name", "department", "owner_id", "salary")
ROWS = [
    (1, "Ada", "Sales", "U", 100),
    (2, "Bob", "Sales", "V", 200),
    (3, "Cy", "Eng", "U", 300),
    (4, "Di", "Eng", None, 400),
    (5, "Ed", "Sales", "U", 500),
]


@dataclass
class World:
    """Everything an access test needs, with ids filled in as created."""

    client: object
    admin_headers: dict
    data_url: str
    users: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)
    apps: dict = field(default_factory=dict)

    def reset_rows(self) -> None:
        """Put the five employees back exactly as they were."""
        engine = sa.create_engine(self.data_url)
        table = sa.Table("employees", sa.MetaData(), autoload_with=engine)
        with engine.begin() as conn:
            conn.execute(table.delete())
            for row in ROWS:
                values = dict(zip(COLUMNS, row, strict=True))
                values["owner_id"] = self.users.get(values["owner_id"])
                conn.execute(table.insert().values(values))
        engine.dispose()


def create_table(url: str) -> None:
    """The employees table of the world."""
    engine = sa.create_engine(url)
    sa.Table(
        "employees",
        (metadata := sa.MetaData()),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("first_name", sa.String(40), nullable=False),
        sa.Column("department", sa.String(40)),
        sa.Column("owner_id", sa.Integer),
        sa.Column("salary", sa.Integer),
    )
    metadata.create_all(engine)
    engine.dispose()


def _post(world: World, path: str, body: dict) -> dict:
    response = world.client.post(f"/api/v2/system/{path}", json=body, headers=world.admin_headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


READER = {
    "name": "reader",
    "access": [
        {
            "service": "hr",
            "component": "_table/employees",
            "verbs": ["GET"],
            "filters": [{"name": "department", "operator": "=", "value": "Sales"}],
            "fields": ["id", "first_name", "department"],
        },
        {
            "service": "hr",
            "component": "_schema/employees",
            "verbs": ["GET"],
            "fields": ["id", "first_name", "department"],
        },
    ],
}
EDITOR = {
    "name": "editor",
    "access": [
        {
            "service": "hr",
            "component": "_table/employees/*",
            "verbs": ["GET", "POST", "PATCH", "DELETE"],
            "filters": [{"name": "owner_id", "operator": "=", "value": "{user.id}"}],
        },
        {"service": "hr", "component": "_schema/*", "verbs": ["GET"]},
    ],
}
DORMANT = {
    "name": "dormant",
    "is_active": False,
    "access": [{"service": None, "component": "*", "verbs": ["GET"]}],
}


def build_world(app, data_url: str) -> World:
    """Create the admin, service, roles, apps, users and tokens through the API."""
    client = app.test_client()
    admin = create_admin_user(app)
    token = login(client, admin["email"], admin["password"]).get_json()["session_token"]
    world = World(client, {"Authorization": f"Bearer {token}"}, data_url)
    world.tokens["admin"] = token
    create_table(data_url)
    _post(world, "service", {"name": "hr", "config": config_from_url(data_url)})
    for spec in (READER, EDITOR, DORMANT):
        world.roles[spec["name"]] = _post(world, "role", spec)["id"]
    for name, role in (("a", "reader"), ("b", None), ("dormant", "dormant"), ("off", "reader")):
        created = _post(world, "app", {"name": name, "role_id": world.roles.get(role)})
        world.apps[name], world.keys[name] = created["id"], created["api_key"]
    world.client.patch(
        f"/api/v2/system/app/{world.apps['off']}", json={"is_active": False}, headers=world.admin_headers
    )
    for name, app_roles in (("U", [("a", "editor")]), ("V", [("b", "editor")]), ("R", [])):
        body = {
            "email": f"{name.lower()}@example.com",
            "name": name,
            "password": f"{name} password long",
            "app_roles": [{"app_id": world.apps[a], "role_id": world.roles[r]} for a, r in app_roles],
        }
        world.users[name] = _post(world, "user", body)["id"]
        session = login(client, body["email"], body["password"], path="/api/v2/user/session")
        world.tokens[name] = session.get_json()["session_token"]
    client.delete("/api/v2/user/session", headers={"Authorization": f"Bearer {world.tokens['R']}"})
    world.reset_rows()
    return world


def world_on(data_engine: str, tmp) -> Iterator[World]:
    """Yield a world on a fresh SQLite system database and a data database of the given engine."""
    from bastion.migrate import upgrade
    from tests.conftest import make_app
    from tests.databases import scratch_database

    with (
        scratch_database("sqlite", str(tmp)) as system_url,
        scratch_database(data_engine, str(tmp)) as data_url,
    ):
        upgrade(system_url)
        app = make_app(system_url, str(tmp))
        yield build_world(app, data_url)
        app.extensions["bastion.engines"].dispose_all()
        app.extensions["bastion.db"].dispose()
