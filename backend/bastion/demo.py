"""The demo data service that `make run` sets up: a seeded SQLite file registered as service 'demo'."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from bastion.data.target_files import SystemTargets
from bastion.db import session_scope
from bastion.demo_seed import create_demo_database
from bastion.models import ServiceCreate
from bastion.secrets import SecretBox
from bastion.services.data_services import create_service, find_service

DEMO_NAME = "demo"


def ensure_demo_service(engine: Engine, box: SecretBox, instance: Path, database_url: str, rows: int) -> str:
    """Create the demo file and service unless they exist; say what was done."""
    path = instance / "demo.db"
    made_file = not path.exists()
    if made_file:
        create_demo_database(str(path), employees=rows)
    with session_scope(engine) as db:
        if find_service(db, DEMO_NAME) is not None:
            return f"demo service: already registered ({path})"
        data = ServiceCreate(
            name=DEMO_NAME,
            label="Demo HR database",
            description="Seeded sample data",
            config={"engine": "sqlite", "database": str(path)},
        )
        create_service(db, box, data, SystemTargets(database_url, instance))
    return f"demo service: registered as '{DEMO_NAME}' over {path}" + (" (seeded)" if made_file else "")
