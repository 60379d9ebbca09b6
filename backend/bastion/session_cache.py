"""Looked-up sessions of one worker, by token digest, dropped whenever a session ends anywhere.

Ending a session (logout, refresh, password change, deactivation, deletion) bumps the "sessions" counter,
so every worker forgets what it knew on its next request; expiry is checked on each use.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from bastion.services.sessions import ActiveSession

MAX_ENTRIES = 10_000
MISSING = object()


class SessionCache:
    """A bounded LRU of digest -> ActiveSession (or None for an unknown token), tied to one counter value."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, ActiveSession | None] = OrderedDict()
        self._version = -1
        self._max = max_entries

    def get(self, digest: str, version: int):
        """The cached lookup, or MISSING when unknown or the counter moved on."""
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
                return MISSING
            if digest not in self._entries:
                return MISSING
            self._entries.move_to_end(digest)
            return self._entries[digest]

    def put(self, digest: str, version: int, found: ActiveSession | None) -> None:
        """Remember a lookup made under the given counter value."""
        with self._lock:
            if version != self._version:
                return
            self._entries[digest] = found
            if len(self._entries) > self._max:
                self._entries.popitem(last=False)
