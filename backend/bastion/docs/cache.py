"""Full service documents, kept per worker until their service or its reflected schema changes."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Flask, current_app

MAX_DOCUMENTS = 256
FAILURE_SECONDS = 30.0


class DocumentCache:
    """Documents by key, least recently used dropped first, so a long-running worker stays bounded."""

    def __init__(self, max_documents: int = MAX_DOCUMENTS) -> None:
        self._lock = threading.Lock()
        self._documents: OrderedDict[Hashable, dict] = OrderedDict()
        self._max = max_documents
        self._failures: dict[Hashable, tuple[float, Exception]] = {}

    def get(
        self, key: Hashable, build: Callable[[], dict], failures: tuple[type[Exception], ...] = ()
    ) -> dict:
        """The document of `key`, built by build() when it is not kept. A build that raised one of
        `failures` raises it again for FAILURE_SECONDS without building: a remote document that cannot be
        fetched must not cost every docs request the service's whole timeout."""
        with self._lock:
            if key in self._documents:
                self._documents.move_to_end(key)
                return self._documents[key]
            until, failed = self._failures.get(key, (0.0, None))
            if failed is not None and time.monotonic() < until:
                raise failed
        try:
            document = build()
        except failures as exc:
            with self._lock:
                self._failures = {k: f for k, f in self._failures.items() if f[0] > time.monotonic()}
                self._failures[key] = (time.monotonic() + FAILURE_SECONDS, exc)
            raise
        with self._lock:
            self._documents[key] = document
            while len(self._documents) > self._max:
                self._documents.popitem(last=False)
        return document

    def __len__(self) -> int:
        return len(self._documents)


def init_app(app: Flask) -> None:
    """Give the app its document cache."""
    app.extensions["bastion.docs"] = DocumentCache()


def documents() -> DocumentCache:
    """The current app's document cache."""
    return current_app.extensions["bastion.docs"]
