"""Fuzzing the `bastion` command's arguments in process: any words after any command (its own options
among them) end in a status and, when refused, one line on stderr naming the problem, never a traceback.

Commands that prompt (create-admin, set-password), create an instance (init), seed (demo) or write the
SPA's config (console) are left to test_cli.py: their arguments are few and tested there one by one.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bastion import cli
from tests.test_api_data_fuzz import FUZZ

# Each command's subcommands and the options that take a value.
COMMANDS = {
    "check": ([], []),
    "cors": (["list", "add", "remove"], ["--path", "--origin", "--method", "--header", "--max-age", "--id"]),
    "audit": (["prune", "export"], ["--days", "--output", "--since"]),
    "sessions": (["prune"], []),
    "db": (["upgrade"], []),
    "generate-key": ([], []),
    "rotate-key": ([], []),
}
FLAGS = ["--json", "--strict", "--credentials", "--disabled", "--expose-header", "--description", "-h"]
# No slash: a word that is a path stays inside the test's working directory (audit export --output).
WORDS = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/\\\x00"), max_size=20)
TOKENS = st.one_of(
    WORDS,
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["*", "api/v2/*", "https://a.example", "GET", "2024-01-01T00:00:00", "--", "-h"]),
)


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """An initialised instance folder, made with the real command."""
    folder = tmp_path_factory.mktemp("clifuzz")
    env = {"BASTION_INSTANCE": str(folder / "instance"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "bastion.cli", "init"], env=env, check=True, cwd=folder, timeout=60)
    return folder


@FUZZ
@given(data=st.data(), command=st.sampled_from(sorted(COMMANDS)))
def test_any_arguments_end_in_a_status_and_at_most_one_line(instance, monkeypatch, capsys, data, command):
    for name in ("APP_KEY", "APP_ENV", "DATABASE_URL", "APP_OLD_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BASTION_INSTANCE", str(instance / "instance"))
    monkeypatch.chdir(instance)
    subcommands, options = COMMANDS[command]
    words = data.draw(st.lists(st.sampled_from(subcommands), max_size=1)) if subcommands else []
    pairs = st.lists(st.tuples(st.sampled_from(options or FLAGS), TOKENS), max_size=4)
    for option, value in data.draw(pairs):
        words += [option, value]  # mostly well formed, so that the commands themselves judge the values
    words += data.draw(st.lists(st.one_of(st.sampled_from(FLAGS), TOKENS), max_size=2))
    argv = [command, *words]
    capsys.readouterr()
    try:
        status = cli.main(argv)
    except SystemExit as exc:  # argparse: --help (0) or a refused argument (2)
        status = exc.code
    err = capsys.readouterr().err
    event(f"{command} {status}")
    assert status in (0, 1, 2), (argv, status, err)
    if status:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "error" in lines[0], (argv, err)
