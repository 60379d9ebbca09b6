"""When and from where a session or an API key was last used, written at most once a minute.

The hot path pays a dictionary look-up: each worker remembers when it last wrote for each session and
key (Memo), and only once that is a minute old does it write again, after the response has gone out
(response.call_on_close), with one UPDATE that itself does nothing unless the stored time is a minute
old, so many workers together still write about once a minute per session or key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Response, after_this_request, request

from bastion import current
from bastion.db import get_engine
from bastion.logs import escape_controls
from bastion.models import SessionToken, utcnow
from bastion.models_access import App

INTERVAL_SECONDS = 60
MAX_REMEMBERED = 10_000
AGENT_LENGTH = 255
log = logging.getLogger("bastion")


class Memo:
    """This worker's last write time per session or key (monotonic seconds), bounded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._written: dict[tuple[str, int], float] = {}

    def due(self, key: tuple[str, int], now: float) -> bool:
        """Whether a write is due for this key; if so, count it as written now."""
        last = self._written.get(key)  # the common answer, read without the lock (a dict read is atomic)
        if last is not None and now - last < INTERVAL_SECONDS:
            return False
        with self._lock:
            last = self._written.get(key)
            if last is not None and now - last < INTERVAL_SECONDS:
                return False
            if len(self._written) >= MAX_REMEMBERED:
                self._written.clear()  # forgetting only costs one more write per key
            self._written[key] = now
            return True


def user_agent() -> str | None:
    """The request's User-Agent on one line (control characters escaped), cut to the column's size."""
    raw = request.headers.get("User-Agent")
    return escape_controls(raw)[:AGENT_LENGTH] if raw else None


def _address() -> str | None:
    return (request.remote_addr or "")[:64] or None


def write_after(response: Response, statement: sa.Update, what: str) -> None:
    """Run an UPDATE once the response has gone out; a failure only logs "could not record <what>"."""
    engine = get_engine()

    def write() -> None:
        try:
            with engine.begin() as connection:
                connection.execute(statement)
        except sa.exc.SQLAlchemyError as exc:
            # A missed "last seen" or count is harmless; the response has gone out already.
            log.warning("could not record %s (%s)", what, type(exc).__name__)

    response.call_on_close(write)


def _later(statement: sa.Update) -> None:
    @after_this_request
    def _schedule(response: Response) -> Response:
        write_after(response, statement, "last use")
        return response


def extension(name: str, factory: Callable[[], Any]) -> Any:
    """The app's shared object under this name in app.extensions, made on first use."""
    extensions = current.extensions()
    found = extensions.get(name)
    return found if found is not None else extensions.setdefault(name, factory())


def seen_session(session_id: int) -> None:
    """Note that a session came with this request (from this address and user agent)."""
    if not extension("bastion.activity", Memo).due(("session", session_id), time.monotonic()):
        return
    now = utcnow()
    cutoff = now - timedelta(seconds=INTERVAL_SECONDS)
    stale = sa.or_(SessionToken.last_seen_at.is_(None), SessionToken.last_seen_at < cutoff)
    values = {"last_seen_at": now, "client_address": _address(), "user_agent": user_agent()}
    _later(sa.update(SessionToken).where(SessionToken.id == session_id, stale).values(**values))


def used_key(app_id: int) -> None:
    """Note that an app's key came with this request, from this address."""
    if not extension("bastion.activity", Memo).due(("app", app_id), time.monotonic()):
        return
    now = utcnow()
    stale = sa.or_(App.last_used_at.is_(None), App.last_used_at < now - timedelta(seconds=INTERVAL_SECONDS))
    _later(sa.update(App).where(App.id == app_id, stale).values(last_used_at=now, last_used_from=_address()))
