"""DreamFactory's app, user and service fields

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
APP_COLUMNS = (
    ("type", sa.Integer(), sa.text("0")),
    ("url", TEXT(length=1024), None),
    ("storage_service_id", sa.Integer(), None),
    ("storage_container", TEXT(length=255), None),
    ("path", TEXT(length=1024), None),
    ("launch_url", TEXT(length=1024), None),
    ("requires_fullscreen", sa.Boolean(), sa.false()),
    ("allow_fullscreen_toggle", sa.Boolean(), sa.true()),
    ("toggle_location", TEXT(length=32), sa.text("'top'")),
)
USER_COLUMNS = (
    ("first_name", TEXT(length=64)),
    ("last_name", TEXT(length=64)),
    ("display_name", TEXT(length=255)),
    ("phone", TEXT(length=32)),
)
SERVICE_FLAGS = ("mutable", "deletable")


def upgrade() -> None:
    # Existing rows get the defaults through server_default; the models set them on insert.
    with op.batch_alter_table("app") as batch_op:
        for name, kind, default in APP_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=default is None, server_default=default))
    with op.batch_alter_table("user") as batch_op:
        for name, kind in USER_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table("service") as batch_op:
        for name in SERVICE_FLAGS:
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("service") as batch_op:
        for name in SERVICE_FLAGS:
            batch_op.drop_column(name)
    with op.batch_alter_table("user") as batch_op:
        for name, _kind in USER_COLUMNS:
            batch_op.drop_column(name)
    with op.batch_alter_table("app") as batch_op:
        for name, _kind, _default in APP_COLUMNS:
            batch_op.drop_column(name)
