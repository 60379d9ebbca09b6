"""Cache counters pushed through Redis pub/sub, for system databases that cannot push (MariaDB/MySQL,
SQLite), when REDIS_URL is set: a request with warm caches then reads nothing from the database.

The same contract as cache_push.py (PostgreSQL LISTEN/NOTIFY), with Redis carrying the messages:
- A listener thread per worker SUBSCRIBEs to CHANNEL, proves it hears its own probe, then reads the
  counters from the system database; it re-reads them whenever a change is announced, and every RENEW
  seconds otherwise. A request trusts the counters it holds (Listener.fresh) only while the last read
  started less than LEASE seconds ago and the subscription's socket holds nothing unread (a message, or
  the EOF of a connection Redis dropped). Otherwise the request polls (invalidation.CounterReader).
- A change's commit returns only after every listener subscribed when it was announced (PUBLISH counts
  them) has acknowledged counters at least as new as the change, or after LEASE seconds. Redis being
  unreachable from the writer means waiting out the lease, after which no listener trusts a read older
  than the commit. A listener subscribing after the announcement reads the counters after it, so it
  sees the change.
The channel is per Redis database number (the hosts of one deployment share REDIS_URL; two deployments
on one Redis use two database numbers, as their throttle counts need anyway). PUBLISH counts the
subscribers of one server: a Redis Cluster or a proxy that spreads subscribers over several servers
would undercount them, and is not supported for this (a plain server or a primary with replicas is).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from bastion import cache_push

PREFIX = cache_push.PREFIX  # the client name of every listener's connection (CLIENT LIST shows it)
LEASE = 2.0  # seconds a read is trusted without a new one; also the writer's longest wait
RENEW = 0.5  # a listener re-reads at least this often, so its lease never runs out while it is healthy
RETRY = 0.5  # seconds between attempts to reconnect a lost listener
CONNECT_TIMEOUT = 2.0

log = logging.getLogger("bastion")
_urls: weakref.WeakKeyDictionary[sa.Engine, str] = weakref.WeakKeyDictionary()
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def configure(engine: sa.Engine, url: str) -> None:
    """Push this system database's counters through the Redis at url (PostgreSQL pushes by itself)."""
    if url and not cache_push.supported(engine):
        _urls[engine] = url
    else:
        _urls.pop(engine, None)


def url_for(engine: sa.Engine) -> str | None:
    """The Redis URL this system database's counters are pushed through, if any."""
    return _urls.get(engine)


def channels(url: str) -> tuple[str, str]:
    """The announcement and acknowledgement channels of the Redis database url names."""
    number = _client(url).connection_pool.connection_kwargs.get("db", 0)
    return f"bastion:cache:{number}", f"bastion:cache:{number}:ack"


