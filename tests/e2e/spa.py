"""The built admin SPA for browser tests: build it when stale, serve copies of dist/ with their own config.

Each served copy gets its own config.json and port, so the tests never touch frontend/dist/config.json
(which `make run` writes) and two copies can point at the platform under different host names.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from tests.live import ROOT, free_port

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


def serve_spa(dist: Path, folder: Path, api_base_url: str, host: str = "127.0.0.1") -> ServedSpa:
    """Copy dist/ to folder, write its config.json and serve it on a free port of 127.0.0.1."""
    shutil.copytree(dist, folder)
    (folder / "config.json").write_text(json.dumps({"apiBaseUrl": api_base_url, "apiKey": ""}))
    port = free_port()
    handler = functools.partial(_SpaHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return ServedSpa(root=folder, port=port, host=host, server=server)
