"""`bastion rotate-key` on real system databases: every stored secret moves to the new APP_KEY (DESIGN §8).

Services are created through the admin API under the old key (conftest's TEST_KEY); the command runs as a
real subprocess with the new key in APP_KEY and the old one in APP_OLD_KEYS; the rows are then read
straight from the system database, and an app holding only the new key must still open the connections.
"""

from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from bastion.cli import main
from bastion.models import Service
from bastion.secrets import PREFIX, SecretBox, key_id
from tests.conftest import ADMIN_PASSWORD, TEST_KEY, login, make_app
from tests.databases import PG_ADMIN_URL, config_from_url

BASTION = [sys.executable, "-m", "bastion.cli"]
PASSWORDS = {"pg_one": "rotate pw one ~!@#", "pg_two": "rotate pw two %2F/?"}
OLD = base64.b64decode(TEST_KEY)


def bastion(*args: str, env: dict, cwd) -> subprocess.CompletedProcess:
    """Run the bastion CLI in a subprocess."""
    return subprocess.run([*BASTION, *args], env=env, capture_output=True, text=True, timeout=60, cwd=cwd)


@pytest.fixture
def cli_env(system_db_url, tmp_path) -> dict:
    """The environment of a `bastion` command on the test's system database, without APP_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE_URL", "BASTION_"))}
    return {**clean, "DATABASE_URL": system_db_url, "BASTION_INSTANCE": str(tmp_path / "instance")}


@pytest.fixture
def new_key(capsys) -> str:
    """A fresh key from `bastion generate-key` (in-process: it touches no database)."""
    assert main(["generate-key"]) == 0
    key = capsys.readouterr().out.strip()
    assert len(base64.b64decode(key, validate=True)) == 32 and key != TEST_KEY
    return key


@pytest.fixture
def services(client, admin_headers) -> dict[str, int]:
    """Two PostgreSQL services with passwords (trust auth: any password connects) and one SQLite service."""
    bodies = [
        {"name": name, "config": config_from_url(PG_ADMIN_URL, password=password)}
        for name, password in PASSWORDS.items()
    ]
    bodies.append({"name": "lite", "config": {"engine": "sqlite", "database": "/nonexistent/lite.db"}})
    ids = {}
    for body in bodies:
        response = client.post("/api/v2/system/service", json=body, headers=admin_headers)
        assert response.status_code == 201, response.get_json()
        ids[body["name"]] = response.get_json()["id"]
    return ids


def stored_configs(system_db_url: str) -> dict[str, dict]:
    """Each service's config exactly as the system database holds it."""
    engine = sa.create_engine(system_db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(Service.__table__.c.name, Service.__table__.c.config)).all()
    finally:
        engine.dispose()
    return {name: config for name, config in rows}


def seal_by_hand(system_db_url: str, name: str, box: SecretBox) -> None:
    """Re-seal one service's password as a rotation that died after its first commit would have left it."""
    table = Service.__table__
    engine = sa.create_engine(system_db_url)
    try:
        with engine.begin() as conn:
            config = dict(conn.execute(sa.select(table.c.config).where(table.c.name == name)).scalar_one())
            config["password"] = box.seal(PASSWORDS[name], "service.password")
            conn.execute(table.update().where(table.c.name == name).values(config=config))
    finally:
        engine.dispose()


def assert_all_under(system_db_url: str, key: bytes) -> None:
    """Every stored password is sealed with this key and still opens to the value the admin sent."""
    box = SecretBox(key)
    configs = stored_configs(system_db_url)
    for name, password in PASSWORDS.items():
        sealed = configs[name]["password"]
        assert sealed.startswith(f"{PREFIX}{key_id(key)}:"), (name, sealed)
        assert box.open(sealed, "service.password") == password
    assert "password" not in configs["lite"] or not configs["lite"]["password"]


@contextlib.contextmanager
def app_with_key(system_db_url, tmp_path, key: str):
    """A second app on the same system database that knows only `key`, and an admin's headers."""
    application = make_app(system_db_url, str(tmp_path), APP_KEY=key)
    try:
        client = application.test_client()
        response = login(client, "admin@example.com", ADMIN_PASSWORD)
        assert response.status_code == 200, response.get_json()
        yield client, {"Authorization": f"Bearer {response.get_json()['session_token']}"}
    finally:
        application.extensions["bastion.engines"].dispose_all()
        application.extensions["bastion.db"].dispose()


def test_rotation_reseals_every_secret_and_services_still_connect(
    system_db_url, tmp_path, cli_env, new_key, services
):
    before = stored_configs(system_db_url)
    assert all(before[name]["password"].startswith(f"{PREFIX}{key_id(OLD)}:") for name in PASSWORDS)
    env = {**cli_env, "APP_KEY": new_key, "APP_OLD_KEYS": TEST_KEY}
    result = bastion("rotate-key", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    new = base64.b64decode(new_key)
    assert result.stdout.strip() == f"re-encrypted 2 secret(s) under key {key_id(new)}"
    assert_all_under(system_db_url, new)
    assert stored_configs(system_db_url)["lite"] == before["lite"]
    with app_with_key(system_db_url, tmp_path, new_key) as (client, headers):
        for name in PASSWORDS:
            response = client.post(f"/api/v2/system/service/{services[name]}/test", headers=headers)
            assert response.status_code == 200, response.get_json()
            shown = client.get(f"/api/v2/system/service/{services[name]}", headers=headers).get_json()
            assert shown["config"]["password"] == "**********"
    again = bastion("rotate-key", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("re-encrypted 0 secret(s)")
    assert_all_under(system_db_url, new)


def test_a_half_done_rotation_completes_on_rerun(system_db_url, tmp_path, cli_env, new_key, services):
    new = base64.b64decode(new_key)
    seal_by_hand(system_db_url, "pg_one", SecretBox(new))
    result = bastion(
        "rotate-key", env={**cli_env, "APP_KEY": new_key, "APP_OLD_KEYS": TEST_KEY}, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("re-encrypted 1 secret(s)")
    assert_all_under(system_db_url, new)
    with app_with_key(system_db_url, tmp_path, new_key) as (client, headers):
        response = client.post(f"/api/v2/system/service/{services['pg_two']}/test", headers=headers)
        assert response.status_code == 200, response.get_json()


def test_a_missing_old_key_fails_in_one_line_and_changes_nothing(
    system_db_url, tmp_path, cli_env, new_key, services
):
    before = stored_configs(system_db_url)
    wrong = base64.b64encode(b"w" * 32).decode()
    for extra in ({}, {"APP_OLD_KEYS": wrong}):
        result = bastion("rotate-key", env={**cli_env, "APP_KEY": new_key, **extra}, cwd=tmp_path)
        assert result.returncode != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "APP_OLD_KEYS" in lines[0], result.stderr
        for secret in (new_key, TEST_KEY, wrong, *PASSWORDS.values()):
            assert secret not in result.stdout + result.stderr
        assert stored_configs(system_db_url) == before
