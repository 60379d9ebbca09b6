"""Invalidating per-worker caches on every worker and host through the shared system database.

Each cached area (for example "access" or "cors") has a counter row in `cache_version`. A change bumps
the counter in the same transaction as the change; readers compare the counter with the one their cache
was built from, once per request, and rebuild when it moved. No message bus is needed.

How a request learns the counters depends on the system database:
- PostgreSQL: pushed. A listener thread per worker keeps them current through LISTEN/NOTIFY, and a
  request with warm caches reads nothing from the database; a change's commit returns only once every
  listener has acknowledged it (cache_push.py states the guarantee and its fallbacks).
- MariaDB/MySQL and SQLite with REDIS_URL set: pushed the same way through Redis pub/sub, with the same
  guarantee (redis_push.py).
- SQLite without Redis: a generation mark in a file beside the database, mapped into memory, tells a
  request whether the counters it holds are current; it reads them again only when the mark moved or
  its lease ran out (sqlite_push.py).
- MariaDB/MySQL without Redis: one small query per request, on a connection each thread keeps for that
  (CounterReader).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import select, update
from sqlmodel import Session

from bastion import cache_push, current, redis_push, sqlite_push, system_outage
from bastion.config import current_settings
from bastion.db import get_engine
from bastion.models import CacheVersion

T = TypeVar("T")


AREAS = ("access", "cors", "sessions", "services", "roles")  # rows created by migrations 0003, 0006, 0014


@dataclass(frozen=True)
class Push:
    """How counter changes reach the other workers of a system database: one answer for writer and reader.

    kind is "notify" (PostgreSQL LISTEN/NOTIFY), "redis" (pub/sub; where is the URL), "mark" (SQLite's
    generation file; where is its path) or "poll" (a query per request).
    """

    kind: str
    where: str | None = None


def push_for(engine: sa.Engine) -> Push:
    """The push a system database's engine gets (the module docstring lists when each applies)."""
    if cache_push.supported(engine):
        return Push("notify")
    url = redis_push.url_for(engine)
    if url is not None:
        return Push("redis", url)
    path = sqlite_push.mark_path(engine)
    return Push("mark", path) if path is not None else Push("poll")


def bump(db: Session, name: str) -> None:
    """Move an area's counter on atomically, inside the caller's transaction (and push it: cache_push,
    redis_push, sqlite_push)."""
    if name not in AREAS:
        raise ValueError(f"unknown cache area {name!r}")
    change = update(CacheVersion).where(CacheVersion.name == name).values(version=CacheVersion.version + 1)
    push = push_for(db.get_bind())
    if push.kind == "notify":
        version = db.exec(change.returning(CacheVersion.version)).scalar_one()
        cache_push.announce(db, name, version)
        return
    db.exec(change)
    if push.kind == "redis":  # MariaDB has no UPDATE ... RETURNING: the transaction reads its own write
        version = db.exec(select(CacheVersion.version).where(CacheVersion.name == name)).scalar_one()
        redis_push.announce(db, push.where, name, version)
    elif push.kind == "mark":
        sqlite_push.announce(db, push.where)


