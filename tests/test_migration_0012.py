"""Migration 0012 on every engine: apps' count of keys in the query string, CORS rules' last admission."""

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
from tests.databases import ENGINES, scratch_database

OURS = ("query_key_count", "query_key_at", "last_admitted_at")


def _columns(db: sa.Engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db).get_columns(table)}


@pytest.mark.parametrize("engine", ENGINES)
def test_upgrade_matches_the_models_and_downgrades(engine, tmp_path):
    with scratch_database(engine, str(tmp_path)) as url:
        upgrade(url, "0011")
        db = make_engine(url)
        with db.begin() as conn:  # an app made before the migration counts from zero
            conn.execute(
                sa.text(
                    "INSERT INTO app (name, description, is_active, api_key_hash, key_fingerprint, "
                    "type, requires_fullscreen, allow_fullscreen_toggle, toggle_location, created_at, "
                    "updated_at) VALUES ('old', '', true, 'h', 'f', 0, false, true, 'top', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        upgrade(url)
        with db.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
            count = conn.execute(sa.text("SELECT query_key_count FROM app")).scalar_one()
        command.downgrade(alembic_config(url), "0011")
        app_columns, rule_columns = _columns(db, "app"), _columns(db, "cors_rule")
        upgrade(url)
        db.dispose()
    assert [d for d in diffs if any(name in repr(d) for name in OURS)] == []
    assert count == 0
    assert not ({"query_key_count", "query_key_at"} & app_columns) and "last_admitted_at" not in rule_columns
