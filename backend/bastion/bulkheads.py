"""Bulkheads: a cap on the requests one data service may have in progress in one worker process.

A database that stalls holds every request sent to it until its timeouts end them (data/timeouts.py).
Without a cap, enough of those requests take every thread of every worker, and the admin API and every
other service stop answering too. With one, a request past the cap waits a moment for a place (a healthy
service frees one within milliseconds, so a burst is queued, not refused) and is then refused (503 with
Retry-After, registry.py), so the worker's other threads stay free for everything else. The cap is per
process: gunicorn runs thread workers (deploy/gunicorn.conf.py) with more threads than one service may use.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

MAX_REQUESTS_PER_SERVICE = 4  # of the 8 threads per worker in deploy/gunicorn.conf.py
WAIT_FOR_PLACE = 0.2  # seconds a request past the cap waits before it is refused


class Bulkheads:
    """One semaphore per key: enter() takes a place (waiting up to `wait` seconds), leave() gives it back."""

    def __init__(self, limit: int = MAX_REQUESTS_PER_SERVICE, wait: float = WAIT_FOR_PLACE) -> None:
        self.limit, self.wait = limit, wait
        self._lock = threading.Lock()
        self._places: dict[Hashable, threading.BoundedSemaphore] = {}

    def enter(self, key: Hashable) -> bool:
        """Take a place for a request to key; False (and nothing taken) when none freed up in time."""
        places = self._places.get(key)  # a dict read is atomic; a semaphore is made once per key
        if places is None:
            with self._lock:
                places = self._places.get(key)
                if places is None:
                    places = self._places[key] = threading.BoundedSemaphore(self.limit)
        return places.acquire(timeout=self.wait)

    def leave(self, key: Hashable) -> None:
        """Give back a place taken by enter()."""
        self._places[key].release()  # never removed once made: no lock needed to find it
