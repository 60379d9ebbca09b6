"""deploy/systemd/bastion.service: systemd accepts it, and it runs what the repo ships."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import ROOT

UNIT = ROOT / "deploy" / "systemd" / "bastion.service"


def _directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            name, _, value = line.partition("=")
            found.setdefault(name, []).append(value)
    return found


def test_the_unit_runs_migrations_then_gunicorn_as_bastion_with_the_shipped_config():
    unit = _directives(UNIT.read_text())
    assert unit["User"] == ["bastion"] and unit["EnvironmentFile"] == ["/etc/bastion/bastion.env"]
    assert unit["ExecStartPre"] == ["/opt/bastion/.venv/bin/bastion db upgrade"]
    assert unit["ExecStart"][0].split()[1:4] == [
        "--config",
        "/opt/bastion/deploy/gunicorn.conf.py",
        "bastion.wsgi:app",
    ]
    assert unit["Restart"] == ["on-failure"]
    assert "BASTION_INSTANCE=/var/lib/bastion" in unit["Environment"][0].split()
    assert unit["ReadWritePaths"] == ["/var/lib/bastion"] and unit["ProtectSystem"] == ["strict"]
    for hardening in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices"):
        assert unit[hardening] == ["yes"], hardening


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_unit_without_a_warning(tmp_path):
    # The unit's /opt/bastion paths point at this checkout, so that verify can check the executables.
    venv = Path(sys.executable).parent.parent
    text = UNIT.read_text().replace("/opt/bastion/.venv", str(venv)).replace("/opt/bastion", str(ROOT))
    unit = tmp_path / "bastion.service"
    unit.write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
