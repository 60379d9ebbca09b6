"""Migration 0013 on every engine: roles' revision, which access rebuilds compare to skip unchanged roles."""

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


def _columns(db: sa.Engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db).get_columns(table)}


@pytest.mark.parametrize("engine", ENGINES)
def test_upgrade_matches_the_models_and_downgrades(engine, tmp_path):
    with scratch_database(engine, str(tmp_path)) as url:
        upgrade(url, "0012")
        db = make_engine(url)
        with db.begin() as conn:  # a role made before the migration starts at revision 0
            conn.execute(
                sa.text(
                    "INSERT INTO role (name, description, is_active, access, created_at, updated_at) "
                    "VALUES ('old', '', true, '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        upgrade(url)
        with db.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
            revision = conn.execute(sa.text("SELECT revision FROM role")).scalar_one()
        command.downgrade(alembic_config(url), "0012")
        columns = _columns(db, "role")
        upgrade(url)
        db.dispose()
    assert [d for d in diffs if "revision" in repr(d)] == []  # the column and its covering index
    assert revision == 0
    assert "revision" not in columns
