"""Throttling of password checks: at most 5 failed checks per account and per client address in 15 minutes.

Every password check (both logins, the old password of a password change) goes through `begin()` before
the password is looked at, and `succeeded()` when it matched. Keys are derived by the server (the
lower-cased account email and the client address after the proxy handling), never taken from a header
the client chooses, and stored hashed. Counts live in the system database, or in Redis when REDIS_URL is
set, so that every worker and host shares them (throttle_stores).

`begin()` counts the check before the password is verified, and a success takes its entry back: checks
racing on many workers cannot slip past the limit together, and a refused (429) check counts for nothing.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app

from bastion.config import current_settings
from bastion.errors import TooManyRequests
from bastion.throttle_stores import DatabaseStore, RedisStore, ThrottleStore

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _key(kind: str, value: str) -> str:
    return "bastion:login:" + kind + ":" + hashlib.sha256(value.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Attempt:
    """A password check under way: the entry it wrote under each key."""

    account_key: str
    entries: tuple[tuple[str, object], ...]


def init_app(app: Flask) -> None:
    """Choose the store: Redis when REDIS_URL is set, else the system database (bound by db.init_app)."""
    url = current_settings(app).redis_url
    store = RedisStore(url) if url else DatabaseStore(app.extensions["bastion.db"])
    app.extensions["bastion.throttle"] = store


def _store() -> ThrottleStore:
    return current_app.extensions["bastion.throttle"]


def _wait(earlier: list[float], now: float) -> float | None:
    """Seconds until fewer than MAX_FAILURES of the earlier entries are left in the window, else None."""
    if len(earlier) < MAX_FAILURES:
        return None
    return earlier[len(earlier) - MAX_FAILURES] + WINDOW_SECONDS - now


def begin(account: str, address: str) -> Attempt:
    """Count one password check against the account and the address; 429 (Retry-After) past the limit."""
    store, now = _store(), time.time()
    entries, waits = [], []
    for key in (_key("account", account.strip().lower()), _key("address", address)):
        entry_id = store.add(key, now, WINDOW_SECONDS)
        entries.append((key, entry_id))
        earlier = [at for other, at in store.recent(key, now, WINDOW_SECONDS) if other != entry_id]
        wait = _wait(earlier, now)
        if wait is not None:
            waits.append(wait)
    if waits:
        for key, entry_id in entries:
            store.remove(key, entry_id)
        retry_after = str(max(1, math.ceil(max(waits))))
        raise TooManyRequests(
            "Too many failed password checks; try again later", headers={"Retry-After": retry_after}
        )
    return Attempt(account_key=entries[0][0], entries=tuple(entries))


def succeeded(attempt: Attempt) -> None:
    """The password matched: forget the account's failures and take back the address's entry."""
    store = _store()
    store.clear(attempt.account_key)
    for key, entry_id in attempt.entries[1:]:
        store.remove(key, entry_id)


def limits_reached(attempt: Attempt) -> list[str]:
    """After a failed check: which of its keys ("account", "address") are now locked out.

    Called once per failed check that passed begin(), so a lock-out is reported when it starts, never
    once per refused (429) request.
    """
    store, now = _store(), time.time()
    reached = []
    for kind, (key, _entry) in zip(("account", "address"), attempt.entries, strict=True):
        if len(store.recent(key, now, WINDOW_SECONDS)) >= MAX_FAILURES:
            reached.append(kind)
    return reached
