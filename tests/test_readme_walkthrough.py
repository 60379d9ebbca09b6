"""The README's data API and least-privilege examples run against a live server with the demo service."""

from __future__ import annotations

import subprocess

import pytest

from tests.test_readme import bash_blocks


@pytest.mark.parametrize("section", ["The data API", "Least privilege, end to end"])
def test_section_examples(live_server, section):
    live_server.bastion("demo", "--rows", "200")
    login = bash_blocks("The admin API")[0]
    script = "set -euo pipefail\n" + login + "\n".join(bash_blocks(section))
    env = {
        **live_server.env,
        "BASTION": live_server.url,
        "ADMIN_EMAIL": live_server.admin_email,
        "ADMIN_PASSWORD": live_server.admin_password,
    }
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr + live_server.log()[-3000:]
