"""Login throttling: failures counted per account and per client address.

Keys are derived by the server (the lower-cased account email and the client address after ProxyFix),
never from a header the client chooses. Counts live in memory, or in Redis when REDIS_URL is set so that
every worker and host shares them.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import defaultdict, deque

from flask import Flask, current_app

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _key(kind: str, value: str) -> str:
    return "bastion:login:" + kind + ":" + hashlib.sha256(value.encode()).hexdigest()[:32]


class MemoryStore:
    """Failure timestamps per key in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, deque] = defaultdict(deque)

    def _prune(self, key: str, now: float) -> deque:
        events = self._events[key]
        while events and events[0] <= now - WINDOW_SECONDS:
            events.popleft()
        return events

    def failures(self, key: str, now: float) -> list[float]:
        """The failure times of a key within the window."""
        with self._lock:
            return list(self._prune(key, now))

    def record(self, key: str, now: float) -> None:
        """Remember one failure."""
        with self._lock:
            self._prune(key, now).append(now)

    def clear(self, key: str) -> None:
        """Forget the failures of a key."""
        with self._lock:
            self._events.pop(key, None)


class RedisStore:
    """Failure timestamps per key in a Redis sorted set shared by every worker."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2)

    def failures(self, key: str, now: float) -> list[float]:
        """The failure times of a key within the window."""
        self._redis.zremrangebyscore(key, 0, now - WINDOW_SECONDS)
        return [score for _member, score in self._redis.zrange(key, 0, -1, withscores=True)]

    def record(self, key: str, now: float) -> None:
        """Remember one failure."""
        pipe = self._redis.pipeline()
        pipe.zadd(key, {f"{now:.6f}:{time.monotonic_ns()}": now})
        pipe.expire(key, WINDOW_SECONDS)
        pipe.execute()

    def clear(self, key: str) -> None:
        """Forget the failures of a key."""
        self._redis.delete(key)


def init_app(app: Flask) -> None:
    """Choose the store: Redis when REDIS_URL is set, else this process's memory."""
    url = app.config["SETTINGS"].redis_url
    app.extensions["bastion.throttle"] = RedisStore(url) if url else MemoryStore()


def _store():
    return current_app.extensions["bastion.throttle"]


def retry_after(email: str, address: str) -> int | None:
    """Seconds to wait when the account or the address is locked out, else None."""
    now = time.time()
    waits = []
    for key in (_key("account", email), _key("address", address)):
        events = _store().failures(key, now)
        if len(events) >= MAX_FAILURES:
            waits.append(events[-MAX_FAILURES] + WINDOW_SECONDS - now)
    return max(1, math.ceil(max(waits))) if waits else None


def record_failure(email: str, address: str) -> None:
    """Count one failed login against the account and the address."""
    now = time.time()
    for key in (_key("account", email), _key("address", address)):
        _store().record(key, now)


def clear_account(email: str) -> None:
    """Forget an account's failures after a successful login."""
    _store().clear(_key("account", email))
