"""An outsider's attack on a production-like platform (gunicorn, 2 workers; SQLite, PostgreSQL and MariaDB
system databases), one test per way around the access decision that the security review found (issue 12).

Every request opens a new connection, so the two workers take turns answering, as they would for an
attacker on the network.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.databases import scratch_database
from tests.live import LiveServer, start_server, stop_server

SECRET = "s3cret-" + uuid.uuid4().hex


@dataclass
class Target:
    """The platform under attack, its system database URL (None for SQLite) and an admin session."""

    server: LiveServer
    system_url: str | None
    tmp: Path
    admin: dict

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        """One request on a fresh connection."""
        return requests.request(method, self.server.url + path, timeout=30, **kwargs)

    def as_admin(self, method: str, path: str, **kwargs) -> requests.Response:
        """One request with the admin's session token."""
        return self.call(method, path, headers=self.admin, **kwargs)


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mysql"])
def target(request, tmp_path_factory):
    """A live platform on the given system database, with an admin signed in."""
    tmp = tmp_path_factory.mktemp(f"outsider-{request.param}")
    with contextlib.ExitStack() as stack:
        settings = {}
        system_url = None
        if request.param != "sqlite":
            system_url = stack.enter_context(scratch_database(request.param, str(tmp)))
            settings["DATABASE_URL"] = system_url
        server = start_server(tmp / "instance", **settings)
        stack.callback(stop_server, server)
        login = requests.post(
            server.url + "/api/v2/system/admin/session",
            json={"email": server.admin_email, "password": server.admin_password},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        yield Target(server, system_url, tmp, {"Authorization": f"Bearer {login.json()['session_token']}"})


def _sqlite_file(path: Path, *statements: str) -> Path:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()
    return path


def _create_service(target: Target, name: str, config: dict) -> requests.Response:
    return target.as_admin(
        "POST", "/api/v2/system/service", json={"name": name, "type": "sql", "config": config}
    )


def _service_names(target: Target) -> set[str]:
    listed = target.as_admin("GET", "/api/v2/system/service")
    assert listed.status_code == 200
    return {s["name"] for s in listed.json()["resource"]}


def _worker_pids(server: LiveServer) -> list[int]:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _file_spellings(target: Target) -> list[str]:
    """Every spelling of the platform's own files an attacker might try as a SQLite service."""
    instance = target.server.instance
    spellings = [f"/proc/self/fd/{n}" for n in range(65)]
    spellings += [f"/dev/fd/{n}" for n in range(0, 65, 4)]
    for pid in _worker_pids(target.server):
        spellings += [f"/proc/{pid}/fd/{n}" for n in range(0, 65, 4)]
    spellings += [
        str(instance / ".env"),
        "/proc/self/cwd/.env",
        f"/proc/self/root{instance}/.env",
        f"{instance}/../{instance.name}/.env",
        f"file:{instance}/.env",
        "/sys/kernel/notes",
        "/dev/zero",
    ]
    if target.system_url is None:
        system = instance / "bastion.db"
        link = target.tmp / "innocent.db"
        hard = target.tmp / "hard.db"
        with contextlib.suppress(FileExistsError):
            link.symlink_to(system)
        with contextlib.suppress(FileExistsError):
            os.link(system, hard)
        spellings += [
            str(system),
            f"{instance}//bastion.db",
            f"{instance}/./bastion.db",
            f"{instance}/../{instance.name}/bastion.db",
            "/proc/self/cwd/bastion.db",
            f"/proc/self/root{system}",
            f"file:{system}",
            f"file://{system}?mode=ro",
            f"{system}?mode=ro",
            str(link),
            str(hard),
        ]
    return spellings


def test_no_sqlite_spelling_reaches_the_platforms_own_files(target):
    # Warm the pools first: the review's descriptor trick needs a pooled system-database connection.
    for _ in range(6):
        target.call(
            "POST",
            "/api/v2/system/admin/session",
            json={"email": target.server.admin_email, "password": target.server.admin_password},
        )
        target.as_admin("GET", "/api/v2/system/service")
    before = _service_names(target)
    accepted = []
    for n, spelling in enumerate(_file_spellings(target)):
        answer = _create_service(target, f"probe{n}", {"engine": "sqlite", "database": spelling})
        if answer.status_code != 400:
            accepted.append((spelling, answer.status_code))
            for table in ("user", "admin", "session_token"):
                read = target.as_admin("GET", f"/api/v2/probe{n}/_table/{table}")
                assert read.status_code != 200, f"{spelling} served the system table {table}"
        else:
            assert answer.json()["error"]["context"]["errors"], answer.text
    assert accepted == []
    assert _service_names(target) == before


def test_options_cannot_redirect_a_sqlite_service(target):
    data = _sqlite_file(
        target.tmp / f"opts-{uuid.uuid4().hex[:6]}.db", "CREATE TABLE t (id INTEGER PRIMARY KEY)"
    )
    for options in ({"vfs": "unix-none"}, {"mode": "memory"}, {"immutable": "1"}, {"uri": "false"}):
        answer = _create_service(
            target,
            "opt" + uuid.uuid4().hex[:6],
            {"engine": "sqlite", "database": str(data), "options": options},
        )
        assert answer.status_code == 400, (options, answer.text)


def test_a_file_swapped_after_saving_is_refused_when_connecting(target):
    if target.system_url is not None:
        pytest.skip("the swap targets a SQLite system database file")
    data = _sqlite_file(
        target.tmp / "swap.db",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
        "INSERT INTO notes VALUES (1, 'x')",
    )
    created = _create_service(target, "swap", {"engine": "sqlite", "database": str(data)})
    assert created.status_code == 201, created.text
    assert target.as_admin("GET", "/api/v2/swap/_table/notes").status_code == 200
    data.unlink()
    os.link(target.server.instance / "bastion.db", data)
    # A config save makes every worker open new connections, as a pool recycle eventually would.
    patched = target.as_admin(
        "PATCH", f"/api/v2/system/service/{created.json()['id']}", json={"description": "after the swap"}
    )
    assert patched.status_code in (200, 400), patched.text
    for path in ("_table", "_table/user", "_table/admin", "_schema"):
        for _ in range(3):
            answer = target.as_admin("GET", f"/api/v2/swap/{path}?refresh=true")
            assert answer.status_code in (403, 404), (path, answer.status_code, answer.text[:300])
            assert "password_hash" not in answer.text


def _network_spellings(system_url: str) -> list[dict]:
    url = sa.engine.make_url(system_url)
    engine = url.get_backend_name()
    default_port = 5432 if engine == "postgresql" else 3306
    configs = []
    for host in ("localhost", "127.0.0.1", "127.1", "127.0.0.2", "::1", "[::1]", "0.0.0.0", "LOCALHOST"):  # noqa: S104
        for port in (None, default_port, str(default_port)):
            configs.append(
                {
                    "engine": engine,
                    "host": host,
                    "port": port,
                    "database": url.database,
                    "username": url.username,
                }
            )
    # The target hidden in the driver options, behind an innocent-looking database.
    innocent = {"engine": engine, "host": "127.0.0.1", "database": "test", "username": url.username}
    configs += [
        {**innocent, "options": {"dbname": url.database}},
        {**innocent, "options": {"database": url.database}},
        {**innocent, "options": {"host": "localhost", "dbname": url.database}},
        {**innocent, "options": {"service": "bastion"}},
        {**innocent, "options": {"options": f"-c search_path={url.database}"}},
    ]
    return configs


def test_no_network_spelling_reaches_the_system_database(target):
    if target.system_url is None:
        pytest.skip("the system database is a SQLite file here")
    for n, config in enumerate(_network_spellings(target.system_url)):
        answer = _create_service(target, f"net{n}", config)
        assert answer.status_code == 400, (config, answer.status_code, answer.text[:300])


@pytest.fixture
def hr(target):
    """A SQLite HR service with a salaries table, and an app whose role reads everything but salaries."""
    data = _sqlite_file(
        target.tmp / f"hr-{uuid.uuid4().hex[:6]}.db",
        "CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT, band TEXT, secret_note TEXT)",
        "CREATE TABLE salaries (id INTEGER PRIMARY KEY, employee_id INTEGER REFERENCES employees(id), "
        "amount INT)",
        "INSERT INTO employees VALUES (1, 'Ann', 'B', 'hush')",
        "INSERT INTO salaries VALUES (1, 1, 99000)",
    )
    name = "hr" + uuid.uuid4().hex[:6]
    assert _create_service(target, name, {"engine": "sqlite", "database": str(data)}).status_code == 201
    role = target.as_admin(
        "POST",
        "/api/v2/system/role",
        json={
            "name": "reader-" + name,
            "access": [
                {"service": None, "component": "*", "verbs": ["GET"]},
                {"service": name, "component": "_table/salaries", "verbs": []},
                {
                    "service": name,
                    "component": "_table/employees",
                    "verbs": ["GET"],
                    "fields": ["id", "name"],
                },
                {
                    "service": name,
                    "component": "_table/employees",
                    "verbs": ["POST"],
                    "fields": ["name", "band"],
                },
            ],
        },
    )
    assert role.status_code == 201, role.text
    app = target.as_admin(
        "POST", "/api/v2/system/app", json={"name": "app-" + name, "role_id": role.json()["id"]}
    )
    assert app.status_code == 201, app.text
    return name, {"X-Api-Key": app.json()["api_key"]}


def test_docs_schema_and_listings_show_only_what_the_role_grants(target, hr):
    service, key = hr
    assert target.call("GET", f"/api/v2/{service}/_table/salaries", headers=key).status_code == 403
    doc = target.call("GET", f"/api/v2/api_docs/{service}", headers=key)
    assert doc.status_code == 200, doc.text
    text = doc.text
    assert "salaries" not in text and "amount" not in text
    assert "secret_note" not in text, "a column outside every fields list was documented"
    schema = target.call("GET", f"/api/v2/{service}/_schema", headers=key)
    assert "salaries" not in schema.text and "amount" not in schema.text
    employees = target.call("GET", f"/api/v2/{service}/_schema/employees", headers=key)
    assert employees.status_code == 200
    assert "salaries" not in employees.text and "secret_note" not in employees.text
    tables = target.call("GET", f"/api/v2/{service}/_table", headers=key)
    assert "salaries" not in tables.text


def test_a_grant_on_one_table_does_not_cover_another_spelled_differently(target, tmp_path):
    with scratch_database("postgresql", str(tmp_path)) as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE items (id INT PRIMARY KEY, body TEXT)"))
            conn.execute(sa.text('CREATE TABLE "Items" (id INT PRIMARY KEY, body TEXT)'))
            conn.execute(sa.text("INSERT INTO items VALUES (1, 'public')"))
            conn.execute(sa.text("""INSERT INTO "Items" VALUES (1, 'private')"""))
        engine.dispose()
        parsed = sa.engine.make_url(url)
        name = "cases" + uuid.uuid4().hex[:6]
        config = {
            "engine": "postgresql",
            "host": parsed.host,
            "port": parsed.port,
            "database": parsed.database,
            "username": parsed.username,
        }
        service = _create_service(target, name, config)
        assert service.status_code == 201, service.text
        role = target.as_admin(
            "POST",
            "/api/v2/system/role",
            json={
                "name": "items-" + name,
                "access": [{"service": name, "component": "_table/items", "verbs": ["GET"]}],
            },
        )
        app = target.as_admin(
            "POST", "/api/v2/system/app", json={"name": "a-" + name, "role_id": role.json()["id"]}
        )
        key = {"X-Api-Key": app.json()["api_key"]}
        try:
            mine = target.call("GET", f"/api/v2/{name}/_table/items", headers=key)
            assert mine.status_code == 200 and mine.json()["resource"] == [{"id": 1, "body": "public"}]
            for spelling in ("Items", "ITEMS", "iTems", "%49tems"):
                other = target.call("GET", f"/api/v2/{name}/_table/{spelling}", headers=key)
                assert other.status_code in (403, 404), (spelling, other.text)
                assert "private" not in other.text
        finally:
            target.as_admin("DELETE", f"/api/v2/system/service/{service.json()['id']}")


class Listener:
    """A TCP listener on loopback that records every byte any client sends it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(1)
            with contextlib.suppress(OSError), conn:
                # Answer like a PostgreSQL server asking for a clear-text password, then record the reply.
                self.received += conn.recv(65536)
                conn.sendall(b"R\x00\x00\x00\x08\x00\x00\x00\x03")
                self.received += conn.recv(65536)

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        self._thread.join()
        self.sock.close()


def test_a_stored_password_is_never_sent_to_a_new_target(target, tmp_path):
    with scratch_database("postgresql", str(tmp_path)) as url:
        parsed = sa.engine.make_url(url)
        config = {
            "engine": "postgresql",
            "host": parsed.host,
            "port": parsed.port,
            "database": parsed.database,
            "username": parsed.username,
            "password": SECRET,
        }
        created = _create_service(target, "pw" + uuid.uuid4().hex[:6], config)
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        listener = Listener()
        try:
            moves = [
                {"host": "127.0.0.1", "port": listener.port, "password": "**********"},
                {"host": "127.0.0.1", "port": listener.port},
                {"port": listener.port},
                {"options": {"port": str(listener.port)}},
                {"options": {"host": "127.0.0.1", "port": str(listener.port)}},
            ]
            for move in moves:
                answer = target.as_admin("PATCH", f"/api/v2/system/service/{sid}", json={"config": move})
                if answer.status_code == 200:
                    target.as_admin("POST", f"/api/v2/system/service/{sid}/test")
                    target.as_admin("GET", f"/api/v2/{created.json()['name']}/_table")
                else:
                    assert answer.status_code == 400, (move, answer.text)
            assert SECRET.encode() not in listener.received
        finally:
            listener.close()
            target.as_admin("DELETE", f"/api/v2/system/service/{sid}")


def test_password_guessing_is_throttled_across_workers(target):
    email = f"victim-{uuid.uuid4().hex[:6]}@example.com"
    made = target.as_admin(
        "POST",
        "/api/v2/system/admin",
        json={"email": email, "name": "Victim", "password": "a long right password"},
    )
    assert made.status_code == 201, made.text
    statuses = []
    for attempt in range(8):
        answer = target.call(
            "POST",
            "/api/v2/system/admin/session",
            json={"email": email, "password": f"wrong guess {attempt}"},
        )
        statuses.append(answer.status_code)
        if attempt >= 5:
            assert answer.headers.get("Retry-After"), answer.headers
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3, statuses
