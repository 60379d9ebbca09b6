"""PostgreSQL values that Python's types cannot hold, read as PostgreSQL spells them.

psycopg loads dates, timestamps and times into Python objects, which cannot hold 'infinity', a date
before year 1 (BC) or after 9999, or the time 24:00:00: it raised instead, so that one such row made every
page holding it unreadable. Those values are read as PostgreSQL's own text ("infinity"), every other
value as before. An interval is always read as its text ("1 mon 2 days 03:00:00"): a timedelta has no
months, so it turned '1 mon' into '30 days', which is another interval; the text is also what PostgreSQL
takes back on a write.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types import datetime as pg_datetime
from psycopg.types.string import TextLoader

_LOADERS = {
    "date": pg_datetime.DateLoader,
    "timestamp": pg_datetime.TimestampLoader,
    "timestamptz": pg_datetime.TimestamptzLoader,
    "time": pg_datetime.TimeLoader,
    "timetz": pg_datetime.TimetzLoader,
}


def _as_text_when_out_of_range(base: type) -> type:
    def load(self: Any, data: Any) -> Any:
        try:
            return base.load(self, data)
        except (psycopg.DataError, ValueError):
            return bytes(data).decode("utf-8", "replace")

    return type(f"Text{base.__name__}", (base,), {"load": load})


_LENIENT = {name: _as_text_when_out_of_range(base) for name, base in _LOADERS.items()}


def register(dbapi_connection: Any, _record: Any = None) -> None:
    """Install the loaders on a new psycopg connection (a SQLAlchemy "connect" event listener)."""
    adapters = dbapi_connection.adapters
    for name, loader in _LENIENT.items():
        adapters.register_loader(name, loader)
    adapters.register_loader("interval", TextLoader)
