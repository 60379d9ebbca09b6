"""a cache area of its own for roles, so a role edit rebuilds the role snapshots and nothing else

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

cache_version = sa.table("cache_version", sa.column("name", sa.String), sa.column("version", sa.Integer))


def upgrade() -> None:
    op.bulk_insert(cache_version, [{"name": "roles", "version": 0}])


def downgrade() -> None:
    op.execute(cache_version.delete().where(cache_version.c.name == "roles"))
