"""schemathesis against a running platform, driven by the platform's own OpenAPI documents:
no 5xx and no response that violates the document, for the admin API and a data service."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.live import start_server, stop_server

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Operations that end the run's own session (logout, refresh, ending sessions, password changes) would
# leave the rest of the run unauthenticated (an admin batch may deactivate or delete the run's own
# admin); they have their own tests.
EXCLUDE = r"/session$|/session/\{id\}$|/password$|/system/admin/\{id\}$|^(DELETE|PATCH|PUT) \S*/system/admin$"


@pytest.fixture
def server(tmp_path_factory):
    """A platform of its own for each run: the fuzzer creates and deletes freely."""
    live = start_server(tmp_path_factory.mktemp("fuzz") / "instance")
    live.bastion("demo", "--rows", "100")
    yield live
    stop_server(live)


def _token(server) -> str:
    body = json.dumps({"email": server.admin_email, "password": server.admin_password}).encode()
    request = urllib.request.Request(
        server.url + "/api/v2/system/admin/session",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["session_token"]


def _fetch(server, token: str, name: str, path: Path) -> Path:
    request = urllib.request.Request(
        f"{server.url}/api/v2/api_docs/{name}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        document = json.loads(response.read())
    path.write_text(json.dumps(_bearer_only(document)))
    return path


def _bearer_only(document: dict) -> dict:
    """The document with the run's bearer token as its only credential.

    Its other schemes (api_key and session_token in the query, key headers) would make the fuzzer send
    values of its own for them, which replace the token and test nothing but the login wall; each of
    those ways in has its own tests.
    """
    bearer = {
        name: scheme
        for name, scheme in document["components"]["securitySchemes"].items()
        if scheme.get("scheme") == "bearer"
    }
    document["components"]["securitySchemes"] = bearer
    only = [{name: []} for name in bearer]
    document["security"] = only
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "security" in operation:
                operation["security"] = only
    return document


@pytest.mark.parametrize(("document", "base"), [("system", "/api/v2"), ("demo", "/api/v2/demo")])
def test_no_server_errors_and_conforming_responses(server, tmp_path, document, base):
    token = _token(server)
    schema = _fetch(server, token, document, tmp_path / f"{document}.json")
    command = [
        SCHEMATHESIS,
        "run",
        str(schema),
        "--url",
        server.url + base,
        "-H",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--phases",
        "coverage,fuzzing",
        "--max-examples",
        "4",
        "--max-time",
        "30",
        "-w",
        "1",
        "--exclude-name-regex",
        EXCLUDE,
        "--seed",
        "1",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    failures = result.stdout.split("WARNINGS")[0][-3000:]
    summary = failures + result.stdout[-1200:]
    assert result.returncode == 0, summary + server.log()[-2000:]
    assert " passed" in summary and "failed" not in summary.split("Test cases:")[-1]
    # With the bearer token the only credential, an operation that sees only 401s and 403s is one the
    # fuzzer never reached past the login wall: a few at most, or the run tested nothing.
    refused = re.search(r"Authentication failed: (\d+) operation", result.stdout)
    selected = re.search(r"Selected: (\d+)/", result.stdout)
    assert refused is None or int(refused.group(1)) <= int(selected.group(1)) // 4, summary
    # The access log's status follows the quoted request line (a bare " 500 " may be a body's size).
    assert re.search(r'" 5\d\d \d', server.log()) is None, server.log()[-2000:]
