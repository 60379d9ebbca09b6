"""Faults of the databases behind data services: each answer is a 503/504 naming the service, never a 500.

A stopped database is a TCP proxy in front of the real server that the test closes (tests/tcp_proxy.py);
a locked SQLite file is another connection holding its write lock; a slow one is a view past the
service's query_timeout. The fault suite at the end runs a PostgreSQL cluster of its own
(tests/pg_cluster.py) behind gunicorn and stops, freezes and restarts it under load.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from bastion.access import FULL_GRANT
from bastion.bulkheads import Bulkheads
from bastion.data import dberrors, engines, records, timeouts
from bastion.data.params import BatchMode
from bastion.errors import ApiError
from tests.conftest import _empty_tables, make_app
from tests.databases import config_from_url, scratch_database
from tests.live import start_server, stop_server
from tests.pg_cluster import PgCluster, pg_bin
from tests.tcp_proxy import TcpProxy

NETWORK = ("postgresql", "mysql")


@pytest.fixture
def app(sqlite_system_db_url, tmp_path):
    """The platform on a SQLite system database: these faults are of the data services' databases."""
    application = make_app(sqlite_system_db_url, str(tmp_path))
    yield application
    application.extensions["bastion.engines"].dispose_all()
    _empty_tables(application.extensions["bastion.db"])
    application.extensions["bastion.db"].dispose()


@pytest.fixture(params=NETWORK)
def proxied_service(request, client, admin_headers, tmp_path):
    """A service 'notes' on PostgreSQL or MariaDB, reached through a proxy the test can stop."""
    with scratch_database(request.param, str(tmp_path)) as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(50))"))
            conn.execute(sa.text("INSERT INTO notes (id, body) VALUES (1, 'hello')"))
        engine.dispose()
        config = config_from_url(url)
        proxy = TcpProxy(config["port"]).start()
        config["port"] = proxy.port
        response = client.post(
            "/api/v2/system/service", json={"name": "notes", "config": config}, headers=admin_headers
        )
        assert response.status_code == 201, response.get_json()
        try:
            yield proxy
        finally:
            proxy.stop()
            client.application.extensions["bastion.engines"].dispose_all()


def assert_outage(response, code: int, service: str = "notes") -> dict:
    body = response.get_json()
    assert response.status_code == code, body
    assert f"service '{service}'" in body["error"]["message"]
    assert body["error"]["request_id"]
    return body


READS = (
    "/api/v2/notes/_table/notes",
    "/api/v2/notes/_table/notes/1",
    "/api/v2/notes/_table/notes?filter=id>0",
)


def test_a_stopped_database_answers_503_on_every_path_and_recovers(client, admin_headers, proxied_service):
    for _ in range(3):  # the third request of a shape runs a compiled read plan
        for path in READS:
            assert client.get(path, headers=admin_headers).status_code == 200
    proxied_service.stop()
    for _ in range(3):
        for path in READS:
            assert_outage(client.get(path, headers=admin_headers), 503)
        posted = client.post("/api/v2/notes/_table/notes", json={"id": 2, "body": "x"}, headers=admin_headers)
        assert_outage(posted, 503)
    proxied_service.start()
    for path in READS:
        assert client.get(path, headers=admin_headers).status_code == 200


@contextlib.contextmanager
def locked_notes_service(client, admin_headers, tmp_path):
    """A SQLite service 'locked' (query_timeout 1 s) whose file another connection holds exclusively."""
    path = tmp_path / "locked.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    body = {"name": "locked", "config": {"engine": "sqlite", "database": str(path), "query_timeout": 1}}
    assert client.post("/api/v2/system/service", json=body, headers=admin_headers).status_code == 201
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def test_a_locked_sqlite_file_is_busy_with_retry_after(client, admin_headers, tmp_path):
    with locked_notes_service(client, admin_headers, tmp_path):
        posted = client.post(
            "/api/v2/locked/_table/notes", json={"id": 1, "body": "x"}, headers=admin_headers
        )
        assert_outage(posted, 503, "locked")
        assert posted.headers["Retry-After"] == "1"
        assert "busy" in posted.get_json()["error"]["message"]
    posted = client.post("/api/v2/locked/_table/notes", json={"id": 1, "body": "x"}, headers=admin_headers)
    assert posted.status_code == 201


