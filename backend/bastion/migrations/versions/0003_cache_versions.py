"""cache versions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 16:31:19.936268
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "cache_version",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # The rows exist from the start, so that a bump is always an atomic UPDATE.
    op.bulk_insert(table, [{"name": "access", "version": 0}, {"name": "cors", "version": 0}])


def downgrade() -> None:
    op.drop_table("cache_version")
