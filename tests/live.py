"""A real platform under gunicorn on a free port, for README, attack and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ADMIN_PASSWORD, TEST_KEY

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """A running gunicorn serving bastion.wsgi:app, with its instance folder and log."""

    instance: Path
    port: int
    env: dict
    log_path: Path
    admin_email: str = "admin@example.com"
    admin_password: str = ADMIN_PASSWORD
    process: subprocess.Popen | None = None
    extra: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The platform's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def bastion(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """Run the bastion CLI against this instance."""
        return subprocess.run(
            [str(BIN / "bastion"), *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        )

    def log(self) -> str:
        """Everything the server logged so far."""
        return self.log_path.read_text(errors="replace")


def _wait_until_up(server: LiveServer) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(server.url + "/api/v2/system/environment", timeout=1)  # noqa: S310
            return
        except urllib.error.HTTPError as answer:
            answer.close()
            return  # any answer means it is up, e.g. 403 when it requires HTTPS behind a proxy
        except OSError:
            if server.process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + server.log()) from None
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in 30 s:\n" + server.log())


def start_server(instance: Path, **settings: str) -> LiveServer:
    """Initialise an instance, create the admin and start gunicorn with the repo's config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE_URL", "BASTION_"))}
    env.update(BASTION_INSTANCE=str(instance), APP_KEY=TEST_KEY, REQUIRE_HTTPS="false", BASTION_WORKERS="2")
    env.update(settings)
    server = LiveServer(instance=instance, port=free_port(), env=env, log_path=instance / "server.log")
    server.bastion("init")
    server.bastion(
        "create-admin",
        "--email",
        server.admin_email,
        "--name",
        "Admin",
        "--password-stdin",
        "--if-missing",
        stdin=server.admin_password + "\n",
    )
    command = [
        str(BIN / "gunicorn"),
        "-c",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{server.port}",
        "bastion.wsgi:app",
    ]
    with server.log_path.open("w") as log:
        server.process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=instance
        )
    _wait_until_up(server)
    return server


def stop_server(server: LiveServer) -> None:
    """Stop gunicorn and wait for it."""
    if server.process and server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
