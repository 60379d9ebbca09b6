"""Migration 0008 on every engine: the audit trail, sessions' client and last use, apps' key last use."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bastion.models_access  # noqa: F401 (registers the tables)
import bastion.models_audit  # noqa: F401
from bastion.db import make_engine
from bastion.migrate import alembic_config, upgrade
from tests.databases import ENGINES, scratch_database

OURS = ("audit_event", "last_seen_at", "client_address", "user_agent", "last_used_at", "last_used_from")


@pytest.mark.parametrize("engine", ENGINES)
def test_upgrade_matches_the_models_and_downgrades(engine, tmp_path):
    with scratch_database(engine, str(tmp_path)) as url:
        upgrade(url, "0007")
        upgrade(url)
        db = make_engine(url)
        with db.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        command.downgrade(alembic_config(url), "0007")
        with db.connect() as conn:
            tables = set(db.dialect.get_table_names(conn))
        upgrade(url)
        db.dispose()
    assert [d for d in diffs if any(name in repr(d) for name in OURS)] == []
    assert "audit_event" not in tables
