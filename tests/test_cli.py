"""The `bastion` command: init, db upgrade, create-admin, set-password; one-line failures."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

BASTION = [sys.executable, "-m", "bastion.cli"]


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE_URL", "BASTION_"))}
    clean["BASTION_INSTANCE"] = str(tmp_path / "instance")
    return clean


def run(env, *args, stdin: str | None = None, cwd=None):
    return subprocess.run(
        [*BASTION, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60, cwd=cwd
    )


def test_init_writes_a_private_key_and_migrates(env, tmp_path):
    result = run(env, "init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    env_file = tmp_path / "instance" / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    key_line = env_file.read_text().strip()
    assert key_line.startswith("APP_KEY=") and len(key_line) == len("APP_KEY=") + 44
    tables = sa.inspect(
        sa.create_engine(f"sqlite:///{tmp_path / 'instance' / 'bastion.db'}")
    ).get_table_names()
    assert {"user", "session_token", "alembic_version"} <= set(tables)
    again = run(env, "init", cwd=tmp_path)
    assert again.returncode == 0 and "already configured" in again.stdout
    assert env_file.read_text().strip() == key_line


def test_create_admin_from_stdin_and_set_password(env, tmp_path):
    assert run(env, "init", cwd=tmp_path).returncode == 0
    created = run(
        env,
        "create-admin",
        "--email",
        "Ops@Example.com",
        "--name",
        "Ops",
        "--password-stdin",
        stdin="a very long password\n",
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    assert "a very long password" not in created.stdout + created.stderr
    duplicate = run(
        env,
        "create-admin",
        "--email",
        "ops@example.com",
        "--name",
        "Ops",
        "--password-stdin",
        stdin="a very long password\n",
        cwd=tmp_path,
    )
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    changed = run(
        env,
        "set-password",
        "--email",
        "ops@example.com",
        "--password-stdin",
        stdin="another long password\n",
        cwd=tmp_path,
    )
    assert changed.returncode == 0, changed.stderr
    db = (tmp_path / "instance" / "bastion.db").read_bytes()
    assert b"a very long password" not in db and b"another long password" not in db


def test_generated_password_is_printed_once(env, tmp_path):
    run(env, "init", cwd=tmp_path)
    first = run(
        env,
        "create-admin",
        "--email",
        "d@example.com",
        "--name",
        "D",
        "--generate-password",
        "--if-missing",
        cwd=tmp_path,
    )
    assert "password (shown once):" in first.stdout
    second = run(
        env,
        "create-admin",
        "--email",
        "d@example.com",
        "--name",
        "D",
        "--generate-password",
        "--if-missing",
        cwd=tmp_path,
    )
    password = first.stdout.split("password (shown once):")[1].split()[0]
    assert second.returncode == 0 and "shown once" not in second.stdout and password not in second.stdout
    # A second run says how to get a password back, since it cannot show the first one again.
    assert "bastion set-password --email d@example.com" in second.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["create-admin", "--name", "X"], None, "--email"),
        (["create-admin", "--email", "x@example.com", "--name", "X", "--password-stdin"], "short\n", "12"),
        (
            ["create-admin", "--email", "nope", "--name", "X", "--password-stdin"],
            "long enough pass\n",
            "email",
        ),
        (["create-admin", "--email", "x@example.com", "--name", "X"], "", "--password-stdin"),
        (
            ["set-password", "--email", "ghost@example.com", "--password-stdin"],
            "long enough pass\n",
            "no user",
        ),
        (["frobnicate"], None, "invalid choice"),
        # pydantic's own phrasing never reaches the terminal either.
        (
            ["create-admin", "--email", "e@example.com", "--name", "", "--password-stdin"],
            "long enough pass\n",
            "invalid name: Enter a name",
        ),
    ],
)
def test_bad_arguments_fail_in_one_line(env, tmp_path, args, stdin, needle):
    run(env, "init", cwd=tmp_path)
    result = run(env, *args, stdin=stdin, cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]


def test_bad_setting_stops_with_its_name(env, tmp_path):
    env["APP_DEBUG"] = "sometimes"
    result = run(env, "db", "upgrade", cwd=tmp_path)
    assert result.returncode == 1
    assert "APP_DEBUG" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_demo_is_seeded_once_and_served(env, tmp_path):
    assert run(env, "init", cwd=tmp_path).returncode == 0
    first = run(env, "demo", "--rows", "50", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "registered as 'demo'" in first.stdout and "(seeded)" in first.stdout
    again = run(env, "demo", cwd=tmp_path)
    assert again.returncode == 0 and "already registered" in again.stdout
    bad = run(env, "demo", "--rows", "0", cwd=tmp_path)
    assert bad.returncode == 1 and "--rows" in bad.stderr
    script = (
        "from bastion import create_app\n"
        "from bastion.db import session_scope\n"
        "from bastion.services.data_services import find_service\n"
        "app = create_app()\n"
        "with app.app_context(), session_scope() as db:\n"
        "    print(find_service(db, 'demo').config['database'])\n"
    )
    path = subprocess.run([BASTION[0], "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert path.stdout.strip().endswith("demo.db"), path.stderr


def test_console_config_writes_a_working_low_privilege_key(env, tmp_path):
    import json

    assert run(env, "init", cwd=tmp_path).returncode == 0
    target = tmp_path / "config.json"
    first = run(
        env,
        "console-config",
        "--api-base-url",
        "http://127.0.0.1:8000/",
        "--output",
        str(target),
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    config = json.loads(target.read_text())
    assert config["apiBaseUrl"] == "http://127.0.0.1:8000" and config["apiKey"].startswith("bak_")
    run(env, "console-config", "--api-base-url", "http://x.example", "--output", str(target), cwd=tmp_path)
    assert json.loads(target.read_text())["apiKey"] != config["apiKey"]  # rotated, one app only
    bad = run(env, "console-config", "--api-base-url", "ftp://x", "--output", str(target), cwd=tmp_path)
    assert bad.returncode == 1 and "--api-base-url" in bad.stderr


def test_sessions_prune_deletes_every_dead_session_and_only_those(env, tmp_path):
    assert run(env, "init", cwd=tmp_path).returncode == 0
    admin = ("create-admin", "--email", "ops@example.com", "--name", "Ops", "--password-stdin")
    assert run(env, *admin, stdin="a very long password\n", cwd=tmp_path).returncode == 0
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'instance' / 'bastion.db'}")
    tokens = sa.Table("session_token", sa.MetaData(), autoload_with=engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        user_id = conn.execute(sa.text("SELECT id FROM user")).scalar_one()
        rows = [
            {"token_hash": f"{n:064d}", "user_id": user_id, "created_at": now, "login_at": now}
            | {"expires_at": now + timedelta(days=ends), "refresh_until": now + timedelta(days=ends)}
            for n, ends in enumerate((-2, -1, 1))
        ]
        conn.execute(tokens.insert(), rows)
    result = run(env, "sessions", "prune", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 dead sessions deleted" in result.stdout
    with engine.connect() as conn:
        assert conn.execute(sa.select(tokens.c.token_hash)).scalars().all() == [f"{2:064d}"]
    engine.dispose()