def test_a_continue_batch_on_a_locked_file_costs_one_timeout_not_one_per_record(
    client, admin_headers, tmp_path
):
    records = [{"id": n, "body": "x"} for n in range(1, 11)]
    with locked_notes_service(client, admin_headers, tmp_path):
        started = time.monotonic()
        posted = client.post(
            "/api/v2/locked/_table/notes?continue=true", json={"resource": records}, headers=admin_headers
        )
        elapsed = time.monotonic() - started
    # Nothing was written, so the answer is the outage itself, and the client may retry the whole batch.
    assert_outage(posted, 503, "locked")
    assert elapsed < 4, f"the batch waited {elapsed:.1f} s: one busy timeout per record"


def test_a_service_past_its_cap_is_refused_at_once_with_retry_after(app, client, admin_headers, tmp_path):
    path = tmp_path / "capped.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    body = {"name": "capped", "config": {"engine": "sqlite", "database": str(path)}}
    assert client.post("/api/v2/system/service", json=body, headers=admin_headers).status_code == 201
    bulkheads = app.extensions["bastion.bulkheads"] = Bulkheads(limit=1, wait=0.05)
    assert client.get("/api/v2/capped/_table/notes", headers=admin_headers).status_code == 200
    service_id = client.get("/api/v2/system/service", headers=admin_headers).get_json()["resource"][0]["id"]
    assert bulkheads.enter(service_id)  # a request in progress elsewhere in this worker
    refused = client.get("/api/v2/capped/_table/notes", headers=admin_headers)
    assert_outage(refused, 503, "capped")
    assert refused.headers["Retry-After"] == "1"
    assert client.get("/api/v2/system/service", headers=admin_headers).status_code == 200
    bulkheads.leave(service_id)
    assert client.get("/api/v2/capped/_table/notes", headers=admin_headers).status_code == 200


# Batches: a driver error on record k (a trigger that fails on id 3) in each mode on each engine.

FAIL_ON_3 = {
    # A lock the trigger reports itself: a real driver error with the busy code, raised on one record only.
    "postgresql": [
        "CREATE FUNCTION fail_on_3() RETURNS trigger AS $$ BEGIN IF NEW.id = 3 THEN"
        " RAISE EXCEPTION 'row is locked' USING ERRCODE = '55P03'; END IF; RETURN NEW; END $$"
        " LANGUAGE plpgsql",
        "CREATE TRIGGER fail_on_3 BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION fail_on_3()",
    ],
    "mysql": [
        "CREATE TRIGGER fail_on_3 BEFORE INSERT ON items FOR EACH ROW BEGIN IF NEW.id = 3 THEN"
        " SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1205, MESSAGE_TEXT = 'Lock wait timeout exceeded';"
        " END IF; END",
    ],
    # SQLite's triggers cannot lock: a statement past the query timeout (1 s), interrupted by the driver.
    "sqlite": [
        "CREATE TABLE big (n INTEGER)",
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 2000)"
        " INSERT INTO big SELECT n FROM c",
        "CREATE TRIGGER fail_on_3 BEFORE INSERT ON items FOR EACH ROW WHEN NEW.id = 3"
        " BEGIN SELECT count(*) FROM big a, big b, big c; END",
    ],
}
FAILED_CODE = {"postgresql": 503, "mysql": 503, "sqlite": 504}


@pytest.fixture
def items_table(scratch_db_url):
    """A table 'items' whose trigger fails the insert of id 3; (engine, table, engine name)."""
    if scratch_db_url.startswith("sqlite"):
        sqlite3.connect(sa.engine.make_url(scratch_db_url).database).close()
    engine = engines.create_engine(config_from_url(scratch_db_url, query_timeout=1))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
        for statement in FAIL_ON_3[engine.dialect.name]:
            conn.execute(sa.text(statement))
    table = sa.Table("items", sa.MetaData(), autoload_with=engine)
    yield engine, table, engine.dialect.name
    engine.dispose()


def stored_ids(engine, table) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(table.c.id)).scalars())


