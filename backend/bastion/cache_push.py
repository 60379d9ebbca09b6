"""Cache counters pushed by PostgreSQL LISTEN/NOTIFY, so that a request with warm caches reads nothing.

A listener thread per worker holds its own connection, LISTENs on `bastion_cache`, and re-reads the
counters whenever a change is notified, and every RENEW seconds otherwise. A request trusts the counters
it holds (Listener.fresh) only while all of these hold, none of which costs a round trip:
- the last read started less than LEASE seconds ago;
- the connection is up and its socket holds nothing unread (no notification, no error, no EOF waiting).
Otherwise the request polls the database as before (invalidation.CounterReader).

The guarantee that a revocation is refused on the very next request on every worker and host comes from
the writer's side: a change's commit returns only after every listener connected to the system database
at that moment has acknowledged counters at least as new as the change (each acknowledges on
`bastion_cache_ack` after updating what its requests read), or after LEASE seconds, by which time a
listener that has not acknowledged has stopped trusting its counters. A listener whose connection died
before the commit is not waited for: its socket shows the loss (EOF, or libpq marked it broken), so its
worker polls from then on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import threading
import time
from typing import Any

import sqlalchemy as sa
from psycopg import pq
from sqlalchemy import event
from sqlmodel import Session

CHANNEL = "bastion_cache"
ACKS = "bastion_cache_ack"
PREFIX = "bastion-cache:"  # application_name of every listener's connection, found in pg_stat_activity
LEASE = 2.0  # seconds a read is trusted without a new one; also the writer's longest wait
RENEW = 0.5  # a listener re-reads at least this often, so its lease never runs out while it is healthy
RETRY = 0.5  # seconds between attempts to reconnect a lost listener
COUNTERS_SQL = "SELECT name, version FROM cache_version"

log = logging.getLogger("bastion")


def supported(engine: sa.Engine) -> bool:
    """Whether the system database can push changes (PostgreSQL through psycopg)."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


