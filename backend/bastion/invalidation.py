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

from bastion.db import session_scope
from bastion.models import CacheVersion

T = TypeVar("T")


AREAS = ("access", "cors")  # rows created by migration 0003


def bump(db: Session, name: str) -> None:
    """Move an area's counter on atomically, inside the caller's transaction."""
    if name not in AREAS:
        raise ValueError(f"unknown cache area {name!r}")
    db.exec(update(CacheVersion).where(CacheVersion.name == name).values(version=CacheVersion.version + 1))


def current_version(name: str) -> int:
    """An area's counter, read at most once per request."""
    seen = g.setdefault("cache_versions", {})
    if name not in seen:
        with session_scope() as db:
            row = db.get(CacheVersion, name)
            seen[name] = row.version if row else 0
    return seen[name]


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
