"""A throwaway PostgreSQL cluster a test owns: initdb in a temporary folder, its own port, and the faults
a real server has (stopped, frozen with SIGSTOP, restarted)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.live import free_port


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else shutil.which("initdb") and Path(shutil.which("initdb")).parent


class PgCluster:
    """One cluster on 127.0.0.1:<free port>, trust authentication, user postgres."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="bastion-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        # initdb and postgres refuse to run as root: run them as the postgres account, which owns the folder.
        self._as = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.dir, account.pw_uid, account.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its postgres database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> PgCluster:
        """Create the cluster (no fsync: it is thrown away) and start it."""
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"
        )
        return self.start()

    def start(self) -> PgCluster:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.dir / "server.log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: connections are cut, as in a shutdown)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def _pids(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.split("/")[2]))
        return [postmaster, *children]

    def freeze(self) -> None:
        """SIGSTOP the server and every backend: connections stay open, nothing answers."""
        # A backend being forked while the first pass lists the children would be missed and keep
        # answering: pass again until no process is new (the stopped postmaster forks no more).
        self._stopped: set[int] = set()
        for _ in range(5):
            fresh = [pid for pid in self._pids() if pid not in self._stopped]
            if not fresh:
                break
            for pid in fresh:
                os.kill(pid, signal.SIGSTOP)
                self._stopped.add(pid)

    def thaw(self) -> None:
        """SIGCONT everything freeze() stopped."""
        for pid in set(self._pids()) | getattr(self, "_stopped", set()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def destroy(self) -> None:
        """Stop the server whatever its state and remove its folder."""
        if (self.data / "postmaster.pid").exists():
            self.thaw()
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
