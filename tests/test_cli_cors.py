"""`bastion init --admin-origin` and `bastion cors list|add|remove`, run in-process on a fresh instance."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest

from bastion.cli import main

SPA_HEADERS = [
    "Authorization",
    "Content-Type",
    "X-Api-Key",
    "X-DreamFactory-Api-Key",
    "X-DreamFactory-Session-Token",
]


@pytest.fixture
def bastion(tmp_path, monkeypatch, capsys):
    """Run the CLI on a scratch instance; answer (exit code, stdout, stderr)."""
    for name in list(os.environ):
        if name.startswith(("APP_", "DATABASE_URL", "BASTION_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BASTION_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse
            code = exit_.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def rules(bastion) -> list[dict]:
    code, out, err = bastion("cors", "list", "--json")
    assert code == 0, err
    return json.loads(out)


def test_init_creates_the_admin_spa_rule_once(bastion):
    code, out, err = bastion("init")
    assert code == 0, err
    assert "cors: api/v2/* open to http://127.0.0.1:5173" in out
    [rule] = rules(bastion)
    assert rule["path"] == "api/v2/*" and rule["origins"] == ["http://127.0.0.1:5173"]
    assert rule["methods"] == ["GET", "POST", "PUT", "PATCH", "DELETE"]
    assert rule["headers"] == SPA_HEADERS and rule["exposed_headers"] == ["X-Request-Id"]
    assert rule["supports_credentials"] is False and rule["enabled"] is True
    code, out, _ = bastion("init", "--admin-origin", "https://admin.example.com")
    assert code == 0 and "exists already" in out
    assert rules(bastion) == [rule]


def test_init_takes_the_admin_origin_and_refuses_a_wildcard(bastion, tmp_path):
    for bad in ("*", "https://*.example.com", "admin.example.com"):
        code, _, err = bastion("init", "--admin-origin", bad)
        assert code == 1 and len(err.strip().splitlines()) == 1 and "--admin-origin" in err
    assert not (tmp_path / "instance").exists()  # refused before anything was written
    assert bastion("init", "--admin-origin", "https://Admin.example.com")[0] == 0
    assert rules(bastion)[0]["origins"] == ["https://admin.example.com"]


def test_add_list_remove(bastion):
    bastion("init")
    code, out, err = bastion(
        "cors",
        "add",
        "--path",
        "/api/v2/hr/*",
        "--origin",
        "https://a.example.com, https://b.example.com",
        "--origin",
        "https://*.example.org",
        "--method",
        "get",
        "--header",
        "Content-Type",
        "--expose-header",
        "X-Request-Id",
        "--max-age",
        "600",
        "--credentials",
        "--description",
        "HR portal",
    )
    assert code == 0, err
    added = rules(bastion)[1]
    assert added["origins"] == ["https://a.example.com", "https://b.example.com", "https://*.example.org"]
    assert added["methods"] == ["GET"] and added["max_age"] == 600 and added["supports_credentials"] is True
    code, out, _ = bastion("cors", "list")
    assert code == 0 and f"{added['id']}\ton\t/api/v2/hr/*\t" in out
    assert bastion("cors", "add", "--path", "x", "--disabled")[0] == 0
    assert rules(bastion)[2]["enabled"] is False
    assert bastion("cors", "remove", "--path", "api/v2/hr/*")[0] == 0
    assert bastion("cors", "remove", "--id", str(rules(bastion)[1]["id"]))[0] == 0
    assert [r["path"] for r in rules(bastion)] == ["api/v2/*"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["add", "--path", "x", "--origin", "ftp://a.test"], "--origin"),
        (["add", "--path", "x", "--origin", "https://*.co.uk"], "'https://*.co.uk' is too broad"),
        (["add", "--path", "x", "--origin", "https://*.github.io"], "public suffix"),
        (["add", "--path", "x", "--origin", "*", "--credentials"], "--origin"),
        (["add", "--path", "x", "--method", "FETCH"], "--method"),
        (["add", "--path", "x", "--header", "a b"], "--header"),
        (["add", "--path", "x", "--max-age", "-1"], "--max-age"),
        (["add", "--path", "x", "--max-age", "soon"], "--max-age"),
        (["add", "--path", "/api/v2/*"], "--path"),
        (["add", "--origin", "https://a.test"], "--path"),
        (["remove", "--id", "99"], "no CORS rule"),
        (["remove"], "--path"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_fail_in_one_line(bastion, args, needle):
    bastion("init")
    code, _, err = bastion("cors", *args)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err


def test_a_rule_added_by_the_cli_reaches_a_running_server(live_server):
    """The CLI is another process: the running workers see the change on their next request."""
    origin = "http://cli.example.com"
    path = "/api/v2/system/environment"

    def preflight() -> int:
        request = urllib.request.Request(
            live_server.url + path,
            method="OPTIONS",
            headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert preflight() == 403
    live_server.bastion("cors", "add", "--path", path, "--origin", origin)
    try:
        assert all(preflight() == 204 for _ in range(4))  # both workers
    finally:
        live_server.bastion("cors", "remove", "--path", path)
    assert all(preflight() == 403 for _ in range(4))
