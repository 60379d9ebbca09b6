"""Counts that the advisor reads, kept off the hot path like activity.py's last-use writes.

Keys sent in the query string: each worker counts them per app in memory, and at most once a minute per
app adds its count to `app.query_key_count` with one UPDATE (`count = count + n`, so workers add up)
after the response has gone out. What a worker counted in its last minute is lost when it stops; the
advisor reports the habit, not an exact tally. CORS rules: when a rule admits a request's origin, its
`last_admitted_at` is written at most once a minute per rule per worker (activity.Memo), after the
response, by an UPDATE that does nothing unless the stored time is a minute old.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import Response, after_this_request

from bastion import current
from bastion.activity import Memo, extension, write_after
from bastion.models import CorsRule, utcnow
from bastion.models_access import App

INTERVAL_SECONDS = 60
QUERY_CREDENTIALS = ("api_key", "session_token")


class Tally:
    """This worker's counts not yet written, per app, and when each was last written (monotonic)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, int] = {}
        self._written: dict[int, float] = {}

    def add(self, app_id: int, now: float) -> int:
        """Count one use; answer the count to write now (0 while the app's last write is recent)."""
        with self._lock:
            count = self._pending.get(app_id, 0) + 1
            last = self._written.get(app_id)
            if last is not None and now - last < INTERVAL_SECONDS:
                self._pending[app_id] = count
                return 0
            self._pending.pop(app_id, None)
            self._written[app_id] = now
            return count


def credentials_in_query() -> bool:
    """Whether the request carried an API key or a session token in its query string."""
    asked = current.asked()
    query = asked.query_string
    # Bytes first: most requests carry neither name, and that test is cheaper than the parsed arguments.
    if b"api_key" not in query and b"session_token" not in query:
        return False
    args = asked.args
    return any(name in args for name in QUERY_CREDENTIALS)


def key_in_query(app_id: int) -> None:
    """Count a request of this app whose key or session token came in the query string."""
    count = extension("bastion.usage.query", Tally).add(app_id, time.monotonic())
    if not count:
        return
    added = App.__table__.c.query_key_count + count
    statement = sa.update(App).where(App.id == app_id).values(query_key_count=added, query_key_at=utcnow())

    @after_this_request
    def _schedule(response: Response) -> Response:
        write_after(response, statement, "a usage count")
        return response


def rule_admitted(rule_id: int, response: Response) -> None:
    """Note that a CORS rule admitted this request's origin (called with the response being sent)."""
    if not extension("bastion.usage.cors", Memo).due(("cors", rule_id), time.monotonic()):
        return
    now = utcnow()
    column = CorsRule.last_admitted_at
    stale = sa.or_(column.is_(None), column < now - timedelta(seconds=INTERVAL_SECONDS))
    # updated_at keeps its value: the rule was used, not edited (the column's onupdate would bump it).
    values = {"last_admitted_at": now, "updated_at": CorsRule.updated_at}
    statement = sa.update(CorsRule).where(CorsRule.id == rule_id, stale).values(**values)
    write_after(response, statement, "a usage count")
