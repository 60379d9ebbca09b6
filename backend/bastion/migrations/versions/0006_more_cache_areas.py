"""more cache areas: sessions and services

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 17:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

cache_version = sa.table("cache_version", sa.column("name", sa.String), sa.column("version", sa.Integer))


def upgrade() -> None:
    op.bulk_insert(cache_version, [{"name": "sessions", "version": 0}, {"name": "services", "version": 0}])


def downgrade() -> None:
    op.execute(cache_version.delete().where(cache_version.c.name.in_(["sessions", "services"])))
