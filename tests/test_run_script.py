"""`make run` as a user meets it: on a terminal, a banner once both servers answer, Ctrl-C ends with status 0.

The banner used to come before the servers, with the password five lines above it under request logs;
a second run said only "admin already exists"; Ctrl-C ended in `make: *** [...] Error 130`; gunicorn put
its control socket in the shared ~/.gunicorn.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.live import ROOT, free_port, start_server, stop_server

BANNER_END = b"Stop both with Ctrl-C."


def _run_and_interrupt(instance: Path, spa_dist: Path) -> tuple[str, int]:
    """Run scripts/run.sh on a terminal under the foreground wrapper, press Ctrl-C after the banner."""
    env = {
        **os.environ,
        "BIN": str(Path(sys.executable).parent),
        "BASTION_INSTANCE": str(instance),
        "SPA_PORT": str(free_port()),
        "PYTHONPATH": f"{ROOT / 'backend'}:{ROOT}",
        "BASTION_WORKERS": "2",
    }
    command = [sys.executable, "scripts/foreground.py", "scripts/run.sh", "127.0.0.1", str(free_port())]
    # The interactive shell gives the terminal to `make`'s stand-in, as a login shell does.
    shell = ["bash", "--norc", "--noprofile", "-ic", f"{' '.join(command)}; echo status=$?"]
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execvpe(shell[0], shell, env)  # noqa: S606 - a fixed command line
    out = _read_until(fd, BANNER_END, timeout=120)
    time.sleep(0.3)
    os.write(fd, b"\x03")
    out += _read_until(fd, b"status=", timeout=30) + _read_until(fd, b"\n", timeout=5)
    os.waitpid(pid, 0)
    return out.decode(errors="replace"), _status(out)


def _read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while marker not in out and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.5)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def _status(out: bytes) -> int:
    text = out.decode(errors="replace")
    return int(text.rsplit("status=", 1)[1].split()[0]) if "status=" in text else -1


@pytest.fixture(scope="module")
def built_spa():
    if not (ROOT / "frontend" / "node_modules").is_dir() or shutil.which("npm") is None:
        pytest.skip("the SPA's packages are not installed")
    from tests.e2e.spa import build_spa

    return build_spa()


def test_banner_after_both_servers_then_ctrl_c_stops_with_status_0(tmp_path, built_spa):
    instance = tmp_path / "instance"
    first, status = _run_and_interrupt(instance, built_spa)
    assert status == 0, first
    banner = first[first.rindex("Bastion is running") :]
    # The URL, the e-mail and the password together, after gunicorn's start-up lines.
    assert "Admin SPA:  http://127.0.0.1:" in banner and "E-mail:     admin@example.com" in banner
    password = banner.split("Password:")[1].split()[0]
    assert len(password) >= 12 and f"password (shown once): {password}" not in first
    assert first.index("Listening at") < first.index("Bastion is running")
    assert "Error 130" not in first and "Traceback" not in first
    # The control socket lived in the instance folder, not in the shared ~/.gunicorn.
    assert "Control socket listening at " + str(instance / "gunicorn.ctl") in first

    second, status = _run_and_interrupt(instance, built_spa)
    assert status == 0, second
    banner = second[second.rindex("Bastion is running") :]
    assert password not in second
    assert "bastion set-password --email admin@example.com" in banner


def test_every_gunicorn_with_the_repos_config_keeps_its_control_socket_in_its_instance(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    server = start_server(instance)
    try:
        assert (instance / "gunicorn.ctl").is_socket()
        assert f"Control socket listening at {instance / 'gunicorn.ctl'}" in server.log()
    finally:
        stop_server(server)
