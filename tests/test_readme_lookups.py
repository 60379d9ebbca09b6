"""The README's Lookups example runs against a live server, like the other README sections."""

from __future__ import annotations

import subprocess

from tests.test_readme import bash_blocks


def test_lookups_section_examples(live_server):
    script = "set -euo pipefail\n" + "\n".join(bash_blocks("Lookups"))
    env = {
        **live_server.env,
        "BASTION": live_server.url,
        "ADMIN_EMAIL": live_server.admin_email,
        "ADMIN_PASSWORD": live_server.admin_password,
    }
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr + live_server.log()[-3000:]
