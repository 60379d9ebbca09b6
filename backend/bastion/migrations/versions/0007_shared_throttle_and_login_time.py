"""shared throttle counts and the original login time of a session

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "throttle_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_throttle_event_key_at", "throttle_event", ["key", "at_ms"])
    op.create_index("ix_throttle_event_at_ms", "throttle_event", ["at_ms"])
    # Sessions opened before this revision count their refresh window from their own creation.
    with op.batch_alter_table("session_token") as batch_op:
        batch_op.add_column(sa.Column("login_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE session_token SET login_at = created_at")
    with op.batch_alter_table("session_token") as batch_op:
        batch_op.alter_column("login_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("session_token") as batch_op:
        batch_op.drop_column("login_at")
    op.drop_index("ix_throttle_event_at_ms", table_name="throttle_event")
    op.drop_index("ix_throttle_event_key_at", table_name="throttle_event")
    op.drop_table("throttle_event")
