"""The platform of the soak run: gunicorn with deploy/gunicorn.conf.py, an admin, and an app whose role may
GET and POST the ledger table of every service (the writers use its API key, as a real client would)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from pathlib import Path

import platforms
import servers
from servers import Server

ROLE = "soak-writer"


@dataclass
class Platform:
    """The running server, its admin headers and the writers' API key."""

    server: Server
    api_key: str

    @property
    def url(self) -> str:
        """The platform's base URL."""
        return self.server.url

    def add_service(self, name: str, config: dict, table: str) -> None:
        """Register a data service and check that the writers' key may read its table."""
        _call(self.server, "POST", "/api/v2/system/service", {"name": name, "config": config}, 201)
        status, answer = servers.http_json(
            "GET", f"{self.url}/api/v2/{name}/_table/{table}?limit=1", headers={"X-Api-Key": self.api_key}
        )
        if status != 200:
            raise RuntimeError(f"the writers' key cannot read {name}/{table}: {status} {answer}")


def _call(server: Server, method: str, path: str, body: dict, expected: int) -> dict:
    status, answer = servers.http_json(method, server.url + path, body, server.headers)
    if status != expected:
        raise RuntimeError(f"{method} {path} answered {status}: {answer}")
    return answer


def start(workdir: Path, workers: int) -> Platform:
    """A fresh instance under gunicorn, logged in as admin, with the writers' role and app."""
    instance = workdir / "bastion-instance"
    instance.mkdir()
    password = secrets.token_urlsafe(18)
    env = platforms.base_env(workers)
    env.update(
        BASTION_INSTANCE=str(instance),
        APP_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        REQUIRE_HTTPS="false",
    )
    bastion = [str(platforms.BIN / "bastion")]
    platforms._run([*bastion, "init"], env)
    admin = ["create-admin", "--email", platforms.ADMIN_EMAIL, "--name", "Soak", "--password-stdin"]
    platforms._run([*bastion, *admin], env, stdin=password + "\n")
    command = servers.gunicorn_command(platforms.BIN / "gunicorn", servers.free_port(), "bastion.wsgi:app")
    probe = "/api/v2/system/environment"
    server = servers.start("bastion", command, env, instance, workdir / "bastion.log", probe)
    try:
        server.headers = {"Authorization": f"Bearer {platforms._login(server, password)}"}
        access = [{"service": None, "component": "_table/ledger", "verbs": ["GET", "POST"]}]
        role = _call(server, "POST", "/api/v2/system/role", {"name": ROLE, "access": access}, 201)
        app = _call(server, "POST", "/api/v2/system/app", {"name": "soak", "role_id": role["id"]}, 201)
        return Platform(server=server, api_key=app["api_key"])
    except BaseException:
        servers.stop(server)
        raise
