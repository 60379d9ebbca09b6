"""roles' revision, moved by every write, so an access rebuild reads only the changed roles

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing roles start at 0; new ones at a random revision (models_access.new_role_revision).
    with op.batch_alter_table("role") as batch_op:
        batch_op.add_column(sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0"))
    # Covering the listing of ids and revisions, which then never reads the entries' JSON.
    op.create_index("ix_role_id_revision", "role", ["id", "revision"])


def downgrade() -> None:
    op.drop_index("ix_role_id_revision", table_name="role")
    with op.batch_alter_table("role") as batch_op:
        batch_op.drop_column("revision")
