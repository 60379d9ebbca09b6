"""The README's curl examples run against a live server, so they cannot rot."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def bash_blocks(section: str) -> list[str]:
    """The ```bash blocks of one README section (up to the next level-2 heading)."""
    text = README.read_text()
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```bash\n(.*?)```", text[start : end if end > 0 else None], re.S)


@pytest.mark.parametrize(
    "section", ["The admin API", "Audit log and live sessions", "CORS", "Coming from DreamFactory"]
)
def test_section_examples(live_server, section):
    run_section(live_server, section)


def run_section(server, section: str) -> None:
    """Run a section's bash blocks as one script against a live server; they must all succeed."""
    script = "set -euo pipefail\n" + "\n".join(bash_blocks(section))
    env = {
        **server.env,
        "BASTION": server.url,
        "ADMIN_EMAIL": server.admin_email,
        "ADMIN_PASSWORD": server.admin_password,
    }
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr + server.log()[-3000:]


def test_remote_http_services_section(tmp_path_factory):
    """Its stand-in upstream listens on 127.0.0.1, so this server opens loopback to HTTP services."""
    from tests.live import start_server, stop_server

    server = start_server(
        tmp_path_factory.mktemp("http_readme") / "instance", HTTP_SERVICES_ALLOWED_NETWORKS="127.0.0.0/8"
    )
    try:
        run_section(server, "Remote HTTP services")
    finally:
        stop_server(server)
