"""Migration 0011 on every engine: lookups, one-time codes and the registration setting."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bastion.models_access  # noqa: F401 (registers the tables)
import bastion.models_self_service  # noqa: F401
from bastion.db import make_engine
from bastion.migrate import alembic_config, upgrade
from tests.databases import ENGINES, scratch_database

OURS = ("'lookup'", "'one_time_code'", "'registration_setting'", "uq_lookup_owner_name")


@pytest.mark.parametrize("engine", ENGINES)
def test_0011_upgrades_matches_the_models_and_downgrades(engine, tmp_path):
    with scratch_database(engine, str(tmp_path)) as url:
        upgrade(url)
        db = make_engine(url)
        with db.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
            tables = set(db.dialect.get_table_names(conn))
        assert {"lookup", "one_time_code", "registration_setting"} <= tables
        command.downgrade(alembic_config(url), "0010")
        with db.connect() as conn:
            assert "lookup" not in set(db.dialect.get_table_names(conn))
        upgrade(url)
        db.dispose()
    assert [d for d in diffs if any(name in repr(d) for name in OURS)] == []
