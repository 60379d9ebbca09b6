"""apps' count of keys sent in the query string, CORS rules' last admitted origin

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app") as batch_op:
        batch_op.add_column(sa.Column("query_key_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("query_key_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("cors_rule") as batch_op:
        batch_op.add_column(sa.Column("last_admitted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cors_rule") as batch_op:
        batch_op.drop_column("last_admitted_at")
    with op.batch_alter_table("app") as batch_op:
        batch_op.drop_column("query_key_at")
        batch_op.drop_column("query_key_count")
