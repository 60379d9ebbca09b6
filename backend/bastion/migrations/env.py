"""Alembic environment: migrates the system database named in the Alembic config."""

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel

import bastion.models  # noqa: F401  (registers the tables on SQLModel.metadata)
import bastion.models_access  # noqa: F401
import bastion.models_advisor  # noqa: F401
import bastion.models_custom  # noqa: F401
import bastion.models_self_service  # noqa: F401
from bastion.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    """Run migrations online, on the engine Bastion itself would use."""
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