def create(engine, table, ids, mode):
    rows = [{"id": i, "name": f"n{i}"} for i in ids]
    return records.create_records(engine, table, FULL_GRANT, rows, mode)


@pytest.mark.parametrize(
    ("mode", "written"),
    [(BatchMode.STOP, [1, 2]), (BatchMode.CONTINUE, [1, 2, 4, 5])],
)
def test_a_driver_error_on_record_k_reports_the_committed_records(items_table, mode, written):
    engine, table, name = items_table
    with pytest.raises(ApiError) as raised:
        create(engine, table, [1, 2, 3, 4, 5], mode)
    assert raised.value.code == 400
    context = raised.value.context
    assert context["errors"] == [2]
    assert context["resource"][2]["error"]["code"] == FAILED_CODE[name]
    assert [entry for entry in context["resource"] if entry and "id" in entry] == [{"id": i} for i in written]
    assert stored_ids(engine, table) == written


def test_a_driver_error_rolls_the_whole_batch_back(items_table):
    engine, table, name = items_table
    # Nothing was committed: the outage itself is the answer (503/504), so retrying the request is safe.
    with pytest.raises(sa.exc.OperationalError) as raised:
        create(engine, table, [1, 2, 3, 4], BatchMode.ROLLBACK)
    assert dberrors.outage_error(raised.value, "s").code == FAILED_CODE[name]
    assert stored_ids(engine, table) == []


@pytest.mark.parametrize("mode", [BatchMode.STOP, BatchMode.CONTINUE])
def test_an_outage_on_the_first_record_with_nothing_committed_is_the_answer(items_table, mode):
    engine, table, _ = items_table
    with pytest.raises(sa.exc.OperationalError):
        create(engine, table, [3], mode)
    with pytest.raises(sa.exc.OperationalError if mode is BatchMode.STOP else ApiError):
        create(engine, table, [3, 4], mode)
    assert stored_ids(engine, table) == ([] if mode is BatchMode.STOP else [4])


SLOW_VIEW = {
    "postgresql": "CREATE VIEW slow AS SELECT 1 AS id, pg_sleep(3)::text AS nap",
    "mysql": "CREATE VIEW slow AS SELECT 1 AS id, SLEEP(3) AS nap",
    "sqlite": "CREATE VIEW slow AS SELECT count(*) AS id FROM big a, big b, big c",
}


