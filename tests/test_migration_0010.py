"""Migration 0010 on every engine: DreamFactory's app, user and service fields, defaults for old rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bastion.models_access  # noqa: F401 (registers the tables)
from bastion.db import make_engine
from bastion.migrate import alembic_config, upgrade
from bastion.models import Service, User
from bastion.models_access import App
from tests.databases import ENGINES, scratch_database

OURS = ("'app'", "'user'", "'service'")


@pytest.mark.parametrize("engine", ENGINES)
def test_upgrade_fills_defaults_matches_the_models_and_downgrades(engine, tmp_path):
    with scratch_database(engine, str(tmp_path)) as url:
        upgrade(url, "0009")
        db = make_engine(url)
        user = db.dialect.identifier_preparer.quote("user")
        now = "2026-11-01 12:00:00"
        with db.begin() as conn:
            conn.execute(
                sa.text(
                    f"INSERT INTO {user} (email, name, is_active, is_sys_admin, password_hash, created_at, "
                    "updated_at) VALUES ('a@example.com', 'A', true, false, 'x', :t, :t)"
                ),
                {"t": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO app (name, description, is_active, api_key_hash, key_fingerprint, "
                    "created_at, updated_at) VALUES ('web', '', true, 'h', 'f', :t, :t)"
                ),
                {"t": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO service (name, label, description, type, is_active, config, version, "
                    "created_at, updated_at) VALUES ('s', '', '', 'sql', true, '{}', 1, :t, :t)"
                ),
                {"t": now},
            )
        upgrade(url)
        with db.connect() as conn:
            app = conn.execute(sa.select(App.type, App.allow_fullscreen_toggle, App.toggle_location)).one()
            assert tuple(app) == (0, True, "top")
            assert conn.execute(sa.select(User.first_name, User.phone)).one() == (None, None)
            assert tuple(conn.execute(sa.select(Service.mutable, Service.deletable)).one()) == (True, True)
            diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        command.downgrade(alembic_config(url), "0009")
        upgrade(url)
        db.dispose()
    ours = [d for d in diffs if any(name in repr(d) for name in OURS)]
    assert ours == []
