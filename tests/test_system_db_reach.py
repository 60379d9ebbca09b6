"""No data service reaches the platform's own database, configuration or code (issue 12, High).

Every spelling is tried twice: through the admin API (refused with a 400 naming the field) and as a
service row written straight into the system database, as if it had been saved before the check existed
(refused with a 403 when the connection is opened). Either way no request reads a system table.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from bastion.data.target_files import SystemTargets
from bastion.data.target_guard import TargetRefused, judge_connection
from bastion.db import session_scope
from bastion.models import Service
from bastion.services import save
from tests.conftest import login, make_app
from tests.databases import scratch_database

SERVICES = "/api/v2/system/service"
PACKAGE = Path(__file__).resolve().parents[1] / "backend" / "bastion"


def warm_pools(client, admin, headers) -> None:
    """Log in and make requests, so that the system database has pooled connections (descriptors)."""
    for _ in range(4):
        assert login(client, admin["email"], admin["password"]).status_code == 200
        assert client.get(SERVICES, headers=headers).status_code == 200


def sqlite_config(path, **extra) -> dict:
    return {"engine": "sqlite", "database": str(path), **extra}


def insert_unchecked(app, name: str, config: dict) -> None:
    """Write a service row without the API's checks, as an older version may have saved it."""
    with app.app_context(), session_scope() as db:
        save(db, Service(name=name, config={"max_records": 1000, **config}), "services")


def assert_refused_at_save(client, headers, config, fields=("config.database",)) -> None:
    """Creating the service is a 400 naming one of the fields, and no service exists afterwards."""
    response = client.post(SERVICES, json={"name": "probe", "config": config}, headers=headers)
    assert response.status_code == 400, (config, response.get_json())
    errors = response.get_json()["error"]["context"]["errors"]
    assert set(errors) & set(fields), (config, errors)
    assert "probe" not in [s["name"] for s in client.get(SERVICES, headers=headers).get_json()["resource"]]


def assert_refused_at_test(client, headers, service_id, config, fields=("config.database",)) -> None:
    """Testing a saved service with this config edited in is a 400 naming one of the fields."""
    url = f"{SERVICES}/{service_id}/test"
    response = client.post(url, json={"config": config}, headers=headers)
    assert response.status_code == 400, (config, response.get_json())
    assert set(response.get_json()["error"]["context"]["errors"]) & set(fields), (config, response.get_json())


