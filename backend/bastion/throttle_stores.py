"""Where throttle counts live: the system database, or Redis when REDIS_URL is set.

Both keep one entry per counted password check under its key, with its time, so that every worker and
host sees the same sliding window. Adding an entry is a single atomic write (an INSERT, a ZADD); a
check adds its own entry first and counts afterwards, so concurrent checks on any number of workers
can never all see room for themselves: the k-th entry written sees at least k entries.
"""

from __future__ import annotations

import contextlib
import time
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bastion.models import ThrottleEvent

Entry = tuple[object, float]  # (the entry's own id, its time in seconds)


class ThrottleStore(Protocol):
    """Timed entries per key, shared by every worker."""

    def add(self, key: str, now: float, window: float) -> object:
        """Write one entry for a key and return its id."""

    def recent(self, key: str, now: float, window: float) -> list[Entry]:
        """The entries of a key within the window, oldest first."""

    def remove(self, key: str, entry_id: object) -> None:
        """Forget one entry."""

    def clear(self, key: str) -> None:
        """Forget every entry of a key."""


TABLE = ThrottleEvent.__table__


class DatabaseStore:
    """Entries as rows of `throttle_event` in the system database, each write its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, key: str, now: float, window: float) -> object:
        """Insert one row (committed at once, so other workers count it), after purging old rows."""
        self._purge(now - window)
        with self._engine.begin() as conn:
            result = conn.execute(sa.insert(TABLE).values(key=key, at_ms=_ms(now)))
            return result.inserted_primary_key[0]

    def recent(self, key: str, now: float, window: float) -> list[Entry]:
        """The rows of a key younger than the window, oldest first."""
        query = (
            sa.select(TABLE.c.id, TABLE.c.at_ms)
            .where(TABLE.c.key == key, TABLE.c.at_ms > _ms(now - window))
            .order_by(TABLE.c.at_ms, TABLE.c.id)
        )
        with self._engine.connect() as conn:
            return [(row.id, row.at_ms / 1000) for row in conn.execute(query)]

    def remove(self, key: str, entry_id: object) -> None:
        """Delete one row."""
        with self._engine.begin() as conn:
            conn.execute(sa.delete(TABLE).where(TABLE.c.key == key, TABLE.c.id == entry_id))

    def clear(self, key: str) -> None:
        """Delete every row of a key."""
        with self._engine.begin() as conn:
            conn.execute(sa.delete(TABLE).where(TABLE.c.key == key))

    def _purge(self, cutoff: float) -> None:
        # Rows past the window count for nothing; deleting them here keeps the table as small as the
        # traffic of one window. Two workers purging at once may lock each other out on some engines:
        # the loser skips, and the next check purges again.
        with contextlib.suppress(sa.exc.OperationalError), self._engine.begin() as conn:
            conn.execute(sa.delete(TABLE).where(TABLE.c.at_ms <= _ms(cutoff)))


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


class RedisStore:
    """Entries as members of a Redis sorted set per key, scored by their time."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2)

    def add(self, key: str, now: float, window: float) -> object:
        """Add one member; the key expires with the window."""
        member = f"{now:.6f}:{time.monotonic_ns()}"
        pipe = self._redis.pipeline()
        pipe.zadd(key, {member: now})
        pipe.expire(key, int(window) + 1)
        pipe.execute()
        return member.encode()

    def recent(self, key: str, now: float, window: float) -> list[Entry]:
        """The members of a key younger than the window, oldest first."""
        self._redis.zremrangebyscore(key, 0, now - window)
        return list(self._redis.zrange(key, 0, -1, withscores=True))

    def remove(self, key: str, entry_id: object) -> None:
        """Remove one member."""
        self._redis.zrem(key, entry_id)

    def clear(self, key: str) -> None:
        """Delete the key."""
        self._redis.delete(key)
