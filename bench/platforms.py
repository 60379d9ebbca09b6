"""The three servers of the benchmark, each on the same SQLite file and the same gunicorn settings.

- bastion: the platform (bastion.wsgi:app), set up through its CLI and API like a real deployment:
  `bastion init`, `bastion create-admin --password-stdin`, admin login, POST /api/v2/system/service.
- bastion_key: the same, but requests take the full security path of a real client: an app key whose
  role grants GET on employees with a row filter and a column list (and GET on the two tables the related
  scenario reads), and an Origin a CORS rule admits.
- bare: bench/bare_app.py, Flask + sqlite3 (or psycopg, for the PostgreSQL suite) with no auth, the floor.
- sandman2: sandman2 1.2.3 from PyPI in its own venv (it needs Flask 2.0), via bench/sandman2_app.py.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import servers
from servers import Server

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SANDMAN2_VENV = BENCH / ".venv-sandman2"
# sandman2 1.2.3 starts only with these (TOOLCHAIN.md); it pins SQLAlchemy 1.3.3 itself. Its gunicorn is
# the very version serving Bastion, so the three servers differ only in the application.
SANDMAN2_PINS = (
    "sandman2==1.2.3",
    "Flask==2.0.3",
    "Werkzeug==2.0.3",
    "Flask-Admin==1.6.1",
    f"gunicorn=={metadata.version('gunicorn')}",
)
SERVICE = "bench"
ADMIN_EMAIL = "bench@example.com"
ORIGIN = "https://app.example.com"
# Every column, so the answers match the other servers' byte for byte in records; the row filter keeps
# every row (ids are positive), so it costs its SQL condition without changing the answer.
EMPLOYEE_COLUMNS = [
    *("id", "first_name", "last_name", "email"),
    *("department_id", "hired_on", "salary", "is_active"),
]


def base_env(workers: int) -> dict[str, str]:
    """This process's environment without any Bastion setting, plus the shared worker count."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE_URL", "BASTION_"))}
    env["BASTION_WORKERS"] = str(workers)
    return env


def start_bastion(
    workdir: Path,
    db_path: Path | None,
    workers: int,
    config: dict | None = None,
    extra_env: dict[str, str] | None = None,
) -> Server:
    """Initialise an instance, create an admin, start gunicorn, log in and register the data service
    (the SQLite file, or the database `config` describes; none without either); extra_env adds settings
    (HTTP_SERVICES_ALLOWED_NETWORKS, say)."""
    instance = workdir / "bastion-instance"
    instance.mkdir()
    password = secrets.token_urlsafe(18)
    env = base_env(workers)
    env.update(
        BASTION_INSTANCE=str(instance),
        APP_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        REQUIRE_HTTPS="false",
    )
    env.update(extra_env or {})
    bastion = [str(BIN / "bastion")]
    _run([*bastion, "init"], env)
    admin = ["create-admin", "--email", ADMIN_EMAIL, "--name", "Bench", "--password-stdin"]
    _run([*bastion, *admin], env, stdin=password + "\n")
    port = servers.free_port()
    command = servers.gunicorn_command(BIN / "gunicorn", port, "bastion.wsgi:app")
    server = servers.start(
        "bastion", command, env, instance, workdir / "bastion.log", "/api/v2/system/environment"
    )
    try:
        token = _login(server, password)
        server.headers = server.admin_headers = {"Authorization": f"Bearer {token}"}
        if config is None and db_path is not None:
            config = {"engine": "sqlite", "database": str(db_path), "max_records": 1000}
        if config is not None:
            _create_service(server, config)
    except BaseException:
        servers.stop(server)
        raise
    return server


