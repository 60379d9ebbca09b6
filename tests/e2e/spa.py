"""The built admin SPA for browser tests: build it when stale, serve copies of dist/ with their own config;
and the helpers every SPA test uses (log in, follow the navigation, screenshots kept for failures).

Each served copy gets its own config.json and port, so the tests never touch frontend/dist/config.json
(which `make run` writes) and two copies can point at the platform under different host names, or carry
different console app keys.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from playwright.sync_api import Page, expect

from bastion.demo_seed import create_demo_database
from tests.live import ROOT, LiveServer, free_port, start_server, stop_server

ARTIFACTS = ROOT / "test-artifacts"
FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
# Everything the build reads; a newer file than dist/index.html means the build is stale.
SOURCES = (
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "svelte.config.js",
)


def _newest_source() -> float:
    newest = 0.0
    for name in SOURCES:
        path = FRONTEND / name
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def build_spa() -> Path:
    """Build frontend/dist unless it is newer than every source; return it."""
    index = DIST / "index.html"
    if index.exists() and index.stat().st_mtime >= _newest_source():
        return DIST
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    subprocess.run(["npm", "run", "build"], cwd=FRONTEND, check=True, capture_output=True, text=True)
    return DIST


class _SpaHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; any other path answers index.html, as a host with an SPA fallback does."""

    extra_headers: dict[str, str] = {}

    def end_headers(self):
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        super().end_headers()

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if not path.exists():
            self.path = "/index.html"
        return super().send_head()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@dataclass
class ServedSpa:
    """One served copy of dist/: its folder, port and the URL a browser opens."""

    root: Path
    port: int
    host: str
    server: http.server.ThreadingHTTPServer

    @property
    def url(self) -> str:
        """The SPA's URL, with the host name the browser should use."""
        return f"http://{self.host}:{self.port}/"

    @property
    def origin(self) -> str:
        """The Origin header the browser sends from this page."""
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def serve_folder(folder: Path, host: str = "127.0.0.1", headers: dict[str, str] | None = None) -> ServedSpa:
    """Serve a folder of static files on a free port of 127.0.0.1; `host` is the name browsers use, and
    `headers` are sent with every answer (a Content-Security-Policy, say)."""
    port = free_port()
    handler_class = type("Handler", (_SpaHandler,), {"extra_headers": dict(headers or {})})
    handler = functools.partial(handler_class, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return ServedSpa(root=folder, port=port, host=host, server=server)


def serve_spa(
    dist: Path,
    folder: Path,
    api_base_url: str,
    host: str = "127.0.0.1",
    api_key: str = "",
    headers: dict[str, str] | None = None,
) -> ServedSpa:
    """Copy dist/ to folder, write its config.json and serve it on a free port of 127.0.0.1."""
    shutil.copytree(dist, folder)
    (folder / "config.json").write_text(json.dumps({"apiBaseUrl": api_base_url, "apiKey": api_key}))
    return serve_folder(folder, host, headers)


def admin_api(server: LiveServer) -> requests.Session:
    """A requests session logged in as the platform's admin."""
    session = requests.Session()
    body = {"email": server.admin_email, "password": server.admin_password}
    answer = session.post(f"{server.url}/api/v2/system/admin/session", json=body, timeout=10)
    answer.raise_for_status()
    session.headers["Authorization"] = f"Bearer {answer.json()['session_token']}"
    return session


@contextlib.contextmanager
def platform_with_spa(folder: Path) -> Iterator[tuple[LiveServer, requests.Session, ServedSpa]]:
    """A throwaway platform under gunicorn and the built SPA on its own origin, let in by CORS, for the
    scripts that drive the SPA outside pytest (screenshots, timing); everything lives under folder."""
    (folder / "instance").mkdir()
    server = start_server(folder / "instance")
    try:
        api = admin_api(server)
        spa = serve_spa(build_spa(), folder / "dist", server.url)
        allow_origins(api, server.url, [spa.origin])
        try:
            yield server, api, spa
        finally:
            spa.stop()
    finally:
        stop_server(server)


def suffix() -> str:
    """A short random suffix that keeps names unique within the session's one platform."""
    return uuid.uuid4().hex[:6]


SPA_RULE = {
    "path": "api/v2/*",
    "description": "Admin SPA (browser tests)",
    "methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "headers": ["Authorization", "Content-Type", "X-Api-Key"],
    "exposed_headers": ["X-Request-Id"],
}


def allow_origins(api: requests.Session, base: str, origins: list[str]) -> None:
    """Add origins to the SPA's rule on api/v2/* (the one `bastion init` makes), creating it if missing."""
    rules = api.get(f"{base}/api/v2/system/cors", timeout=10).json()["resource"]
    rule = next((r for r in rules if r["path"] == SPA_RULE["path"]), None)
    if rule is None:
        answer = api.post(f"{base}/api/v2/system/cors", json={**SPA_RULE, "origins": origins}, timeout=10)
    else:
        update = {"origins": sorted({*rule["origins"], *origins})}
        answer = api.patch(f"{base}/api/v2/system/cors/{rule['id']}", json=update, timeout=10)
    answer.raise_for_status()


class Screens:
    """Screenshots of the screens a test passes through, written out only if the test fails."""

    def __init__(self, page: Page):
        self.page = page
        self.shots: list[tuple[str, bytes]] = []

    def snap(self, name: str) -> None:
        """Remember how the page looks now."""
        self.shots.append((name, self.page.screenshot(full_page=True)))

    def save(self, folder: Path, server_log: str) -> None:
        """Write every remembered screen, the final state and the platform's log tail."""
        folder.mkdir(parents=True, exist_ok=True)
        for index, (name, png) in enumerate(self.shots, 1):
            (folder / f"{index:02d}-{name}.png").write_bytes(png)
        self.page.screenshot(path=str(folder / "99-at-failure.png"), full_page=True)
        (folder / "server.log").write_text(server_log[-20_000:])


def log_in(page: Page, url: str, live_server, screens: Screens) -> None:
    """Open the SPA and log in as the admin."""
    page.goto(url)
    expect(page.get_by_role("heading", name="Bastion admin")).to_be_visible()
    screens.snap("login")
    page.get_by_label("Email").fill(live_server.admin_email)
    page.get_by_label("Password").fill(live_server.admin_password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("current-admin")).to_have_text(live_server.admin_email)


def open_area(page: Page, name: str) -> None:
    """Follow the main navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def session_token(page: Page) -> str:
    """The token the SPA keeps in sessionStorage."""
    return page.evaluate("JSON.parse(sessionStorage.getItem('bastion.session')).token")


def add_demo_service(live_server, api, folder: Path, prefix: str) -> dict:
    """A SQLite service over a fresh demo HR database (200 employees), made through the API."""
    path = folder / "hr.db"
    create_demo_database(str(path), employees=200)
    body = {"name": f"{prefix}-{suffix()}", "config": {"engine": "sqlite", "database": str(path)}}
    answer = api.post(f"{live_server.url}/api/v2/system/service", json=body, timeout=10)
    answer.raise_for_status()
    return {**answer.json(), "path": path}
