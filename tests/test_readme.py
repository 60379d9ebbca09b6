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
    script = "set -euo pipefail\n" + "\n".join(bash_blocks(section))
    env = {
        **live_server.env,
        "BASTION": live_server.url,
        "ADMIN_EMAIL": live_server.admin_email,
        "ADMIN_PASSWORD": live_server.admin_password,
    }
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr + live_server.log()[-3000:]