def start_bastion_key(workdir: Path, db_path: Path, workers: int) -> Server:
    """Bastion as a real client meets it: app key -> role (GET, row filter, columns), Origin under CORS."""
    instance = workdir / "key"
    instance.mkdir()
    server = start_bastion(instance, db_path, workers)
    server.name = "bastion_key"
    try:
        entry = {
            "service": SERVICE,
            "component": "_table/employees",
            "verbs": ["GET"],
            "filters": [{"name": "id", "operator": ">", "value": 0}],
            "fields": EMPLOYEE_COLUMNS,
        }
        # The related scenario reads the two related tables too: GET on them, every column, no row filter.
        related = [
            {"service": SERVICE, "component": f"_table/{table}", "verbs": ["GET"]}
            for table in ("departments", "assignments")
        ]
        role = _post(server, "/api/v2/system/role", {"name": "bench-reader", "access": [entry, *related]})
        app = _post(server, "/api/v2/system/app", {"name": "bench-client", "role_id": role["id"]})
        _post(server, "/api/v2/system/cors", {"path": f"/api/v2/{SERVICE}/*", "origins": [ORIGIN]})
    except BaseException:
        servers.stop(server)
        raise
    server.headers = {"X-Api-Key": app["api_key"], "Origin": ORIGIN}
    return server


def _post(server: Server, path: str, body: dict) -> dict:
    status, answer = servers.http_json("POST", server.url + path, body, server.headers)
    if status != 201:
        raise RuntimeError(f"POST {path} answered {status}: {answer}")
    return answer


def _run(command: list[str], env: dict, stdin: str | None = None) -> None:
    result = subprocess.run(command, env=env, input=stdin, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed:\n{result.stdout}{result.stderr}")


def _login(server: Server, password: str) -> str:
    body = {"email": ADMIN_EMAIL, "password": password}
    status, answer = servers.http_json("POST", server.url + "/api/v2/system/admin/session", body)
    if status != 200:
        raise RuntimeError(f"admin login answered {status}: {answer}")
    return answer["session_token"]


def _create_service(server: Server, config: dict) -> None:
    _post(server, "/api/v2/system/service", {"name": SERVICE, "label": "Benchmark", "config": config})


def start_bare(workdir: Path, db_path: Path, workers: int, pg_url: str | None = None) -> Server:
    """The bare Flask + sqlite3 handler (psycopg with pg_url) under the same gunicorn settings."""
    env = base_env(workers) | ({"BENCH_PG": pg_url} if pg_url else {"BENCH_DB": str(db_path)})
    port = servers.free_port()
    command = servers.gunicorn_command(BIN / "gunicorn", port, "bare_app:app", pythonpath=BENCH)
    return servers.start("bare", command, env, workdir, workdir / "bare.log", "/employees/1")


def start_sandman2(workdir: Path, db_path: Path, workers: int) -> Server:
    """sandman2 from its own venv under the same gunicorn settings."""
    venv = ensure_sandman2_venv()
    env = base_env(workers) | {"BENCH_DB": str(db_path)}
    port = servers.free_port()
    # The repo config imports bastion, which sandman2's venv lacks: give it the same values as plain ones.
    config = servers.config_snapshot(env, workdir / "gunicorn-sandman2.conf.py")
    gunicorn = venv / "bin" / "gunicorn"
    command = servers.gunicorn_command(gunicorn, port, "sandman2_app:app", pythonpath=BENCH, config=config)
    return servers.start("sandman2", command, env, workdir, workdir / "sandman2.log", "/employees/1")


def ensure_sandman2_venv() -> Path:
    """bench/.venv-sandman2 with the pinned packages, built (or rebuilt when the pins change) on demand."""
    stamp = SANDMAN2_VENV / ".pins"
    wanted = "\n".join(SANDMAN2_PINS)
    if stamp.exists() and stamp.read_text() == wanted:
        return SANDMAN2_VENV
    print(f"Building {SANDMAN2_VENV.relative_to(BENCH.parent)} ({', '.join(SANDMAN2_PINS)}) ...", flush=True)
    shutil.rmtree(SANDMAN2_VENV, ignore_errors=True)
    python = shutil.which("python3.11") or sys.executable
    subprocess.run([python, "-m", "venv", str(SANDMAN2_VENV)], check=True, timeout=120)
    pip = [
        str(SANDMAN2_VENV / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    subprocess.run([*pip, *SANDMAN2_PINS], check=True, timeout=600)
    stamp.write_text(wanted)
    return SANDMAN2_VENV
