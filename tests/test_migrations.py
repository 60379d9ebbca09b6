"""Migration 0007 on every engine: the shared throttle table and the sessions' original login time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bastion.models_access  # noqa: F401 (registers the tables)
from bastion.db import make_engine
from bastion.migrate import alembic_config, upgrade
from bastion.models import SessionToken
from tests.databases import ENGINES, scratch_database

OURS = {"throttle_event", "session_token"}


def _touches_ours(diff) -> bool:
    """Whether an autogenerate difference concerns a table this migration made or changed."""
    return any(name in repr(diff) for name in OURS)


@pytest.mark.parametrize("engine", ENGINES)
def test_upgrade_keeps_old_sessions_and_matches_the_models(engine, tmp_path):
    with scratch_database(engine, str(tmp_path)) as url:
        upgrade(url, "0006")
        db = make_engine(url)
        user = db.dialect.identifier_preparer.quote("user")
        created = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
        with db.begin() as conn:
            conn.execute(
                sa.text(
                    f"INSERT INTO {user} (email, name, "
                    "is_active, is_sys_admin, password_hash, created_at, updated_at) "
                    "VALUES ('a@example.com', 'A', true, true, 'x', :t, :t)"
                ),
                {"t": created},
            )
            user_id = conn.execute(sa.text(f"SELECT max(id) FROM {user}")).scalar()
            conn.execute(
                sa.text(
                    "INSERT INTO session_token (token_hash, user_id, created_at, expires_at, refresh_until) "
                    "VALUES ('h', :u, :t, :t, :t)"
                ),
                {"u": user_id, "t": created},
            )
        upgrade(url)
        with db.connect() as conn:
            row = conn.execute(sa.select(SessionToken.login_at, SessionToken.created_at)).one()
            assert row.login_at == row.created_at
            assert row.login_at.replace(tzinfo=None) == created.replace(tzinfo=None)
            diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        # And back: 0007 downgrades cleanly and upgrades again.
        command.downgrade(alembic_config(url), "0006")
        upgrade(url)
        db.dispose()
    assert [diff for diff in diffs if _touches_ours(diff)] == []
