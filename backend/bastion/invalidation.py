"""Invalidating per-worker caches on every worker and host through the shared system database.

Each cached area (for example "access" or "cors") has a counter row in `cache_version`. A change bumps
the counter in the same transaction as the change; readers compare the counter with the one their cache
was built from, once per request, and rebuild when it moved. No message bus is needed, and a worker that
missed nothing pays one primary-key lookup per request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from flask import g
from sqlalchemy import update
from sqlmodel import Session

from bastion.db import get_engine
from bastion.models import CacheVersion

T = TypeVar("T")


AREAS = ("access", "cors", "sessions", "services")  # rows created by migrations 0003 and 0006


def bump(db: Session, name: str) -> None:
    """Move an area's counter on atomically, inside the caller's transaction."""
    if name not in AREAS:
        raise ValueError(f"unknown cache area {name!r}")
    db.exec(update(CacheVersion).where(CacheVersion.name == name).values(version=CacheVersion.version + 1))


def _read_all_versions() -> dict[str, int]:
    # One small query for every area: the only system-database read of a request with warm caches.
    # Static SQL without parameters: exec_driver_sql skips statement compilation on this hot path.
    with get_engine().connect() as conn:
        return dict(conn.exec_driver_sql("SELECT name, version FROM cache_version").all())


def current_version(name: str) -> int:
    """An area's counter; all counters are read together, at most once per request."""
    if "cache_versions" not in g:
        g.cache_versions = _read_all_versions()
    return g.cache_versions.get(name, 0)


class VersionedCache(Generic[T]):
    """A value built from the system database, rebuilt when its area's counter moves on."""

    def __init__(self, name: str, build: Callable[[], T]) -> None:
        self.name = name
        self._build = build
        self._lock = threading.Lock()
        self._value: T | None = None
        self._version = -1

    def get(self) -> T:
        """The cached value, rebuilt first if any worker changed the area since it was built."""
        version = current_version(self.name)
        with self._lock:
            if version != self._version or self._value is None:
                self._value = self._build()
                self._version = version
            return self._value