def test_a_slow_read_answers_504_within_the_query_timeout(client, admin_headers, scratch_db_url):
    if scratch_db_url.startswith("sqlite"):
        sqlite3.connect(sa.engine.make_url(scratch_db_url).database).close()
    engine = sa.create_engine(scratch_db_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for statement in FAIL_ON_3["sqlite"][:2]:
                conn.execute(sa.text(statement))
        conn.execute(sa.text(SLOW_VIEW[engine.dialect.name]))
    engine.dispose()
    config = config_from_url(scratch_db_url, query_timeout=1)
    created = client.post(
        "/api/v2/system/service", json={"name": "slow", "config": config}, headers=admin_headers
    )
    assert created.status_code == 201, created.get_json()
    for _ in range(3):  # the third read runs a compiled plan
        started = time.monotonic()
        assert_outage(client.get("/api/v2/slow/_table/slow", headers=admin_headers), 504, "slow")
        assert time.monotonic() - started < 2.5


def test_the_service_type_describes_query_timeout_and_bad_values_are_refused(client, admin_headers, tmp_path):
    types = client.get("/api/v2/system/service_type", headers=admin_headers).get_json()["resource"]
    field = {f["name"]: f for f in types[0]["config_schema"]}["query_timeout"]
    assert (field["type"], field["default"], field["minimum"], field["maximum"]) == ("integer", 30, 1, 3600)
    path = tmp_path / "x.db"
    sqlite3.connect(path).close()
    config = {"engine": "sqlite", "database": str(path), "query_timeout": 0}
    refused = client.post(
        "/api/v2/system/service", json={"name": "x", "config": config}, headers=admin_headers
    )
    assert refused.status_code == 400
    assert "config.query_timeout" in refused.get_json()["error"]["context"]["errors"]


# The fault suite: a PostgreSQL cluster of the test's own behind a gunicorn-served platform, under load,
# stopped, frozen and restarted. Each answer must come within the service's bounds (query_timeout 1 s, so a
# read gives up after 2 s, and connect_timeout 2 s): 503 or 504 while the database is out, 200 again at once
# when it is back.

CLIENTS = 4
FROZEN_LIMIT = 1 + timeouts.READ_GRACE + 2 + 1.5  # read deadline + reconnect attempt + slack


@dataclass
class Answer:
    started: float
    elapsed: float
    status: int
    message: str = ""
    record_id: int | None = None

    @property
    def ended(self) -> float:
        return self.started + self.elapsed


def fetch(url: str, headers: dict, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as answer:
        return answer.code, json.loads(answer.read() or b"{}")
    except OSError:
        return 0, {}  # no HTTP answer at all: a killed worker or a closed connection


class Load:
    """Clients reading the service in a loop (pages, filtered pages, by id) and one writer of new records."""

    def __init__(self, base: str, headers: dict, first_id: int) -> None:
        self.base, self.headers, self.next_id = base, headers, first_id
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._read, args=(i,)) for i in range(CLIENTS - 1)]
        self._threads.append(threading.Thread(target=self._write))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _record(self, started: float, status: int, body: dict, record_id: int | None = None) -> None:
        message = (body.get("error") or {}).get("message", "")
        self.answers.append(Answer(started, time.monotonic() - started, status, message, record_id))

    def _read(self, client: int) -> None:
        paths = [
            "/api/v2/pg/_table/items?limit=5",
            "/api/v2/pg/_table/items/7",
            "/api/v2/pg/_table/items?filter=id>90",
        ]
        for path in itertools.cycle(paths[client:] + paths[:client]):
            if self._stop.is_set():
                return
            started = time.monotonic()
            self._record(started, *fetch(self.base + path, self.headers))

    def _write(self) -> None:
        while not self._stop.is_set():
            record_id, self.next_id = self.next_id, self.next_id + 1
            started = time.monotonic()
            status, body = fetch(self.base + "/api/v2/pg/_table/items", self.headers, {"id": record_id})
            self._record(started, status, body, record_id)

    def between(self, start: float, end: float) -> list[Answer]:
        """The answers to requests sent in that window."""
        return [a for a in self.answers if start <= a.started <= end]

    def recovered_by(self, since: float) -> float:
        """Seconds from `since` until the end of the first successful request sent after it."""
        return min(a.ended for a in self.answers if a.started >= since and a.status in (200, 201)) - since


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """(cluster, server, admin headers) with a service 'pg' on the cluster, table items of 100 rows."""
    if pg_bin() is None:
        pytest.skip("PostgreSQL's server binaries are not installed")
    cluster = PgCluster().init()
    server = None
    try:
        engine = sa.create_engine(cluster.url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE items (id INTEGER PRIMARY KEY)"))
            conn.execute(sa.text("INSERT INTO items SELECT generate_series(1, 100)"))
        engine.dispose()
        server = start_server(tmp_path_factory.mktemp("faults") / "instance", BASTION_WORKERS="2")
        login = {"email": server.admin_email, "password": server.admin_password}
        token = fetch(server.url + "/api/v2/system/admin/session", {}, login)[1]["session_token"]
        headers = {"Authorization": f"Bearer {token}"}
        config = config_from_url(cluster.url, query_timeout=1, options={"connect_timeout": "2"})
        status, body = fetch(server.url + "/api/v2/system/service", headers, {"name": "pg", "config": config})
        assert status == 201, body
        calm = server.instance.parent / "calm.db"
        with sqlite3.connect(calm) as conn:
            conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        second = {"name": "calm", "config": {"engine": "sqlite", "database": str(calm)}}
        assert fetch(server.url + "/api/v2/system/service", headers, second)[0] == 201
        yield cluster, server, headers
    finally:
        if server is not None:
            stop_server(server)
        cluster.destroy()


def assert_outage_answers(answers: list[Answer], allowed: set[int], limit: float) -> None:
    assert answers, "no request was sent during the fault"
    assert {a.status for a in answers} <= allowed | {200, 201}, [(a.status, a.message) for a in answers]
    assert any(a.status in allowed for a in answers)
    for answer in answers:
        assert answer.elapsed < limit, answer
        if answer.status >= 500:
            assert "service 'pg'" in answer.message, answer


def assert_logged_once_each(log: str, load: Load) -> None:
    """Each failed request logs one line; a traceback comes at most once a minute per worker."""
    lines = log.splitlines()
    failures = [i for i, line in enumerate(lines) if "bastion: request" in line and "service 'pg'" in line]
    traced = [i for i in failures if i + 1 < len(lines) and lines[i + 1].startswith("Traceback")]
    assert len(failures) == len([a for a in load.answers if a.status >= 500])
    assert len(traced) <= CLIENTS


def stored(cluster: PgCluster, ids: list[int]) -> set[int]:
    engine = sa.create_engine(cluster.url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT id FROM items WHERE id = ANY(:ids)"), {"ids": ids}).scalars()
        result = set(found)
    engine.dispose()
    return result


def test_a_stopped_database_answers_503_at_once_and_recovers_at_once(faulty):
    cluster, server, headers = faulty
    logged = len(server.log())
    with Load(server.url, headers, first_id=1000) as load:
        time.sleep(0.5)
        cluster.stop()
        stopped = time.monotonic()
        time.sleep(1.5)
        restarted = time.monotonic()
        cluster.start()
        time.sleep(1.2)
    assert_outage_answers(load.between(stopped, restarted), {503}, limit=1.0)
    assert load.recovered_by(restarted) < 1.0
    acknowledged = [a.record_id for a in load.answers if a.status == 201]
    assert acknowledged and stored(cluster, acknowledged) == set(acknowledged)  # no acknowledged write lost
    assert not [a for a in load.answers if a.status not in (200, 201, 503)]
    assert_logged_once_each(server.log()[logged:], load)


def test_a_frozen_database_answers_within_its_timeout_and_recovers_at_once(faulty):
    cluster, server, headers = faulty
    logged = len(server.log())
    with Load(server.url, headers, first_id=100_000) as load:
        time.sleep(0.5)
        cluster.freeze()
        frozen = time.monotonic()
        # Longer than the slowest outage answer (read deadline plus a reconnect attempt, FROZEN_LIMIT):
        # a request sent early in the freeze must get its 503/504 before the thaw could answer it.
        time.sleep(FROZEN_LIMIT + 0.5)
        thawed = time.monotonic()
        cluster.thaw()
        time.sleep(1.5)
    during = load.between(frozen, thawed)
    assert_outage_answers(during, {503, 504}, limit=FROZEN_LIMIT)
    assert load.recovered_by(thawed) < 1.5
    assert not [a for a in load.answers if a.status not in (200, 201, 503, 504)]
    assert_logged_once_each(server.log()[logged:], load)


def test_a_frozen_service_cannot_take_the_admin_api_or_another_service(faulty):
    cluster, server, headers = faulty
    hammered: list[int] = []
    messages: list[str] = []
    done = threading.Event()

    def hammer() -> None:
        while not done.is_set():
            status, body = fetch(server.url + "/api/v2/pg/_table/items?limit=5", headers)
            hammered.append(status)
            messages.append((body.get("error") or {}).get("message", ""))

    clients = [threading.Thread(target=hammer) for _ in range(16)]
    probes: list[tuple[str, int, float]] = []
    cluster.freeze()
    try:
        for client in clients:
            client.start()
        time.sleep(1)  # every client is now waiting on the frozen database, or refused
        for _ in range(8):
            for path in ("/api/v2/system/service", "/api/v2/calm/_table/notes"):
                started = time.monotonic()
                status = fetch(server.url + path, headers)[0]
                probes.append((path, status, time.monotonic() - started))
            time.sleep(0.25)
    finally:
        cluster.thaw()
        done.set()
        for client in clients:
            client.join()
    assert all(status == 200 and elapsed < 1.0 for _, status, elapsed in probes), probes
    assert set(hammered) <= {200, 503, 504}
    # Past the cap the frozen service is refused at once; the requests within it wait for its timeouts.
    assert any("Too many requests to service 'pg'" in message for message in messages)
