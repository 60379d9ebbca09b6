"""The advisor asks each SQL service's database about its own account: real PostgreSQL and MariaDB
accounts, over- and under-privileged, made per test with unique names and dropped after; SQLite files."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import make_app
from tests.databases import MYSQL_ADMIN_URL, PG_ADMIN_URL, scratch_database
from tests.test_advisor import HR, findings, post


@pytest.fixture
def system_db_url(sqlite_system_db_url):
    """A SQLite system database: the services under test live on the PostgreSQL and MariaDB servers."""
    return sqlite_system_db_url


def service_findings(client, headers, service_id: int) -> dict[str, dict]:
    """The findings about one service, by code."""
    return {
        f["code"]: f
        for f in findings(client, headers).values()
        if any(e["type"] == "service" and e["id"] == service_id for e in f["evidence"])
    }


def run(engine: sa.Engine, *statements: str) -> None:
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


# PostgreSQL


@pytest.fixture
def pg(app, tmp_path):
    """A scratch database with tables items and secret (owned by postgres), and a login role without
    privileges; yields (database, role, password, admin engine on the database)."""
    role, password = "bastion_adv_" + uuid.uuid4().hex[:10], uuid.uuid4().hex
    server = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    run(server, f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    try:
        with scratch_database("postgresql", str(tmp_path)) as url:
            admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            run(admin, "CREATE TABLE items (id int PRIMARY KEY)", "CREATE TABLE secret (id int PRIMARY KEY)")
            yield sa.make_url(url).database, role, password, admin
            app.extensions["bastion.engines"].dispose_all()
            run(admin, f"REASSIGN OWNED BY {role} TO postgres", f"DROP OWNED BY {role}")
            admin.dispose()
    finally:
        run(server, f"DROP ROLE IF EXISTS {role}")
        server.dispose()


def add_service(client, headers, engine: str, port: int, database: str, user: str, password: str) -> int:
    config = {"engine": engine, "host": "127.0.0.1", "port": port, "database": database}
    body = {"name": "db" + uuid.uuid4().hex[:6], "config": config | {"username": user, "password": password}}
    return post(client, headers, "service", body)["id"]


def add_role(client, headers, service_id: int, access: list[dict]) -> None:
    name = client.get(f"/api/v2/system/service/{service_id}", headers=headers).get_json()["name"]
    post(
        client,
        headers,
        "role",
        {"name": "r" + uuid.uuid4().hex[:6], "access": [e | {"service": name} for e in access]},
    )


def test_pg_superuser_and_its_fix(client, admin_headers, pg):
    database, role, password, admin = pg
    run(admin, f"ALTER ROLE {role} SUPERUSER")
    service = add_service(client, admin_headers, "postgresql", 5432, database, role, password)
    found = service_findings(client, admin_headers, service)
    assert found["db-superuser"]["severity"] == "high"
    assert f"ALTER ROLE {role} NOSUPERUSER;" in found["db-superuser"]["fix"]["text"]
    assert password not in str(found)
    run(admin, f"ALTER ROLE {role} NOSUPERUSER")
    assert "db-superuser" not in service_findings(client, admin_headers, service)


def test_pg_role_attributes_and_the_exact_fix(client, admin_headers, pg):
    database, role, password, admin = pg
    run(admin, f"ALTER ROLE {role} CREATEROLE CREATEDB")
    service = add_service(client, admin_headers, "postgresql", 5432, database, role, password)
    found = service_findings(client, admin_headers, service)["db-role-attributes"]
    assert found["fix"]["text"] == f"ALTER ROLE {role} NOCREATEROLE NOCREATEDB;"
    run(admin, found["fix"]["text"])
    assert service_findings(client, admin_headers, service) == {}


def test_pg_owner_of_the_tables(client, admin_headers, pg):
    database, role, password, admin = pg
    run(admin, f"ALTER TABLE items OWNER TO {role}")
    service = add_service(client, admin_headers, "postgresql", 5432, database, role, password)
    found = service_findings(client, admin_headers, service)["db-owner"]
    assert found["evidence"][0]["tables"] == ["items"]
    assert found["evidence"][0]["statements"] == ["ALTER TABLE public.items OWNER TO <owner role>;"]
    run(admin, "ALTER TABLE items OWNER TO postgres")
    assert "db-owner" not in service_findings(client, admin_headers, service)


def test_pg_privileges_no_role_exposes_or_writes(client, admin_headers, pg):
    database, role, password, admin = pg
    run(
        admin, f"GRANT SELECT ON secret TO {role}", f"GRANT SELECT, INSERT, UPDATE, DELETE ON items TO {role}"
    )
    service = add_service(client, admin_headers, "postgresql", 5432, database, role, password)
    add_role(client, admin_headers, service, [{"component": "_table/items", "verbs": ["GET", "POST"]}])
    found = service_findings(client, admin_headers, service)
    unexposed, writes = found["db-unexposed-privileges"], found["db-unneeded-write"]
    assert unexposed["evidence"][0]["statements"] == [f"REVOKE ALL ON TABLE public.secret FROM {role};"]
    assert writes["evidence"][0]["statements"] == [
        f"REVOKE UPDATE, DELETE ON TABLE public.items FROM {role};"
    ]
    run(admin, *unexposed["evidence"][0]["statements"], *writes["evidence"][0]["statements"])
    assert service_findings(client, admin_headers, service) == {}


def test_a_pg_account_with_just_what_the_roles_need_has_no_finding(client, admin_headers, pg):
    database, role, password, admin = pg
    run(admin, f"GRANT SELECT ON items TO {role}")
    service = add_service(client, admin_headers, "postgresql", 5432, database, role, password)
    add_role(client, admin_headers, service, [{"component": "_table/items", "verbs": ["GET"]}])
    assert service_findings(client, admin_headers, service) == {}


def test_an_unreachable_service_is_an_info_finding(client, admin_headers):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    service = add_service(client, admin_headers, "postgresql", port, "nothing", "nobody", "s3cret-pw")
    found = service_findings(client, admin_headers, service)
    assert list(found) == ["db-account-unchecked"] and found["db-account-unchecked"]["severity"] == "info"
    assert "s3cret-pw" not in str(found)


def test_a_server_that_never_answers_is_bounded_by_the_timeout(app, client, admin_headers):
    from bastion.advisor import live

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # the kernel accepts the connection; nobody ever answers the startup message
    try:
        service = add_service(client, admin_headers, "postgresql", silent.getsockname()[1], "x", "u", "p")
        with app.app_context():
            found = [f for f in live.findings(app, timeout=0.5) if f.key == f"service:{service}"]
        assert [(f.code, f.severity) for f in found] == [("db-account-unchecked", "info")]
        assert "no answer within 0.5 seconds" in found[0].message
    finally:
        silent.close()


# MariaDB


@pytest.fixture
def maria(app, tmp_path):
    """A scratch database with tables items and secret, another schema, and an account without privileges;
    yields (database, other schema, account, password, root engine)."""
    user, password = "adv_" + uuid.uuid4().hex[:10], uuid.uuid4().hex
    root = sa.create_engine(MYSQL_ADMIN_URL, isolation_level="AUTOCOMMIT")
    run(root, f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
    try:
        with (
            scratch_database("mysql", str(tmp_path)) as url,
            scratch_database("mysql", str(tmp_path)) as other,
        ):
            database = sa.make_url(url).database
            run(root, f"CREATE TABLE {database}.items (id int PRIMARY KEY)")
            yield database, sa.make_url(other).database, user, password, root
            app.extensions["bastion.engines"].dispose_all()
    finally:
        run(root, f"DROP USER IF EXISTS '{user}'@'%'")
        root.dispose()


def maria_service(client, headers, maria) -> int:
    database, _, user, password, _ = maria
    return add_service(client, headers, "mysql", 3306, database, user, password)


def fixes(found: dict, *codes: str) -> list[str]:
    """The REVOKE statements of some findings, each once, in order."""
    statements = [s for code in codes for s in found[code]["evidence"][0]["statements"]]
    return list(dict.fromkeys(statements))


def test_maria_all_privileges_on_everything_with_grant_option(client, admin_headers, maria):
    _, _, user, password, root = maria
    run(root, f"GRANT ALL PRIVILEGES ON *.* TO '{user}'@'%' WITH GRANT OPTION")
    service = maria_service(client, admin_headers, maria)
    found = service_findings(client, admin_headers, service)
    assert {"db-all-privileges", "db-grant-option", "db-global-grant"} <= set(found)
    assert all(
        found[c]["severity"] == "high" for c in ("db-all-privileges", "db-grant-option", "db-global-grant")
    )
    assert f"REVOKE GRANT OPTION ON *.* FROM `{user}`@`%`;" in found["db-grant-option"]["fix"]["text"]
    # SHOW GRANTS may carry the account's password hash: it never reaches a finding.
    with root.connect() as conn:
        hashed = conn.execute(sa.text(f"SHOW GRANTS FOR '{user}'@'%'")).scalars().all()
    assert password not in str(found) and not any(
        line.split("'")[-2] in str(found) for line in hashed if "PASSWORD '" in line
    )
    run(root, *fixes(found, "db-all-privileges", "db-grant-option"))
    assert service_findings(client, admin_headers, service) == {}


def test_maria_file_and_super(client, admin_headers, maria):
    _, _, user, _, root = maria
    run(root, f"GRANT FILE, SUPER ON *.* TO '{user}'@'%'", f"GRANT SELECT ON {maria[0]}.* TO '{user}'@'%'")
    service = maria_service(client, admin_headers, maria)
    found = service_findings(client, admin_headers, service)
    assert found["db-server-privileges"]["evidence"][0]["statements"] == [
        f"REVOKE FILE, SUPER ON *.* FROM `{user}`@`%`;"
    ]
    run(root, *fixes(found, "db-server-privileges"))
    assert service_findings(client, admin_headers, service) == {}


def test_maria_grants_on_another_schema(client, admin_headers, maria):
    database, other, user, _, root = maria
    run(
        root,
        f"GRANT SELECT ON {database}.* TO '{user}'@'%'",
        f"GRANT SELECT, DELETE ON {other}.* TO '{user}'@'%'",
    )
    service = maria_service(client, admin_headers, maria)
    found = service_findings(client, admin_headers, service)
    assert list(found) == ["db-other-schema"]
    assert fixes(found, "db-other-schema") == [f"REVOKE SELECT, DELETE ON `{other}`.* FROM `{user}`@`%`;"]
    run(root, *fixes(found, "db-other-schema"))
    assert service_findings(client, admin_headers, service) == {}


def test_maria_writes_where_no_role_writes(client, admin_headers, maria):
    database, _, user, _, root = maria
    run(root, f"GRANT SELECT, INSERT, DROP ON {database}.* TO '{user}'@'%'")
    service = maria_service(client, admin_headers, maria)
    add_role(client, admin_headers, service, [{"component": "_table/items", "verbs": ["GET"]}])
    found = service_findings(client, admin_headers, service)
    assert fixes(found, "db-unneeded-privileges") == [
        f"REVOKE INSERT, DROP ON `{database}`.* FROM `{user}`@`%`;"
    ]
    run(root, *fixes(found, "db-unneeded-privileges"))
    assert service_findings(client, admin_headers, service) == {}
    # A role that writes makes INSERT needed.
    run(root, f"GRANT INSERT ON {database}.* TO '{user}'@'%'")
    add_role(client, admin_headers, service, [{"component": "_table/items", "verbs": ["POST"]}])
    assert service_findings(client, admin_headers, service) == {}


# SQLite


def sqlite_service(client, headers, path) -> int:
    engine = sa.create_engine(f"sqlite:///{path}")
    run(engine, *HR)
    engine.dispose()
    return post(
        client, headers, "service", {"name": "hr", "config": {"engine": "sqlite", "database": str(path)}}
    )["id"]


def test_a_writable_sqlite_file_no_role_writes(client, admin_headers, tmp_path):
    path = tmp_path / "hr.db"
    service = sqlite_service(client, admin_headers, path)
    found = service_findings(client, admin_headers, service)
    assert f"chmod a-w {path}" in found["db-sqlite-writable"]["fix"]["text"]
    os.chmod(path, 0o444)
    assert service_findings(client, admin_headers, service) == {}
    os.chmod(path, 0o644)
    add_role(client, admin_headers, service, [{"component": "_table/employees", "verbs": ["PATCH"]}])
    assert service_findings(client, admin_headers, service) == {}


def test_a_sqlite_file_outside_the_roots(client, admin_headers, tmp_path, system_db_url):
    path = tmp_path / "data" / "hr.db"
    path.parent.mkdir()
    service = sqlite_service(client, admin_headers, path)
    os.chmod(path, 0o444)
    assert service_findings(client, admin_headers, service) == {}
    elsewhere = tmp_path / "srv"
    elsewhere.mkdir()
    # The same platform, restarted with roots that no longer hold the file.
    rooted = make_app(system_db_url, str(tmp_path / "instance2"), SQLITE_ROOTS=str(elsewhere))
    found = service_findings(rooted.test_client(), admin_headers, service)
    assert found["db-sqlite-outside-roots"]["severity"] == "high"
    rooted_ok = make_app(system_db_url, str(tmp_path / "instance3"), SQLITE_ROOTS=str(path.parent))
    assert service_findings(rooted_ok.test_client(), admin_headers, service) == {}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*B69027D44F6E5EDC07F1AEAD1477967B16F28'",
            (("USAGE",), "*.*", "`u`@`%`", False),
        ),
        (
            "GRANT SELECT (id, name), INSERT ON `hr`.`staff` TO `u`@`%` WITH GRANT OPTION",
            (("SELECT", "INSERT"), "`hr`.`staff`", "`u`@`%`", True),
        ),
        (
            "GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost'",
            (("ALL PRIVILEGES",), "*.*", "'root'@'localhost'", False),
        ),
        ("GRANT `reporting` TO `u`@`%`", None),
        ("GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION", None),
    ],
)
def test_grant_lines_are_read_without_what_follows_the_grantee(line, expected):
    from bastion.advisor.db_mysql import parse

    grant = parse(line)
    assert (grant and (grant.privileges, grant.obj, grant.who, grant.grant_option)) == expected


def test_a_missing_sqlite_file_stays_a_finding_until_it_is_there(client, admin_headers, tmp_path):
    path = tmp_path / "hr.db"
    created = client.post(
        "/api/v2/system/service",
        json={"name": "hr", "config": {"engine": "sqlite", "database": str(path)}},
        headers=admin_headers,
    ).get_json()
    found = service_findings(client, admin_headers, created["id"])
    assert list(found) == ["db-sqlite-unusable"] and found["db-sqlite-unusable"]["severity"] == "medium"
    # The sentence the save answered as a warning.
    assert created["warnings"][0]["message"] in found["db-sqlite-unusable"]["title"]
    engine = sa.create_engine(f"sqlite:///{path}")
    run(engine, *HR)
    engine.dispose()
    os.chmod(path, 0o444)
    assert service_findings(client, admin_headers, created["id"]) == {}