class ListenerThread:
    """One worker's listener thread: the counters it last read and whether requests may trust them.

    Subclasses connect (_connect: the resources the thread holds, closed when it loses them), listen
    (_listen: refresh self._state as (counters, lease end, what _socket reads)), and name the socket whose
    unread bytes may be a change (_socket). This class keeps the lease, the reconnection and the trust.
    """

    thread_name = "bastion-cache-listener"

    def __init__(self, engine: sa.Engine) -> None:
        self.name = PREFIX + secrets.token_hex(8)
        self.pid = os.getpid()
        self._engine = engine
        self._state: tuple[dict[str, int] | None, float, Any] = (None, 0.0, None)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    def start(self) -> ListenerThread:
        """Start the thread; requests poll until its first read."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop trusting pushed counters; the thread closes its connections within RENEW seconds."""
        self._stopped.set()
        self._state = (None, 0.0, None)  # its connections are the thread's to close, never another's

    def fresh(self) -> dict[str, int] | None:
        """The pushed counters if they can be trusted right now, else None (then the caller polls)."""
        counters, until, held = self._state
        if counters is None or time.monotonic() >= until:
            return None
        try:
            sock = self._socket(held)
            if sock is None:
                return None
            # Something unread on the socket (a message, an error, EOF) may be a change: poll.
            readable, _, _ = select.select([sock], [], [], 0)
        except Exception:  # noqa: BLE001 (closed meanwhile by the listener thread)
            return None
        return None if readable else counters

    def _socket(self, held: Any) -> Any:
        """The socket to look at for unread bytes, or None when the connection is known to be unusable."""
        raise NotImplementedError

    def _connect(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def _listen(self, *held: Any) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        down = False  # one warning per outage, not one per reconnection attempt
        while not self._stopped.is_set():
            held: tuple[Any, ...] = ()
            try:
                held = self._connect()
                if down:
                    log.warning("cache listener %s is connected again", self.name)
                    down = False
                self._listen(*held)
            except Exception as exc:  # noqa: BLE001 (any failure: requests poll, the thread reconnects)
                self._state = (None, 0.0, None)
                if not (down or self._stopped.is_set()):
                    log.warning("cache listener %s lost its connection (%s)", self.name, type(exc).__name__)
                    down = True
            self._state = (None, 0.0, None)
            for resource in held:
                close_quietly(resource)
            self._stopped.wait(RETRY)


class Listener(ListenerThread):
    """A listener on PostgreSQL's LISTEN/NOTIFY."""

    def _socket(self, held: Any) -> Any:
        return held.pgconn.socket if held.pgconn.status == pq.ConnStatus.OK else None

    def _connect(self) -> tuple[Any, ...]:
        connection = detached_autocommit(self._engine)
        try:
            connection.execute("SELECT set_config('application_name', %s, false)", (self.name,))
            connection.execute(f"LISTEN {CHANNEL}")
            self._check_visible(connection)
        except BaseException:
            close_quietly(connection)  # detached from the pool: nobody else would close it
            raise
        return (connection,)

    def _check_visible(self, connection: Any) -> None:
        # Writers wait only for the listeners they see in pg_stat_activity, and a listener is only as
        # good as the notifications it gets: behind a proxy that pools transactions (or resets session
        # state) either can fail silently, so prove both before any request trusts this connection.
        visible = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid() AND application_name = %s",
            (self.name,),
        ).fetchone()[0]
        probe = "probe " + self.name
        connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, probe))
        heard = any(notify.payload == probe for notify in connection.notifies(timeout=LEASE))
        if not (visible and heard):
            raise RuntimeError("the listener is not visible to writers or hears no notifications")

    def _listen(self, connection: Any) -> None:
        self._refresh(connection, acknowledge=True)
        while not self._stopped.is_set():
            woken = any(True for _ in connection.notifies(timeout=RENEW, stop_after=1))
            if woken:  # one read covers every change notified so far
                for _ in connection.notifies(timeout=0):
                    pass
            self._refresh(connection, acknowledge=woken)

    def _refresh(self, connection: Any, acknowledge: bool) -> None:
        started = time.monotonic()  # the lease counts from before the read, never from after it
        counters = dict(connection.execute(COUNTERS_SQL).fetchall())  # psycopg's own execute
        if self._stopped.is_set():
            return
        self._state = (counters, started + LEASE, connection)
        if acknowledge:  # only after requests read the new counters
            connection.execute("SELECT pg_notify(%s, %s)", (ACKS, payload(self.name, counters)))


def read_counters(connection: Any) -> dict[str, int]:
    """Every area's counter, read on a DB-API connection's cursor."""
    cursor = connection.cursor()
    try:
        cursor.execute(COUNTERS_SQL)
        return dict(cursor.fetchall())
    finally:
        cursor.close()


def detached_autocommit(engine: sa.Engine) -> Any:
    """A DB-API connection of the engine taken out of its pool, in autocommit mode: the caller's until it
    is lost or the engine is disposed, and every read on it sees the latest committed counters."""
    pooled = engine.raw_connection()
    pooled.detach()
    connection = pooled.dbapi_connection
    engine.dialect.set_isolation_level(connection, "AUTOCOMMIT")
    return connection


def acknowledges(counters: dict[str, int], written: dict[str, int]) -> bool:
    """Whether a listener's acknowledged counters are at least as new as every change written."""
    return all(counters.get(area, -1) >= version for area, version in written.items())


def committed(written: dict[str, int], counters: dict[str, int]) -> dict[str, int]:
    """The versions a writer waits for, after its commit: a bump whose savepoint rolled back never
    committed, so its area is waited for only up to the counter as committed (which an acknowledgement
    covering every change the transaction did commit reaches), not for the full lease."""
    return {area: min(version, counters.get(area, version)) for area, version in written.items()}


def payload(name: str, counters: dict[str, int]) -> str:
    """An acknowledgement: the listener's name and the counters it now serves."""
    return name + " " + ",".join(f"{area}={version}" for area, version in sorted(counters.items()))


