"""roles' revision stamped from the "roles" counter, so a rebuild reads only the roles above what it saw

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every role at the counter's current value: the next write of any role stamps above it
    # (models_access.role_stamp). The random revisions 0013 gave new roles could lie above it.
    op.execute(
        "UPDATE role SET revision = COALESCE((SELECT version FROM cache_version WHERE name = 'roles'), 0)"
    )
    op.drop_index("ix_role_id_revision", table_name="role")
    op.create_index("ix_role_revision_id", "role", ["revision", "id"])


def downgrade() -> None:
    op.drop_index("ix_role_revision_id", table_name="role")
    op.create_index("ix_role_id_revision", "role", ["id", "revision"])
