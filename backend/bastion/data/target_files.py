"""The platform's own files, and whether a SQLite service's path may be opened.

A path is judged on what it resolves to (realpath) and on the file's identity, (st_dev, st_ino), so that
no spelling reaches a protected file: `..`, doubled slashes, symlinks, hard links, /proc or /dev
descriptors. The protected set is the system database with its -wal/-shm/-journal companions, the
instance `.env`, the `.env` read at start-up, log files in the instance folder and the package's code.
Other files in the instance folder (the demo database) stay allowed.
"""

from __future__ import annotations

import functools
import os
import stat
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PSEUDO_ROOTS = (Path("/proc"), Path("/dev"), Path("/sys"))
SQLITE_HEADER = b"SQLite format 3\x00"
SYSTEM_DB_COMPANIONS = ("", "-wal", "-shm", "-journal")
PROTECTED = "must not be the platform's own system database, configuration or code"
Identity = tuple[int, int]


@dataclass(frozen=True)
class SystemTargets:
    """What no data service may open, derived from the running configuration."""

    database_url: str
    instance: Path
    sqlite_roots: tuple[Path, ...] = ()
    # The working directory's .env is read at start-up (config.py), so it is captured when this is built.
    env_files: tuple[Path, ...] = field(default_factory=lambda: (Path(".env").resolve(),))

    @classmethod
    def from_settings(cls, settings: Any) -> SystemTargets:
        """The targets of an app's Settings."""
        return cls(settings.database_url, Path(settings.bastion_instance), settings.sqlite_roots)

    def system_db_file(self) -> Path | None:
        """The system database's file as DATABASE_URL names it when it is SQLite; None otherwise."""
        url = sa.engine.make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        name = url.database
        if name.startswith("file:"):
            name = urllib.parse.unquote(urllib.parse.urlsplit(name).path)
        return Path(os.path.abspath(name))

    def protected_paths(self) -> set[Path]:
        """Every protected path, resolved, whether or not the file exists yet."""
        instance = Path(os.path.realpath(self.instance))
        paths = [instance / ".env", *self.env_files, *instance.glob("*.log"), *instance.glob("logs/*")]
        db = self.system_db_file()
        if db is not None:
            # SQLite names its -wal and -journal files after the path it was given or after the file it
            # resolves to, depending on its version: protect both.
            for base in {db, Path(os.path.realpath(db))}:
                paths += [Path(f"{base}{suffix}") for suffix in SYSTEM_DB_COMPANIONS]
        return {Path(os.path.realpath(p)) for p in paths}

    def protected_identities(self) -> set[Identity]:
        """(st_dev, st_ino) of every protected file that exists now, code included."""
        return _identities(self.protected_paths()) | code_identities()


def _identities(paths: Iterable[Path]) -> set[Identity]:
    found = set()
    for path in paths:
        try:
            found.add(identity(os.stat(path)))
        except OSError:
            continue
    return found


@functools.cache
def code_identities() -> frozenset[Identity]:
    """The identities of the package's files (its code and migrations), read once per process."""
    return frozenset(_identities(p for p in PACKAGE_DIR.rglob("*") if p.is_file()))


def identity(st: os.stat_result) -> Identity:
    """A file's identity: the same for every name (hard link, symlink, descriptor) of one file."""
    return (st.st_dev, st.st_ino)


def _canonical(path: str) -> Path:
    # POSIX keeps a leading '//' as it is; the kernel does not, so neither may the comparison.
    return Path(os.path.normpath("/" + path.lstrip("/")))


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


@functools.cache
def _pseudo_devices() -> frozenset[int]:
    # Only where /proc, /dev or /sys is a mount of its own: in some containers /dev lies on the root
    # filesystem, and its device number would then stand for every ordinary file.
    ordinary = os.stat("/").st_dev
    devices = {os.stat(root).st_dev for root in PSEUDO_ROOTS if root.exists()}
    return frozenset(devices - {ordinary})


def path_problem(path: str, targets: SystemTargets | None) -> str | None:
    """Why a SQLite service may not open this path, or None; never reads a protected file."""
    if "\x00" in path:
        return "must not contain NUL characters"
    if not os.path.isabs(path):
        return "must be an absolute file path (file: URIs are not accepted)"
    if "?" in path or "#" in path:
        return "must be a plain file path; URI parameters ('?', '#') are not accepted"
    named = _canonical(path)
    if any(_within(named, root) for root in PSEUDO_ROOTS):
        return "must not be under /proc, /dev or /sys"
    try:
        real = Path(os.path.realpath(named))
    except OSError as exc:  # a link that went away while it was followed (a /proc fd closing, say)
        return f"cannot be checked ({exc.strerror})"
    if any(_within(real, root) for root in PSEUDO_ROOTS):
        return "must not be under /proc, /dev or /sys"
    roots = targets.sqlite_roots if targets is not None else ()
    if roots and not any(_within(real, Path(os.path.realpath(root))) for root in roots):
        return f"must be inside SQLITE_ROOTS ({', '.join(str(r) for r in roots)})"
    if _within(real, PACKAGE_DIR) or (targets is not None and real in targets.protected_paths()):
        return PROTECTED
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be checked ({exc.strerror})"
    return file_problem(st, targets)


def file_problem(st: os.stat_result, targets: SystemTargets | None) -> str | None:
    """Why an existing file may not be served: not a regular file, a pseudo-file, or a protected one."""
    if stat.S_ISDIR(st.st_mode):
        return "is a directory, not a SQLite database file"
    if not stat.S_ISREG(st.st_mode) or st.st_dev in _pseudo_devices():
        return "must be a regular file (not a device, pipe, socket or /proc entry)"
    if identity(st) in code_identities() or (
        targets is not None and identity(st) in targets.protected_identities()
    ):
        return PROTECTED
    return None


def content_problem(path: str) -> str | None:
    """Why a file is not a SQLite database (an empty file is one), or None; reads at most 16 bytes."""
    try:
        # Non-blocking, so that a FIFO swapped in under the name cannot hang the worker.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "must be a regular file (not a device, pipe, socket or /proc entry)"
        head = os.read(fd, len(SQLITE_HEADER))
    finally:
        os.close(fd)
    if head and head != SQLITE_HEADER:
        return "is not a SQLite database file"
    return None
