"""Browser tests: real Chromium through Playwright, one browser for the whole session (TOOLCHAIN.md)."""

from __future__ import annotations

import pytest

CHROMIUM = "/usr/lib/chromium/chromium"  # the real binary; the /usr/bin wrapper adds flags and noise
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch the system Chromium instead of a Playwright download."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
