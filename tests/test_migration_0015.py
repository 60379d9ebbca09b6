"""Migration 0015 on every engine: roles' revisions brought to the "roles" counter, stamps above it after."""

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
from bastion.models_access import role_stamp
from tests.databases import ENGINES, scratch_database

RANDOM_REVISION = 2**61 + 12345  # what 0013's random first revision could have given a role


def _indexes(db: sa.Engine) -> set[str]:
    return {i["name"] for i in sa.inspect(db).get_indexes("role")}


@pytest.mark.parametrize("engine", ENGINES)
def test_upgrade_brings_revisions_under_the_counter_and_downgrades(engine, tmp_path):
    with scratch_database(engine, str(tmp_path)) as url:
        upgrade(url, "0014")
        db = make_engine(url)
        with db.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO role (name, description, is_active, access, created_at, updated_at, "
                    "revision) VALUES ('old', '', true, '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :rev)"
                ),
                {"rev": RANDOM_REVISION},
            )
            conn.execute(sa.text("UPDATE cache_version SET version = 7 WHERE name = 'roles'"))
        upgrade(url)
        with db.begin() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
            migrated = conn.execute(sa.text("SELECT revision FROM role")).scalar_one()
            stamp = role_stamp(conn)
        upgraded = _indexes(db)
        command.downgrade(alembic_config(url), "0014")
        downgraded = _indexes(db)
        upgrade(url)
        db.dispose()
    assert [d for d in diffs if "revision" in repr(d)] == []  # the stamped column's index as the model says
    assert migrated == 7 and stamp == 8  # the next write lands above every migrated role
    assert "ix_role_revision_id" in upgraded and "ix_role_id_revision" not in upgraded
    assert "ix_role_id_revision" in downgraded and "ix_role_revision_id" not in downgraded
