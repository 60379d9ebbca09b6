"""What will make a valid data service fail, said when it is saved but never refused: its `warnings`.

Runs after target_guard has accepted the config (a protected file, a directory, a device, an unreadable file
or one that is not a SQLite database is already a 400 there), so what is left to say about a SQLite file is
that it is missing or empty. A missing file is a warning rather than a refusal because:

- the engine opens the file read-write without creating it (engines.py, `mode=rw`), so nothing is made in
  its place, and the service starts working as soon as the file appears, without being saved again;
- an operator may register the service first and copy the database next;
- several hosts may share one system database, and the host that answered the save is judged: the file
  may be on the hosts that serve and absent from this one, or the other way round.

PostgreSQL and MariaDB services are not contacted here (a server may be down for maintenance): the
connection test is for that. Everything here is a stat of the path, no read of the file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import Any

FIELD = "config.database"
AFTERWARDS = "every data call will answer 503 until the file is there (the platform never creates it)"


def sqlite_file_problem(path: str) -> str | None:
    """Why a SQLite file that may be served will not serve anything on this host, or None."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        folder = os.path.dirname(real)
        if not os.path.isdir(folder):
            return f"the folder {folder} does not exist on this host, so {path} cannot either: {AFTERWARDS}"
        return f"{path} does not exist on this host: {AFTERWARDS}"
    except OSError:
        return None  # target_guard has already said why it cannot be checked
    if stat.S_ISREG(st.st_mode) and st.st_size == 0:
        return f"{path} is empty: SQLite reads it as a database without tables, so the service serves none"
    return None


def warnings(service_type: str, config: Mapping[str, Any]) -> list[dict[str, str]]:
    """The warnings of a saved service's config: `{"field", "message"}`, the message naming the field."""
    if service_type != "sql" or config.get("engine") != "sqlite" or not config.get("database"):
        return []
    problem = sqlite_file_problem(str(config["database"]))
    return [{"field": FIELD, "message": f"{FIELD}: {problem}."}] if problem else []
