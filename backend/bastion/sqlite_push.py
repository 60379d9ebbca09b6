"""Cache counters of a SQLite system database, announced through a generation mark beside the file.

The workers of a SQLite system database all run on its host, so a change needs no network to reach them:
a writer whose transaction moved a counter (invalidation.bump) writes 8 random bytes into
`<database>-bastion-gen` after its commit, before it answers. Each worker maps that file into memory
and, per request, compares the mark with the one it saw before its last counter read: unchanged, and
that read started less than LEASE seconds ago, the counters it holds are current; otherwise it reads them
again (one local query, as before). Reading the mark is a memory read: no system call, no query.

The guarantee stays that of every other system database: a change is refused by the very next request on
every worker, because the writer marks before it answers. The lease bounds what a writer that never
marked can cost (it crashed between its commit and the mark, or somebody edited the database by hand):
such a change is seen within LEASE seconds. A writer that cannot write the mark waits out the lease
before it answers, and a worker that cannot map it reads the counters on every request.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

LEASE = 1.0  # seconds a counter read is trusted while the mark stands still
SUFFIX = "-bastion-gen"
SIZE = 8
INFO_KEY = "bastion.sqlite_mark"

log = logging.getLogger("bastion")


def mark_path(engine: sa.Engine) -> str | None:
    """Where the generation mark of a SQLite system database lives; None when it is not a file."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database) + SUFFIX


class Generation:
    """One process's view of the mark, and the counters read under it."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._mapped: tuple[mmap.mmap, int] | None = None  # the mapping and the inode it maps
        self._state: tuple[bytes, float, dict[str, int]] | None = None  # mark, lease end, counters

    def counters(self, read: Callable[[], dict[str, int]]) -> dict[str, int]:
        """The counters: those held while the mark stands still and the lease runs, else read()."""
        state, mapped = self._state, self._mapped
        if state is not None and mapped is not None:
            try:
                mark = mapped[0][:SIZE]
            except ValueError:  # unmapped meanwhile by another thread (_remap): read below
                mark = None
            if mark == state[0] and time.monotonic() < state[1]:
                return state[2]
        started = time.monotonic()  # the lease counts from before the read, never from after it
        mark = self._mark()  # taken before the read: a change marked after it is noticed next time
        counters = read()
        self._state = None if mark is None else (mark, started + LEASE, counters)
        return counters

    def _mark(self) -> bytes | None:
        # Mapped again whenever the path names another file (the instance folder was restored, say).
        with self._lock:
            try:
                inode = os.stat(self._path).st_ino
                if self._mapped is None or self._mapped[1] != inode:
                    self._remap()
                return self._mapped[0][:SIZE] if self._mapped is not None else None
            except OSError:
                with contextlib.suppress(OSError):
                    self._remap()
                return None

    def _remap(self) -> None:
        old, self._mapped = self._mapped, None
        if old is not None:
            with contextlib.suppress(Exception):  # a request may still hold a slice of it: harmless
                old[0].close()
        fd = _open(self._path)
        try:
            self._mapped = (mmap.mmap(fd, SIZE, prot=mmap.PROT_READ), os.fstat(fd).st_ino)
        finally:
            os.close(fd)

    def close(self) -> None:
        """Forget the counters and unmap the file."""
        with self._lock:
            self._state = None
            mapped, self._mapped = self._mapped, None
        if mapped is not None:
            with contextlib.suppress(Exception):
                mapped[0].close()


def _open(path: str) -> int:
    """The mark file, created (SIZE zero bytes, owner-only) if missing."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_size < SIZE:
            os.ftruncate(fd, SIZE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def announce(db: Session, path: str) -> None:
    """Inside the writer's transaction: mark the generation after the commit."""
    db.info[INFO_KEY] = path


def _write_mark(path: str) -> None:
    fd = _open(path)
    try:
        os.pwrite(fd, os.urandom(SIZE), 0)
    finally:
        os.close(fd)


@event.listens_for(Session, "after_commit")
def _after_commit(db: Session) -> None:
    path = db.info.pop(INFO_KEY, None)
    if path is None:
        return
    try:
        _write_mark(path)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        log.warning("could not mark a cache change in %s (%s); waiting %ss", path, reason, LEASE)
        time.sleep(LEASE)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(db: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit
        db.info.pop(INFO_KEY, None)
