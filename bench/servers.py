"""gunicorn servers under test: start one in its own process group, read its CPU time, always stop it.

Every server runs with the repo's deploy/gunicorn.conf.py (thread workers, BASTION_WORKERS of them), so the
three differ only in the application they load. CPU time is read from /proc: the master's own and
reaped-children time plus every live worker's, so a worker recycled by max_requests during a run still
counts (its time moves into the master's cutime/cstime when the master reaps it).
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


@dataclass
class Server:
    """A running gunicorn master, its base URL, its log and the headers its requests need."""

    name: str
    port: int
    process: subprocess.Popen
    log_path: Path
    headers: dict[str, str] = field(default_factory=dict)
    admin_headers: dict[str, str] = field(default_factory=dict)  # Bastion: the admin session's

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for error messages."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def worker_boots(self) -> int:
        """How many workers gunicorn booted so far (two at start, one more per max_requests recycle)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text.count("Booting worker")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(
    gunicorn: Path, port: int, app: str, pythonpath: Path | None = None, config: Path = GUNICORN_CONF
) -> list[str]:
    """The gunicorn command line with the repo's config (or a snapshot of it), bound to 127.0.0.1:port."""
    command = [str(gunicorn), "-c", str(config), "--bind", f"127.0.0.1:{port}"]
    if pythonpath is not None:
        command += ["--pythonpath", str(pythonpath)]
    return [*command, app]


_RESOLVE = """
import json, runpy, sys
values = runpy.run_path(sys.argv[1])
plain = (str, int, float, bool, list, tuple, dict, type(None))
print(json.dumps({k: v for k, v in values.items() if not k.startswith("_") and isinstance(v, plain)}))
"""


def config_snapshot(env: dict, output: Path) -> Path:
    """The repo's gunicorn config evaluated here (it may import bastion) and written as plain values.

    For a gunicorn in another venv, which cannot import bastion: same settings, nothing else. Hooks
    (functions) cannot be carried over, so a config that grows one fails here rather than differ quietly.
    """
    command = [sys.executable, "-c", _RESOLVE, str(GUNICORN_CONF)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=True)
    values = json.loads(result.stdout)
    hooks = _functions(GUNICORN_CONF)
    if hooks:
        raise RuntimeError(f"{GUNICORN_CONF} defines hooks {sorted(hooks)}: the snapshot would differ")
    # Bastion's own classes cannot load there either: its worker is gunicorn's thread worker with JSON
    # refusals (gthread does the same work), and its one-line logger gives way to gunicorn's default.
    own = {k: v for k, v in values.items() if isinstance(v, str) and v.startswith("bastion.")}
    values = {k: v for k, v in values.items() if k not in own}
    if "worker_class" in own:
        values["worker_class"] = "gthread"
    lines = [f"# Snapshot of {GUNICORN_CONF} for this run's environment (written by bench/servers.py)."]
    lines += [f"# In place of Bastion's own classes: {own}"] if own else []
    lines += [f"{name} = {value!r}" for name, value in sorted(values.items())]
    output.write_text("\n".join(lines) + "\n")
    return output


def _functions(path: Path) -> list[str]:
    return [node.name for node in ast.parse(path.read_text()).body if isinstance(node, ast.FunctionDef)]


def start(name: str, command: list[str], env: dict, cwd: Path, log_path: Path, probe: str) -> Server:
    """Start gunicorn in a new session (Ctrl-C does not reach it) and wait until probe answers."""
    port = int(command[command.index("--bind") + 1].rsplit(":", 1)[1])
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name=name, port=port, process=process, log_path=log_path)
    try:
        _wait_until_up(server, probe)
    except BaseException:
        stop(server)
        raise
    return server


def _wait_until_up(server: Server, probe: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited at start:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + probe, timeout=2):  # noqa: S310 (our own server)
                return
        except urllib.error.HTTPError:
            return  # it answered: up, whatever the status
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer in {START_TIMEOUT:.0f} s:\n{server.log_tail()}")


def stop(server: Server) -> None:
    """SIGTERM the master's process group, then SIGKILL it if it outlives the grace period."""
    if server.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=STOP_TIMEOUT)
    # Workers left behind by a master that died hard are in the same group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=5)


def cpu_seconds(master: int) -> float:
    """CPU time (user + system) of the master, its reaped children and its live workers, in seconds."""
    ticks = _stat_ticks(master, with_reaped=True)
    for child in _children(master):
        ticks += _stat_ticks(child, with_reaped=False)
    return ticks / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores, all processes) since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...: everything but idle and iowait is busy.
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLOCK_TICKS


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces and parentheses: fields start after the last ')'.
    return text[text.rindex(")") + 2 :].split()


def _stat_ticks(pid: int, with_reaped: bool) -> int:
    try:
        fields = _stat_fields(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0  # exited between listing and reading; its time is in the master's cutime
    # Fields 14-17 of proc(5): utime, stime, cutime, cstime (indexes from field 3).
    used = int(fields[11]) + int(fields[12])
    return used + int(fields[13]) + int(fields[14]) if with_reaped else used


def _children(pid: int) -> list[int]:
    listing = Path(f"/proc/{pid}/task/{pid}/children")
    if listing.exists():
        return [int(p) for p in listing.read_text().split()]
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
    return found


def http_json(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple:
    """(status, parsed JSON body) of one request to our own server."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own server)
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