def anchor_service(client, headers, path) -> int:
    """A harmless SQLite service whose connection test is then tried with edited configs."""
    body = {"name": "anchor", "config": sqlite_config(path)}
    response = client.post(SERVICES, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def assert_no_read(client, headers, name, admin, allowed=(403,)) -> None:
    """Reading the system's user table through the service is refused and shows nothing of it."""
    response = client.get(f"/api/v2/{name}/_table/user?fields=email,password_hash", headers=headers)
    assert response.status_code in allowed, (name, response.status_code, response.get_json())
    assert admin["email"] not in response.get_data(as_text=True)
    assert "error" in response.get_json()


def system_file(system_db_url: str) -> Path:
    return Path(system_db_url.split("///", 1)[1])


@pytest.fixture
def sqlite_system(system_db_url):
    if not system_db_url.startswith("sqlite"):
        pytest.skip("the system database is a file only on SQLite")
    return system_file(system_db_url)


@pytest.fixture
def data_file(tmp_path) -> Path:
    path = tmp_path / "data" / "hr.db"
    path.parent.mkdir()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(sa.text("INSERT INTO staff (name) VALUES ('Ada')"))
    engine.dispose()
    return path


def descriptor_paths() -> list[str]:
    pid = os.getpid()
    spellings = ("/proc/self/fd/{n}", "/dev/fd/{n}", f"/proc/{pid}/fd/{{n}}", "/proc/thread-self/fd/{n}")
    return [spelling.format(n=n) for n in range(65) for spelling in spellings]


def test_no_descriptor_reaches_the_system_database(app, client, admin, admin_headers, data_file):
    warm_pools(client, admin, admin_headers)
    anchor = anchor_service(client, admin_headers, data_file)
    for path in descriptor_paths():
        assert_refused_at_save(client, admin_headers, sqlite_config(path))
        assert_refused_at_test(client, admin_headers, anchor, sqlite_config(path))
    for n in range(65):
        insert_unchecked(app, f"fd{n}", sqlite_config(f"/proc/self/fd/{n}"))
        insert_unchecked(app, f"devfd{n}", sqlite_config(f"/dev/fd/{n}"))
    for n in range(65):
        # A number that is no file at all cannot be opened (503); every other one is refused (403).
        assert_no_read(client, admin_headers, f"fd{n}", admin, allowed=(403, 503))
        assert_no_read(client, admin_headers, f"devfd{n}", admin, allowed=(403, 503))


def sqlite_spellings(system: Path, tmp_path: Path, instance: Path) -> list[str]:
    """Paths that all lead to the system database file, its companions or the platform's own files."""
    links = tmp_path / "links"
    links.mkdir()
    (links / "direct").symlink_to(system)
    (links / "chain").symlink_to(links / "direct")
    (links / "dir").symlink_to(system.parent)
    (links / "proc").symlink_to("/proc/self/root")
    os.link(system, links / "hard")
    return [
        str(system),
        f"{system.parent}/./{system.name}",
        f"{system.parent}/../{system.parent.name}/{system.name}",
        f"/{system}",
        f"//{system}",
        str(links / "direct"),
        str(links / "chain"),
        str(links / "dir" / system.name),
        f"{links / 'proc'}{system}",
        str(links / "hard"),
        f"/proc/self/root{system}",
        f"/proc/{os.getpid()}/root{system}",
        f"/proc/self/cwd/{os.path.relpath(system, os.getcwd())}",
        f"file:{system}",
        f"file://{system}",
        f"file:{system}?mode=ro",
        f"{system}?vfs=unix-none",
        f"{system}-wal",
        f"{system}-shm",
        f"{system}-journal",
        str(instance / ".env"),
        str(PACKAGE / "__init__.py"),
        str(PACKAGE / "migrations" / "env.py"),
        str(PACKAGE),
        "/sys/kernel/mm/transparent_hugepage/enabled",
        "/dev/null",
        "/dev/zero",
    ]


def test_no_spelling_reaches_the_system_database_file(
    app, client, admin, admin_headers, sqlite_system, tmp_path, data_file
):
    (tmp_path / ".env").write_text("APP_KEY=not-for-services\n")
    warm_pools(client, admin, admin_headers)
    anchor = anchor_service(client, admin_headers, data_file)
    spellings = sqlite_spellings(sqlite_system, tmp_path, tmp_path)
    for path in spellings:
        assert_refused_at_save(client, admin_headers, sqlite_config(path))
        assert_refused_at_test(client, admin_headers, anchor, sqlite_config(path))
    for index, path in enumerate(spellings):
        insert_unchecked(app, f"spelling{index}", sqlite_config(path))
    for index, _path in enumerate(spellings):
        assert_no_read(client, admin_headers, f"spelling{index}", admin, allowed=(403, 503))


@pytest.mark.parametrize(
    "options",
    [
        {"vfs": "unix-none"},
        {"mode": "memory"},
        {"mode": "ro"},
        {"immutable": "1"},
        {"cache": "shared"},
        {"nolock": "1"},
        {"uri": "true"},
        {"modeof": "/etc/passwd"},
        {"file:/tmp/x.db?a": "1"},
        {"detect_types": "3"},
    ],
)
def test_sqlite_uri_parameters_in_options_are_refused(app, client, admin, admin_headers, data_file, options):
    assert_refused_at_save(
        client, admin_headers, sqlite_config(data_file, options=options), ("config.options",)
    )
    anchor = anchor_service(client, admin_headers, data_file)
    assert_refused_at_test(client, admin_headers, anchor, {"options": options}, ("config.options",))
    insert_unchecked(app, "opts", sqlite_config(data_file, options=options))
    response = client.get("/api/v2/opts/_table/staff", headers=admin_headers)
    assert response.status_code == 403, response.get_json()
    assert "options" in response.get_json()["error"]["message"]


def test_data_files_stay_allowed_in_the_instance_folder_and_elsewhere(
    client, admin_headers, data_file, tmp_path
):
    demo = tmp_path / "demo.db"
    demo.write_bytes(data_file.read_bytes())
    for name, path in (("demo", demo), ("hr", data_file)):
        body = {"name": name, "config": sqlite_config(path, options={"timeout": "3"})}
        assert client.post(SERVICES, json=body, headers=admin_headers).status_code == 201
        rows = client.get(f"/api/v2/{name}/_table/staff", headers=admin_headers).get_json()["resource"]
        assert rows == [{"id": 1, "name": "Ada"}]


def _new_worker(app, _service_id: int) -> None:
    """A new worker (or a changed service) builds its engine afresh."""
    app.extensions["bastion.engines"].dispose_all()


def _new_connection(app, service_id: int) -> None:
    """The same engine opens a new DBAPI connection (pool growth, recycling, a dropped connection)."""
    engine = app.extensions["bastion.engines"].get(service_id, 0, dict)
    engine.dispose()


@pytest.mark.parametrize("reopen", [_new_worker, _new_connection])
@pytest.mark.parametrize("link", [os.symlink, os.link])
def test_a_file_replaced_by_a_link_to_the_system_database_is_refused_at_connect(
    app, client, admin, admin_headers, sqlite_system, data_file, link, reopen
):
    body = {"name": "hr", "config": sqlite_config(data_file)}
    service_id = client.post(SERVICES, json=body, headers=admin_headers).get_json()["id"]
    assert client.get("/api/v2/hr/_table/staff", headers=admin_headers).status_code == 200
    data_file.unlink()
    link(sqlite_system, data_file)
    reopen(app, service_id)
    app.extensions["bastion.schemas"].refresh()
    assert_no_read(client, admin_headers, "hr", admin)
    message = client.get("/api/v2/hr/_table/staff", headers=admin_headers).get_json()["error"]["message"]
    assert "Service 'hr'" in message and "system database" in message
    test = client.post(f"{SERVICES}/{service_id}/test", headers=admin_headers)
    assert test.status_code == 400 and "system database" in test.get_json()["error"]["message"]


def test_the_file_sqlite_really_holds_is_judged_not_only_its_name(app, sqlite_system, data_file):
    # What a swap between the path check and SQLite's open would leave: a connection to the system
    # database under a harmless name. The connection's own report of its file decides.
    targets = SystemTargets.from_settings(app.config["SETTINGS"])
    for held, reason in ((sqlite_system, "changed while it was being opened"), (data_file, None)):
        connection = sqlite3.connect(held)
        try:
            if reason is None:
                judge_connection(connection, sqlite_config(data_file), targets, None)
            else:
                with pytest.raises(TargetRefused, match=reason):
                    judge_connection(connection, sqlite_config(data_file), targets, None)
        finally:
            connection.close()


def _service_id(client, headers, name) -> int:
    services = client.get(SERVICES, headers=headers).get_json()["resource"]
    return next(s["id"] for s in services if s["name"] == name)


def test_an_edited_config_to_test_is_judged_too(client, admin_headers, data_file, tmp_path):
    body = {"name": "hr", "config": sqlite_config(data_file)}
    service_id = client.post(SERVICES, json=body, headers=admin_headers).get_json()["id"]
    url = f"{SERVICES}/{service_id}/test"
    for path in ("/proc/self/fd/3", "/dev/fd/4", str(PACKAGE / "__init__.py")):
        response = client.post(url, json={"config": {"database": path}}, headers=admin_headers)
        assert response.status_code == 400
        assert "config.database" in response.get_json()["error"]["context"]["errors"]
    assert client.post(url, headers=admin_headers).status_code == 200
    response = client.post(url, json={"config": {"database": str(data_file)}}, headers=admin_headers)
    assert response.status_code == 200
    assert client.post(url, json={"name": "x"}, headers=admin_headers).status_code == 400


# Network system databases: the same server and database under every spelling.


def _server_spellings(engine: str) -> list[str | None]:
    hosts = [
        "localhost",
        "LOCALHOST",
        "localhost.",
        "127.0.0.1",
        "127.1",
        "127.0.0.2",
        "2130706433",
        "0x7f000001",
        "0.0.0.0",  # noqa: S104 (a spelling of this host, not a bind)
        "0",
        "::1",
        "[::1]",
        "::ffff:127.0.0.1",
        "[::ffff:127.0.0.1]",
        "::",
        socket.gethostname(),
    ]
    if engine == "postgresql":
        hosts += ["/var/run/postgresql", "/tmp"]
    return hosts


@pytest.fixture
def network_system(system_db_url):
    url = sa.engine.make_url(system_db_url)
    if url.get_backend_name() == "sqlite":
        pytest.skip("the system database is on a server only for PostgreSQL and MariaDB")
    return url


def _network_config(url: sa.URL, **overrides) -> dict:
    config = {
        "engine": url.get_backend_name(),
        "host": url.host,
        "port": url.port,
        "database": url.database,
        "username": url.username,
    }
    return {**config, **overrides}


def test_no_host_spelling_reaches_the_system_database(
    app, client, admin, admin_headers, network_system, data_file
):
    warm_pools(client, admin, admin_headers)
    anchor = anchor_service(client, admin_headers, data_file)
    default_port = {"postgresql": 5432, "mysql": 3306}[network_system.get_backend_name()]
    configs = [
        _network_config(network_system, host=host, port=port, database=database)
        for host in _server_spellings(network_system.get_backend_name())
        for port in (None, default_port, str(default_port))
        for database in (network_system.database, network_system.database.upper())
    ]
    for config in configs:
        assert_refused_at_save(client, admin_headers, config)
        assert_refused_at_test(client, admin_headers, anchor, config)
    for index, config in enumerate(configs):
        insert_unchecked(app, f"host{index}", config)
        assert_no_read(client, admin_headers, f"host{index}", admin, allowed=(403, 503))
    insert_unchecked(app, "plain", _network_config(network_system))
    assert_no_read(client, admin_headers, "plain", admin)
    message = client.get("/api/v2/plain/_table/user", headers=admin_headers).get_json()["error"]["message"]
    assert message.startswith("Service 'plain' cannot be used: database is the platform's own system")


class Forwarder:
    """A TCP forwarder on 127.0.0.1 to another address: a proxy that no name or port can reveal."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client = self.server.accept()[0]
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def close(self) -> None:
        self.server.close()


def test_the_server_itself_says_when_it_is_the_system_database(
    app, client, admin, admin_headers, network_system
):
    # Through a forwarder on another port, the config names no known spelling of the system database:
    # saving is allowed, but the connection test and every connection are refused by the server's answer.
    forwarder = Forwarder(network_system.host, network_system.port)
    try:
        config = _network_config(network_system, host="127.0.0.1", port=forwarder.port)
        created = client.post(SERVICES, json={"name": "proxied", "config": config}, headers=admin_headers)
        assert created.status_code == 201, created.get_json()
        test = client.post(f"{SERVICES}/{created.get_json()['id']}/test", headers=admin_headers)
        assert test.status_code == 400
        assert_no_read(client, admin_headers, "proxied", admin)
        message = client.get("/api/v2/proxied/_table/user", headers=admin_headers).get_json()["error"][
            "message"
        ]
        assert message == "Service 'proxied' points at the platform's own database (its server says so)"
    finally:
        app.extensions["bastion.engines"].dispose_all()
        forwarder.close()


def _redirecting_options(url: sa.URL) -> list[dict]:
    system = url.database
    if url.get_backend_name() == "postgresql":
        return [
            {"host": "127.0.0.1"},
            {"hostaddr": "127.0.0.1"},
            {"dbname": system},
            {"service": "system"},
            {"port": "5432"},
            {"user": "postgres"},
            {"options": "-c search_path=public"},
            {"passfile": "/root/.pgpass"},
            {"sslkey": "/etc/ssl/private/key.pem"},
            {"target_session_attrs": "any", "host": "127.0.0.1"},
        ]
    return [
        {"unix_socket": "/run/mysqld/mysqld.sock"},
        {"database": system},
        {"db": system},
        {"host": "127.0.0.1"},
        {"port": "3306"},
        {"init_command": f"USE {system}"},
        {"read_default_file": "/etc/mysql/my.cnf"},
        {"read_default_group": "client"},
        {"local_infile": "1"},
        {"client_flag": "128"},
        {"bind_address": "127.0.0.1"},
    ]


def test_options_cannot_redirect_a_service_to_the_system_database(
    app, client, admin, admin_headers, network_system, tmp_path, data_file
):
    engine = network_system.get_backend_name()
    anchor = anchor_service(client, admin_headers, data_file)
    with scratch_database(engine, str(tmp_path)) as other_url:
        other = sa.engine.make_url(other_url)
        for index, options in enumerate(_redirecting_options(network_system)):
            config = _network_config(other, options=options)
            assert_refused_at_save(client, admin_headers, config, ("config.options",))
            assert_refused_at_test(client, admin_headers, anchor, config, ("config.options",))
            insert_unchecked(app, f"opt{index}", config)
            # An option the driver itself cannot use (an unknown service name) fails before the check.
            assert_no_read(client, admin_headers, f"opt{index}", admin, allowed=(403, 503))


@pytest.mark.parametrize(
    "change",
    [
        {"host": "203.0.113.9,127.0.0.1"},
        {"host": "127.0.0.1 port=5432"},
        {"database": "dbname=x host=127.0.0.1"},
        {"database": "postgresql://127.0.0.1/x"},
    ],
)
def test_hosts_and_databases_are_single_plain_values(client, admin_headers, network_system, change):
    field = f"config.{next(iter(change))}"
    assert_refused_at_save(client, admin_headers, _network_config(network_system, **change), (field,))


SAFE_NETWORK_OPTIONS = {
    "postgresql": {"connect_timeout": "3", "sslmode": "prefer", "application_name": "bastion-test"},
    "mysql": {"connect_timeout": "3", "charset": "utf8mb4", "read_timeout": "10"},
}


def test_another_database_on_the_same_server_stays_allowed(client, admin_headers, network_system, tmp_path):
    engine = network_system.get_backend_name()
    with scratch_database(engine, str(tmp_path)) as other_url:
        other = sa.engine.make_url(other_url)
        sa_engine = sa.create_engine(other_url)
        with sa_engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE staff (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
            conn.execute(sa.text("INSERT INTO staff (id, name) VALUES (1, 'Ada')"))
        sa_engine.dispose()
        for index, host in enumerate(("localhost", "127.0.0.1")):
            config = _network_config(other, host=host, options=SAFE_NETWORK_OPTIONS[engine])
            body = {"name": f"other{index}", "config": config}
            created = client.post(SERVICES, json=body, headers=admin_headers)
            assert created.status_code == 201, created.get_json()
            response = client.get(f"/api/v2/other{index}/_table/staff", headers=admin_headers)
            assert response.get_json()["resource"] == [{"id": 1, "name": "Ada"}]
            assert (
                client.delete(f"{SERVICES}/{created.get_json()['id']}", headers=admin_headers).status_code
                == 200
            )


# SQLITE_ROOTS


@pytest.fixture
def rooted_app(system_db_url, tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    (tmp_path / "more").mkdir()
    application = make_app(
        system_db_url, str(tmp_path / "instance"), SQLITE_ROOTS=f" {root} , {tmp_path / 'more'}"
    )
    yield application, root
    application.extensions["bastion.engines"].dispose_all()
    from tests.conftest import _empty_tables

    _empty_tables(application.extensions["bastion.db"])
    application.extensions["bastion.db"].dispose()


def test_sqlite_roots_confine_sqlite_services(rooted_app, data_file, tmp_path):
    application, root = rooted_app
    from tests.conftest import create_admin_user

    admin = create_admin_user(application)
    client = application.test_client()
    token = login(client, admin["email"], admin["password"]).get_json()["session_token"]
    headers = {"Authorization": f"Bearer {token}"}
    inside = root / "hr.db"
    inside.write_bytes(data_file.read_bytes())
    (root / "escape.db").symlink_to(data_file)
    assert (
        client.post(
            SERVICES, json={"name": "in", "config": sqlite_config(inside)}, headers=headers
        ).status_code
        == 201
    )
    for path in (data_file, root / "escape.db", f"{root}/../data/hr.db"):
        response = client.post(SERVICES, json={"name": "out", "config": sqlite_config(path)}, headers=headers)
        assert response.status_code == 400
        assert "SQLITE_ROOTS" in response.get_json()["error"]["context"]["errors"]["config.database"]
    insert_unchecked(application, "outside", sqlite_config(data_file))
    response = client.get("/api/v2/outside/_table/staff", headers=headers)
    assert response.status_code == 403 and "SQLITE_ROOTS" in response.get_json()["error"]["message"]
    assert client.get("/api/v2/in/_table/staff", headers=headers).status_code == 200


@pytest.mark.parametrize("value", ["relative/dir", "/no/such/dir", "/etc/passwd"])
def test_sqlite_roots_must_be_existing_absolute_directories(value, tmp_path):
    from bastion.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="SQLITE_ROOTS"):
        load_settings({"APP_ENV": "local", "BASTION_INSTANCE": str(tmp_path), "SQLITE_ROOTS": value})


def test_a_link_that_vanishes_while_it_is_followed_is_a_refusal_not_a_crash(monkeypatch, tmp_path):
    # /proc/self/fd/N of a socket another thread closes: readlink fails between lstat and the read.
    from bastion.data import target_files

    def vanished(_path, *args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(target_files.os.path, "realpath", vanished)
    assert target_files.path_problem("/proc/self/fd/10", None) == "must not be under /proc, /dev or /sys"
    assert target_files.path_problem(str(tmp_path / "link.db"), None) == (
        "cannot be checked (No such file or directory)"
    )
