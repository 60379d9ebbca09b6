"""Fixtures shared by the whole suite: real system databases, the app, an admin and their token."""

from __future__ import annotations

import base64
import os
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from hypothesis import settings
from sqlmodel import SQLModel

from bastion import create_app
from bastion.db import session_scope
from bastion.migrate import upgrade
from bastion.models import AdminCreate, User
from bastion.services import accounts
from bastion.services.sessions import create_session
from tests.databases import ENGINES, scratch_database

# CI runs the property tests on a fixed seed, so a landing never hangs on a new random example;
# developers' runs stay random and keep finding new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

TEST_KEY = base64.b64encode(b"k" * 32).decode()
ADMIN_PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Hash test passwords at a lower scrypt cost: the scheme is the same, hundreds of logins are not slow."""
    monkeypatch.setattr("bastion.passwords.SCRYPT_N", 2**10)


@pytest.fixture(params=ENGINES)
def scratch_db_url(request, tmp_path):
    """The URL of an empty scratch database on each real engine: SQLite, PostgreSQL, MariaDB."""
    with scratch_database(request.param, str(tmp_path)) as url:
        yield url


def _system_engines() -> list[str]:
    chosen = os.environ.get("BASTION_TEST_SYSTEM_DBS")
    return chosen.split(",") if chosen else list(ENGINES)


@pytest.fixture(scope="session", params=_system_engines())
def system_db_url(request, tmp_path_factory):
    """A migrated system database on each real engine, shared by the session and emptied per test."""
    with scratch_database(request.param, str(tmp_path_factory.mktemp("system"))) as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_system_db_url(tmp_path_factory):
    """A migrated SQLite system database, for modules whose subject is not the system database."""
    with scratch_database("sqlite", str(tmp_path_factory.mktemp("system-sqlite"))) as url:
        upgrade(url)
        yield url


def _empty_tables(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            # The cache counters are migration data: keep the rows, only their values may move.
            if table.name != "cache_version":
                conn.execute(table.delete())


_made_apps: list = []


@pytest.fixture(autouse=True)
def dispose_apps_made_by_the_test():
    """Dispose every app a test made, so no connection or cache listener thread outlives its test."""
    first = len(_made_apps)  # apps of wider-scoped fixtures were made before: they stay
    yield
    made = _made_apps[first:]
    del _made_apps[first:]
    for application in made:
        application.extensions["bastion.engines"].dispose_all()
        application.extensions["bastion.db"].dispose()


def make_app(system_db_url: str, instance: str, **overrides):
    """An app in production mode on the given system database (HTTPS not required unless asked)."""
    config = {
        "APP_ENV": "production",
        "APP_KEY": TEST_KEY,
        "DATABASE_URL": system_db_url,
        "REQUIRE_HTTPS": "false",
        "BASTION_INSTANCE": instance,
    }
    config.update(overrides)
    application = create_app(config)
    _made_apps.append(application)
    return application


@pytest.fixture
def app(system_db_url, tmp_path):
    """The platform on a real system database, emptied after the test."""
    application = make_app(system_db_url, str(tmp_path))
    yield application
    application.extensions["bastion.engines"].dispose_all()
    engine = application.extensions["bastion.db"]
    _empty_tables(engine)
    engine.dispose()


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


def create_admin_user(app, email="admin@example.com", name="Admin", password=ADMIN_PASSWORD) -> dict:
    """Create an admin straight through the service layer."""
    with app.app_context(), session_scope() as db:
        user = accounts.create_admin(db, AdminCreate(email=email, name=name, password=password))
        return {"id": user.id, "email": email, "password": password}


@contextmanager
def fenced_app(system_db_url: str, instance: str):
    """An app whose admin API admits only 10.0.0.0/8 (the test client is outside), and its one admin;
    the system tables are emptied afterwards."""
    fenced = make_app(system_db_url, instance, ADMIN_ALLOWED_NETWORKS="10.0.0.0/8")
    try:
        yield fenced, create_admin_user(fenced)
    finally:
        _empty_tables(fenced.extensions["bastion.db"])
        fenced.extensions["bastion.db"].dispose()


def fenced_session(fenced, admin: dict) -> dict[str, str]:
    """The fenced app's admin as an Authorization header: a session made in its database, since a login
    from the test client (outside the admin networks) is refused."""
    with fenced.app_context(), session_scope() as db:
        token, _row = create_session(db, db.get(User, admin["id"]), 60, 120)
    return {"Authorization": f"Bearer {token}"}


def created(client, headers, path: str, body: dict) -> dict:
    """POST a body to the admin API's `path` (`role`, `app`, ...), expect 201, and return the record."""
    response = client.post(f"/api/v2/system/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add_sqlite_service(client, headers, path, statements, name="hr") -> dict:
    """Build a SQLite file from SQL statements and register it as a data service; the created service."""
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()
    body = {"name": name, "config": {"engine": "sqlite", "database": str(path)}}
    response = client.post("/api/v2/system/service", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def login(client, email, password, path="/api/v2/system/admin/session"):
    """Log in through the API and return the response."""
    return client.post(path, json={"email": email, "password": password})


@pytest.fixture
def admin(app) -> dict:
    """An admin account: id, email, password."""
    return create_admin_user(app)


@pytest.fixture
def admin_token(client, admin) -> str:
    """A live admin session token."""
    response = login(client, admin["email"], admin["password"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()["session_token"]


@pytest.fixture
def admin_headers(admin_token) -> dict:
    """Headers carrying the admin's session token."""
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """One gunicorn-served platform for the session (SQLite system database)."""
    from tests.live import start_server, stop_server

    server = start_server(tmp_path_factory.mktemp("live") / "instance")
    yield server
    stop_server(server)
