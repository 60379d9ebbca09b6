"""Migration 0009 on every engine: the advisor's mutes table upgrades, matches the model, downgrades."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bastion.models_access  # noqa: F401 (registers the tables)
import bastion.models_advisor  # noqa: F401
from bastion.db import make_engine
from bastion.migrate import alembic_config, upgrade
from tests.databases import ENGINES, scratch_database


@pytest.mark.parametrize("engine", ENGINES)
def test_advisor_mutes_upgrade_match_the_model_and_downgrade(engine, tmp_path):
    with scratch_database(engine, str(tmp_path)) as url:
        upgrade(url)
        db = make_engine(url)
        with db.connect() as conn:
            assert "advisor_mute" in sa.inspect(conn).get_table_names()
            diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        command.downgrade(alembic_config(url), "0008")
        with db.connect() as conn:
            assert "advisor_mute" not in sa.inspect(conn).get_table_names()
        upgrade(url)
        db.dispose()
    assert [d for d in diffs if "advisor_mute" in repr(d)] == []