class CounterReader:
    """Reads every counter in one query, on a connection each thread keeps, in autocommit mode.

    This is the only system-database read of a request with warm caches, so it skips the pool: no
    checkout, no pre-ping, no rollback on return (each a round trip on PostgreSQL and MySQL). Autocommit
    means every read sees the latest committed counters and no transaction is ever left open.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._lock = threading.Lock()
        self._held: list[Any] = []
        self._listener: cache_push.ListenerThread | None = None
        push = push_for(engine)
        self._push = push if push.kind in ("notify", "redis") else None
        self._generation = sqlite_push.Generation(push.where) if push.kind == "mark" else None
        sa.event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def read(self) -> dict[str, int]:
        """Every area's counter, pushed if trustworthy, else read; a broken connection is replaced once."""
        if self._push is not None:
            pushed = self._pushed()
            if pushed is not None:
                return pushed
        if self._generation is not None:
            return self._generation.counters(self._poll)
        return self._poll()

    def _poll(self) -> dict[str, int]:
        connection = self._connection()
        try:
            return self._query(connection)
        except self._engine.dialect.loaded_dbapi.Error:
            self._forget(connection)
            return self._query(self._connection())

    def _pushed(self) -> dict[str, int] | None:
        # One listener per process: a listener started before a fork belongs to the parent.
        listener = self._listener
        if listener is None or listener.pid != os.getpid():
            with self._lock:
                if self._listener is None or self._listener.pid != os.getpid():
                    self._listener = _listener(self._engine, self._push).start()
                listener = self._listener
        return listener.fresh()

    def _query(self, connection: Any) -> dict[str, int]:
        return cache_push.read_counters(connection)

    def _connection(self) -> Any:
        # A connection opened before a fork belongs to the parent process: never reuse (or close) it.
        held = getattr(self._local, "connection", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        connection = cache_push.detached_autocommit(self._engine)  # outside the pool's count
        with self._lock:
            self._held.append(connection)
        self._local.connection = (os.getpid(), connection)
        return connection

    def _forget(self, connection: Any) -> None:
        with self._lock:
            self._held = [held for held in self._held if held is not connection]
        self._local.connection = None
        cache_push.close_quietly(connection)

    def close(self) -> None:
        """Close every connection this process opened (when the engine is disposed)."""
        with self._lock:
            held, self._held = self._held, []
        for connection in held:
            cache_push.close_quietly(connection)
        self._local = threading.local()
        listener, self._listener = self._listener, None
        if listener is not None and listener.pid == os.getpid():
            listener.stop()
        if self._generation is not None:
            self._generation.close()


def _listener(engine: sa.Engine, push: Push) -> cache_push.ListenerThread:
    """The listener of a pushed system database: LISTEN/NOTIFY on PostgreSQL, else Redis pub/sub."""
    return cache_push.Listener(engine) if push.kind == "notify" else redis_push.Listener(engine, push.where)


def init_app(app: Any) -> None:
    """Push the counters through Redis when REDIS_URL is set and the system database cannot push."""
    redis_push.configure(app.extensions["bastion.db"], current_settings(app).redis_url)


def _counters() -> CounterReader:
    extensions = current.extensions()
    reader = extensions.get("bastion.counters")
    if reader is None or reader._engine is not get_engine():
        reader = extensions["bastion.counters"] = CounterReader(get_engine())
    return reader


def current_versions() -> dict[str, int]:
    """Every area's counter; all counters are read together, at most once per request.

    While the system database fails, the last counters read stand in for a bounded grace
    (system_outage.py), so the caches built from them keep serving; then this raises a 503.
    """
    # Asked by every cache a request uses (eight times on a record read), so without proxy reads.
    state = current.state()
    versions = state.get("cache_versions")
    if versions is None:
        reader = _counters()
        errors = (sa.exc.SQLAlchemyError, reader._engine.dialect.loaded_dbapi.Error)
        versions = state.cache_versions = system_outage.grace().read(reader.read, errors)
    return versions


def current_version(name: str) -> int:
    """An area's counter (current_versions)."""
    return current_versions().get(name, 0)


class VersionedCache(Generic[T]):
    """A value built from the system database, rebuilt when the counter of any of its areas moves on."""

    def __init__(self, name: str, build: Callable[[], T], *also: str) -> None:
        self.name = name
        self._areas = (name, *also)
        self._absent = (0,) * len(self._areas)  # an area without a row counts as version 0
        self._build = build
        self._lock = threading.Lock()
        self._built: tuple[tuple[int, ...], T] | None = None  # one reference: read whole, without the lock

    def get(self) -> T:
        """The cached value, rebuilt first if any worker changed one of its areas since it was built."""
        versions = current_versions()
        version = tuple(map(versions.get, self._areas, self._absent))  # asked ~8 times a request
        built = self._built
        if built is not None and built[0] == version:
            return built[1]
        with self._lock:
            if self._built is None or self._built[0] != version:
                self._built = (version, self._build())
            return self._built[1]
