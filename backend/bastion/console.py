"""The admin SPA's own app and the config.json it reads (DESIGN §1).

The SPA ships its app key in a static file, so the key is public: the console app has no default role and
grants nothing by itself. Users who log in through the SPA get the role assigned to them for this app
(for example docs-only access); admins need no key at all.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from bastion.db import session_scope
from bastion.models_access import App, AppCreate
from bastion.services import apps

CONSOLE_APP = "admin-console"


def write_console_config(engine: Engine, api_base_url: str, output: Path) -> str:
    """Create the console app if missing, give it a fresh key and write the SPA's config.json."""
    with session_scope(engine) as db:
        app = db.exec(select(App).where(App.name == CONSOLE_APP)).first()
        if app is None:
            description = "The admin SPA's app: no default role; users get their role for it"
            _, key = apps.create_app_record(db, AppCreate(name=CONSOLE_APP, description=description))
        else:
            _, key = apps.rotate_key(db, app.id)
    output.write_text(json.dumps({"apiBaseUrl": api_base_url.rstrip("/"), "apiKey": key}) + "\n")
    return f"console app: '{CONSOLE_APP}', key written to {output}"