def _client(url: str, name: str | None = None) -> Any:
    """A Redis client that never retries behind our back: a silent reconnection could miss a message."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    if name is not None:
        return redis.Redis.from_url(
            url,
            client_name=name,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=None,  # a subscriber waits as long as it likes; get_message bounds each wait
            retry=Retry(NoBackoff(), 0),
        )
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = redis.Redis.from_url(
                url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=LEASE, retry=Retry(NoBackoff(), 0)
            )
        return client


class Listener(cache_push.ListenerThread):
    """A listener on the Redis channel; it reads the counters on its own system-database connection."""

    thread_name = "bastion-cache-redis"

    def __init__(self, engine: sa.Engine, url: str) -> None:
        super().__init__(engine)
        self._url = url
        self._channel, self._acks = channels(url)

    def _socket(self, held: Any) -> Any:
        return held  # the subscription's socket, as _refresh found it

    def _connect(self) -> tuple[Any, ...]:
        subscription = self._subscribe()
        try:
            return subscription, cache_push.detached_autocommit(self._engine)
        except BaseException:
            cache_push.close_quietly(subscription)
            raise

    def _subscribe(self) -> Any:
        # Subscribed before the first read, and proven to hear the channel: a writer counts this listener
        # from the moment Redis has the subscription, so no announcement after the read can be missed.
        subscription = _client(self._url, self.name).pubsub()
        try:
            subscription.subscribe(self._channel)
            probe = ("probe " + self.name).encode()
            heard = _wait_for(subscription, lambda message: message["type"] == "subscribe", LEASE)
            _client(self._url).publish(self._channel, probe)
            heard = heard and _wait_for(subscription, lambda message: message["data"] == probe, LEASE)
            if not heard:
                raise RuntimeError("the listener hears nothing on its Redis channel")
        except BaseException:
            cache_push.close_quietly(subscription)
            raise
        return subscription

    def _listen(self, subscription: Any, database: Any) -> None:
        self._refresh(subscription, database, acknowledge=False)
        while not self._stopped.is_set():
            woken = subscription.get_message(timeout=RENEW) is not None
            if woken:  # one read covers every change announced so far
                while subscription.get_message(timeout=0) is not None:
                    pass
            self._refresh(subscription, database, acknowledge=woken)

    def _refresh(self, subscription: Any, database: Any, acknowledge: bool) -> None:
        started = time.monotonic()  # the lease counts from before the read, never from after it
        counters = cache_push.read_counters(database)
        if self._stopped.is_set():
            return
        self._state = (counters, started + LEASE, subscription.connection._sock)
        if acknowledge:  # only after requests read the new counters
            _client(self._url).publish(self._acks, cache_push.payload(self.name, counters))


def _wait_for(subscription: Any, wanted: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        message = subscription.get_message(timeout=left)
        if message is not None and wanted(message):
            return True
    return False


# --- the writer's side ------------------------------------------------------------------------------


def announce(db: Session, url: str, name: str, version: int) -> None:
    """Inside the writer's transaction: remember the change, to announce and wait for after the commit."""
    written = db.info.setdefault("bastion.redis_written", {})
    written[name] = max(version, written.get(name, -1))
    db.info["bastion.redis_url"] = url


def _announce_and_wait(url: str, written: dict[str, int]) -> None:
    """Publish the change, then wait until every listener that got it acknowledged, or LEASE seconds."""
    deadline = time.monotonic() + LEASE
    channel, acks = channels(url)
    subscription = _client(url).pubsub()
    try:
        subscription.subscribe(acks)  # before the announcement, so that no acknowledgement is missed
        if not _wait_for(subscription, lambda message: message["type"] == "subscribe", LEASE):
            raise RuntimeError("no subscription to the acknowledgements")
        listening = _client(url).publish(channel, "changed")
        satisfied: set[str] = set()
        while len(satisfied) < listening and (left := deadline - time.monotonic()) > 0:
            message = subscription.get_message(timeout=left)
            if message is None or message["type"] != "message":
                continue
            listener, counters = cache_push.parse(message["data"].decode(errors="replace"))
            if cache_push.acknowledges(counters, written):
                satisfied.add(listener)
        if len(satisfied) < listening:
            missing = listening - len(satisfied)
            log.warning("%s cache listener(s) did not acknowledge a change within %ss", missing, LEASE)
    finally:
        cache_push.close_quietly(subscription)


def _committed_counters(db: Session) -> dict[str, int]:
    """The counters as committed now, on a pooled connection of the writer's engine."""
    connection = db.get_bind().raw_connection()
    try:
        return cache_push.read_counters(connection.dbapi_connection)
    finally:
        connection.close()


@event.listens_for(Session, "after_commit")
def _after_commit(db: Session) -> None:
    written = db.info.pop("bastion.redis_written", None)
    url = db.info.pop("bastion.redis_url", None)
    if not written or url is None:
        return
    started = time.monotonic()
    try:
        _announce_and_wait(url, cache_push.committed(written, _committed_counters(db)))
    except Exception as exc:  # noqa: BLE001 (no announcement: wait out the lease instead)
        log.warning(
            "announcing a change through Redis failed (%s); waiting %ss instead", type(exc).__name__, LEASE
        )
        time.sleep(max(0.0, started + LEASE - time.monotonic()))


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(db: Session, transaction: Any) -> None:
    # The outermost transaction ended without a commit (a commit took the changes already); a savepoint
    # rolled back inside it must not drop the changes the outer transaction still commits.
    if transaction.parent is None:
        db.info.pop("bastion.redis_written", None)
        db.info.pop("bastion.redis_url", None)