def parse(text: str) -> tuple[str, dict[str, int]]:
    """A listener's name and counters from its acknowledgement (payload)."""
    name, _, pairs = text.partition(" ")
    counters = {}
    for pair in pairs.split(","):
        area, _, version = pair.partition("=")
        if version.isdigit():
            counters[area] = int(version)
    return name, counters


def close_quietly(connection: Any) -> None:
    """Close a connection (or subscription) if there is one; a broken one may fail to, and holds nothing."""
    if connection is not None:
        with contextlib.suppress(Exception):
            connection.close()


# --- the writer's side ------------------------------------------------------------------------------


class _Waiter:
    """A writer's acknowledgement connection, listening on ACKS from before its transaction commits."""

    def __init__(self, engine: sa.Engine) -> None:
        self.written: dict[str, int] = {}
        self._pooled = engine.raw_connection()
        self._connection = self._pooled.dbapi_connection
        self._connection.rollback()
        self._connection.autocommit = True
        self._connection.execute(f"LISTEN {ACKS}")

    def wait(self) -> None:
        """Until every listener connected now has acknowledged self.written, or LEASE seconds."""
        deadline = time.monotonic() + LEASE
        capped = committed(self.written, read_counters(self._connection))
        if capped != self.written:
            # A bump rolled back with its savepoint, and its notification may have gone with it: notify
            # again, so that every listener acknowledges what did commit instead of staying silent.
            self._connection.execute("SELECT pg_notify(%s, '')", (CHANNEL,))
            self.written = capped
        rows = self._connection.execute(
            "SELECT application_name FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE %s",
            (PREFIX + "%",),
        )
        pending = {name for (name,) in rows.fetchall()}
        while pending and (left := deadline - time.monotonic()) > 0:
            for notify in self._connection.notifies(timeout=left, stop_after=1):
                name, counters = parse(notify.payload)
                if acknowledges(counters, self.written):
                    pending.discard(name)
        if pending:
            names = ", ".join(sorted(pending))
            log.warning("cache listeners did not acknowledge a change within %ss: %s", LEASE, names)

    def close(self) -> None:
        """Stop listening and give the connection back to the pool."""
        try:
            self._connection.execute(f"UNLISTEN {ACKS}")
            self._connection.autocommit = False
            self._pooled.close()
        except Exception:  # noqa: BLE001 (a broken connection is not returned to the pool)
            self._pooled.invalidate()


def announce(db: Session, name: str, version: int) -> None:
    """Inside the writer's transaction: notify listeners at commit, and wait for them after it."""
    waiter = db.info.get("bastion.cache_waiter")
    if waiter is None:
        waiter = db.info["bastion.cache_waiter"] = _Waiter(db.get_bind())
    # Delivered at commit; PostgreSQL folds identical notifications of one transaction into one, and
    # notifying at every bump keeps one whose savepoint was rolled back from taking the others with it.
    db.exec(sa.select(sa.func.pg_notify(CHANNEL, "")))
    waiter.written[name] = max(version, waiter.written.get(name, -1))


@event.listens_for(Session, "after_commit")
def _after_commit(db: Session) -> None:
    waiter = db.info.pop("bastion.cache_waiter", None)
    if waiter is None:
        return
    try:
        waiter.wait()
    except Exception:  # noqa: BLE001 (no acknowledgements to read: wait out the lease instead)
        log.warning("waiting for cache listeners failed; waiting %ss instead", LEASE)
        time.sleep(LEASE)
    finally:
        waiter.close()


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(db: Session, transaction: Any) -> None:
    # The outermost transaction ended without a commit (a commit took the waiter already); a savepoint
    # rolled back inside it must not drop the waiter of changes the outer transaction still commits.
    if transaction.parent is not None:
        return
    waiter = db.info.pop("bastion.cache_waiter", None)
    if waiter is not None:
        waiter.close()
