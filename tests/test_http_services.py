"""Remote HTTP services (issue 20): sealed credentials reach the upstream and never the client.

A stand-in upstream on 127.0.0.1 (tests/upstream.py) records what it receives; loopback is opened for
these apps with HTTP_SERVICES_ALLOWED_NETWORKS=127.0.0.0/8.
"""

from __future__ import annotations

import base64
import json
import socket

import pytest
import sqlalchemy as sa

from bastion.db import session_scope
from bastion.secrets import MASK, SecretBox
from bastion.services.data_services import find_service, rotate_service_secrets
from tests.conftest import _empty_tables, make_app
from tests.upstream import BIG_BYTES, start_upstream

SYS = "/api/v2/system"
SECRET = "Upstream-Secret-ü&=?1"
HEADER_SECRET = "Fixed-Secret-2"
AUTH_KINDS = {
    "header": {"kind": "header", "name": "X-Api-Key", "value": SECRET},
    "query": {"kind": "query", "name": "key", "value": SECRET},
    "basic": {"kind": "basic", "username": "bob", "password": SECRET},
    "bearer": {"kind": "bearer", "token": SECRET},
}


@pytest.fixture
def app(system_db_url, tmp_path):
    """The platform, loopback opened to remote HTTP services."""
    application = make_app(system_db_url, str(tmp_path), HTTP_SERVICES_ALLOWED_NETWORKS="127.0.0.0/8")
    yield application
    application.extensions["bastion.http_pools"].dispose_all()
    engine = application.extensions["bastion.db"]
    _empty_tables(engine)
    engine.dispose()


@pytest.fixture
def upstream():
    """The recording stand-in remote API."""
    server = start_upstream()
    yield server
    server.stop()


def add_http_service(client, admin, base_url, auth=None, name="twitter", **config) -> dict:
    """Register a remote HTTP service; the created service as the API shows it."""
    body = {"name": name, "type": "http", "config": {"base_url": base_url, **config}}
    if auth is not None:
        body["config"]["auth"] = auth
    response = client.post(f"{SYS}/service", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def app_key_for(client, headers, access: list[dict]) -> str:
    """The API key of a new app whose default role has these entries."""
    role = client.post(f"{SYS}/role", json={"name": "r", "access": access}, headers=headers)
    assert role.status_code == 201, role.get_json()
    made = client.post(f"{SYS}/app", json={"name": "web", "role_id": role.get_json()["id"]}, headers=headers)
    return made.get_json()["api_key"]


def stored_config(app, name="twitter") -> dict:
    """The service's config exactly as the system database holds it."""
    engine = app.extensions["bastion.db"]
    with engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT config FROM service WHERE name = :n"), {"n": name}).scalar_one()
    return raw if isinstance(raw, dict) else json.loads(raw)


def spellings(secret: str) -> set[str]:
    """The ways a secret could leak: plain, base64 (basic auth), URL- and JSON-escaped."""
    from urllib.parse import quote, quote_plus

    basic = base64.b64encode(f"bob:{secret}".encode()).decode()
    return {secret, quote(secret), quote_plus(secret), json.dumps(secret)[1:-1], basic}


def assert_nowhere(text: str, secret: str = SECRET) -> None:
    """No spelling of the secret in the text."""
    for spelling in spellings(secret):
        assert spelling not in text


@pytest.mark.parametrize("kind", list(AUTH_KINDS))
def test_each_auth_kind_reaches_the_upstream_and_never_the_client(app, client, admin_headers, upstream, kind):
    fixed = [{"name": "X-Fixed", "value": HEADER_SECRET, "secret": True}, {"name": "X-Plain", "value": "p"}]
    created = add_http_service(client, admin_headers, upstream.url, AUTH_KINDS[kind], headers=fixed)
    shown = json.dumps(created) + client.get(
        f"{SYS}/service/{created['id']}", headers=admin_headers
    ).get_data(as_text=True)
    assert_nowhere(shown)
    assert_nowhere(shown, HEADER_SECRET)
    assert MASK in shown and '"X-Plain"' in shown
    stored = json.dumps(stored_config(app))
    assert_nowhere(stored)
    assert_nowhere(stored, HEADER_SECRET)
    assert "enc:v1:" in stored

    answer = client.get("/api/v2/twitter/statuses/home?count=2", headers=admin_headers)
    assert answer.status_code == 200, answer.get_json()
    assert_nowhere(answer.get_data(as_text=True) + str(answer.headers))
    seen = upstream.last()
    assert seen.headers["x-fixed"] == HEADER_SECRET and seen.headers["x-plain"] == "p"
    received = {
        "header": lambda: seen.headers["x-api-key"] == SECRET,
        "query": lambda: "key=Upstream-Secret-%C3%BC%26%3D%3F1" in seen.path,
        "basic": lambda: (
            seen.headers["authorization"] == "Basic " + base64.b64encode(f"bob:{SECRET}".encode()).decode()
        ),
        "bearer": lambda: seen.headers["authorization"] == f"Bearer {SECRET}",
    }
    assert received[kind](), seen
    assert seen.path.startswith("/statuses/home?count=2")


def test_verb_body_and_allowed_headers_go_through_credentials_and_cookies_do_not(
    client, admin_headers, upstream
):
    add_http_service(client, admin_headers, upstream.url + "/v1", AUTH_KINDS["bearer"])
    key = app_key_for(client, admin_headers, [{"service": "twitter", "component": "*", "verbs": ["POST"]}])
    sent = {
        **admin_headers,  # the caller's own Authorization: never passed on
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Cookie": "session=abc",
        "X-Bastion-Trace": "b",
        "X-DreamFactory-Application-Name": "df",
        "X-Other": "not allowed",
    }
    answer = client.post(f"/api/v2/twitter/statuses/update?api_key={key}&q=1", data=b'{"a":1}', headers=sent)
    assert answer.status_code == 201
    seen = upstream.last()
    assert (seen.method, seen.path, seen.body) == ("POST", "/v1/statuses/update?q=1", b'{"a":1}')
    assert seen.headers["content-type"] == "application/json" and seen.headers["accept"] == "application/json"
    assert seen.headers["authorization"] == f"Bearer {SECRET}"  # the platform's, never the caller's
    for never in (
        "cookie",
        "x-bastion-session-token",
        "x-dreamfactory-api-key",
        "x-dreamfactory-session-token",
        "x-other",
    ):
        assert never not in seen.headers
    assert seen.headers["host"] == f"127.0.0.1:{upstream.port}"
    for dropped in ("Set-Cookie", "Keep-Alive"):
        assert dropped not in answer.headers
    assert answer.headers["X-Upstream"] == "yes" and answer.headers["Content-Type"] == "application/json"
    assert answer.headers.get("Access-Control-Allow-Origin") != "*"


def test_redirects_are_not_followed_and_their_location_names_the_platform(client, admin_headers, upstream):
    add_http_service(client, admin_headers, upstream.url)
    answer = client.get("/api/v2/twitter/redirect", headers=admin_headers)
    assert answer.status_code == 302 and answer.headers["Location"] == "/api/v2/twitter/elsewhere"
    assert answer.headers["Content-Type"] == "application/octet-stream"  # untyped: never taken for a page
    assert [s.path for s in upstream.seen] == ["/redirect"]


def test_timeout_oversize_and_down_are_504_and_502_naming_the_service_not_the_host(
    client, admin_headers, upstream
):
    add_http_service(client, admin_headers, upstream.url, timeout=1, max_response_bytes=BIG_BYTES - 1)
    slow = client.get("/api/v2/twitter/slow", headers=admin_headers)
    big = client.get("/api/v2/twitter/big", headers=admin_headers)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    add_http_service(client, admin_headers, f"http://127.0.0.1:{closed}", name="down")
    down = client.get("/api/v2/down/x", headers=admin_headers)
    for answer, status in ((slow, 504), (big, 502), (down, 502)):
        assert answer.status_code == status
        error = answer.get_json()["error"]
        text = json.dumps(error)
        assert "'twitter'" in error["message"] or "'down'" in error["message"]
        assert "127.0.0.1" not in text and str(upstream.port) not in text and str(closed) not in text
    assert "x" * 1000 not in big.get_data(as_text=True)


@pytest.mark.parametrize("part", ["head", "body", "unsized"])
def test_an_upstream_that_trickles_is_cut_off_at_the_timeout_with_nothing_partial(
    client, admin_headers, upstream, part
):
    # One byte every 0.3 s: each read is within the 1 s timeout, the whole answer (4.5 s) is not.
    add_http_service(client, admin_headers, upstream.url, timeout=1)
    answer = client.get(f"/api/v2/twitter/trickle/{part}", headers=admin_headers)
    assert answer.status_code == 504
    message = answer.get_json()["error"]["message"]
    assert message.startswith("Service 'twitter': the remote API did not answer in time")
    assert "qq" not in answer.get_data(as_text=True)
    assert "X-Trickle" not in answer.headers
    # The pool is still usable: the next request is answered whole.
    assert client.get("/api/v2/twitter/x", headers=admin_headers).get_json()["path"] == "/x"


def test_a_role_decides_per_path_and_verb_and_denies_the_rest(client, admin_headers, upstream):
    add_http_service(client, admin_headers, upstream.url, AUTH_KINDS["header"])
    key = app_key_for(
        client,
        admin_headers,
        [
            {"service": "twitter", "component": "statuses/*", "verbs": ["GET"]},
            {"service": "twitter", "component": "statuses/private/*", "verbs": []},
        ],
    )
    caller = {"X-Api-Key": key}
    assert client.get("/api/v2/twitter/statuses/home", headers=caller).status_code == 200
    assert client.get("/api/v2/twitter/statuses", headers=caller).status_code == 200
    before = len(upstream.seen)
    assert client.post("/api/v2/twitter/statuses/update", headers=caller).status_code == 403
    assert client.get("/api/v2/twitter/statuses/private/dm", headers=caller).status_code == 403
    assert client.get("/api/v2/twitter/users/show", headers=caller).status_code == 403
    assert client.get("/api/v2/twitter/statusesX", headers=caller).status_code == 403
    assert client.get("/api/v2/nosuch/statuses/home", headers=caller).status_code == 403
    assert client.get("/api/v2/twitter/statuses/home").status_code == 401
    assert len(upstream.seen) == before  # nothing denied was sent
    root = client.get("/api/v2/twitter", headers=caller)
    assert root.status_code == 200 and upstream.url not in root.get_data(as_text=True)
    assert_nowhere(root.get_data(as_text=True))
    listed = client.get("/api/v2", headers=caller).get_json()["resource"]
    assert [s["name"] for s in listed] == ["twitter"]


def test_an_all_services_entry_lists_only_the_services_of_its_kind(client, admin_headers, upstream, tmp_path):
    from tests.conftest import add_sqlite_service

    add_http_service(client, admin_headers, upstream.url)
    add_sqlite_service(client, admin_headers, tmp_path / "hr.db", ["CREATE TABLE t (id INTEGER PRIMARY KEY)"])

    def caller_with(name: str, component: str) -> dict:
        """The key header of an app whose role has one all-services entry allowing GET."""
        access = [{"service": None, "component": component, "verbs": ["GET"]}]
        role = client.post(f"{SYS}/role", json={"name": name, "access": access}, headers=admin_headers)
        assert role.status_code == 201, role.get_json()  # a path on all services is accepted (HTTP ones)
        made = client.post(
            f"{SYS}/app", json={"name": name, "role_id": role.get_json()["id"]}, headers=admin_headers
        )
        return {"X-Api-Key": made.get_json()["api_key"]}

    def seen(caller: dict) -> tuple[list[str], list[str]]:
        """The services /api/v2 and /api/v2/api_docs list for the caller."""
        listed = client.get("/api/v2", headers=caller).get_json()["resource"]
        docs = client.get("/api/v2/api_docs", headers=caller).get_json()["resource"]
        return sorted(s["name"] for s in listed), sorted(d["name"] for d in docs)

    paths = caller_with("paths", "statuses/*")
    assert seen(paths) == (["twitter"], ["twitter"])
    assert seen(caller_with("tables", "_table/*")) == (["hr"], ["hr"])
    assert seen(caller_with("all", "*")) == (["hr", "twitter"], ["hr", "twitter"])
    # What the listing shows holds: the path entry reads the remote API, and nothing of hr.
    assert client.get("/api/v2/twitter/statuses/home", headers=paths).status_code == 200
    assert client.get("/api/v2/hr/_table/t", headers=paths).status_code == 403
    assert client.get("/api/v2/hr", headers=paths).status_code == 403
    assert client.get("/api/v2/api_docs/hr", headers=paths).status_code == 403


def test_role_entries_must_fit_the_service_type(client, admin_headers, upstream, tmp_path):
    from tests.conftest import add_sqlite_service

    add_http_service(client, admin_headers, upstream.url)
    add_sqlite_service(client, admin_headers, tmp_path / "hr.db", ["CREATE TABLE t (id INTEGER PRIMARY KEY)"])
    bad = [
        ({"service": "twitter", "component": "statuses", "verbs": ["GET"], "fields": ["id"]}, "fields"),
        (
            {
                "service": "twitter",
                "component": "*",
                "verbs": ["GET"],
                "filters": [{"name": "a", "operator": "=", "value": 1}],
            },
            "filters",
        ),
        ({"service": "twitter", "component": "_table/t", "verbs": ["GET"]}, "component"),
        ({"service": "hr", "component": "statuses", "verbs": ["GET"]}, "component"),
        ({"service": "twitter", "component": "a/../b", "verbs": ["GET"]}, "component"),
        # On all services a path is accepted, and counts for HTTP services only: no rows, no columns.
        ({"service": None, "component": "statuses/*", "verbs": ["GET"], "fields": ["id"]}, "fields"),
        (
            {
                "service": None,
                "component": "statuses",
                "verbs": ["GET"],
                "filters": [{"name": "a", "operator": "=", "value": 1}],
            },
            "filters",
        ),
    ]
    for entry, field_name in bad:
        response = client.post(f"{SYS}/role", json={"name": "bad", "access": [entry]}, headers=admin_headers)
        assert response.status_code == 400, entry
        assert f"access[0].{field_name}" in response.get_json()["error"]["context"]["errors"]
    good = {"service": "twitter", "component": "statuses/*", "verbs": ["GET"]}
    assert (
        client.post(f"{SYS}/role", json={"name": "ok", "access": [good]}, headers=admin_headers).status_code
        == 201
    )


def test_changing_base_url_or_auth_kind_needs_the_secrets_again(client, admin_headers, upstream):
    created = add_http_service(client, admin_headers, upstream.url, AUTH_KINDS["bearer"])
    url = f"{SYS}/service/{created['id']}"
    masked = {"kind": "bearer", "token": MASK}
    moved = {"config": {"base_url": upstream.url + "/v2"}}
    for body in (moved, {"config": {"base_url": upstream.url + "/v2", "auth": masked}}):
        refused = client.patch(url, json=body, headers=admin_headers)
        assert refused.status_code == 400
        assert "config.auth.token" in refused.get_json()["error"]["context"]["errors"]
    switched = client.patch(
        url,
        json={"config": {"auth": {"kind": "header", "name": "X-K", "value": MASK}}},
        headers=admin_headers,
    )
    assert (
        switched.status_code == 400
        and "config.auth.value" in switched.get_json()["error"]["context"]["errors"]
    )
    # The mask keeps the secret while the target stays; other fields change freely.
    kept = client.patch(url, json={"config": {"auth": masked, "timeout": 5}}, headers=admin_headers)
    assert kept.status_code == 200, kept.get_json()
    assert client.get("/api/v2/twitter/a", headers=admin_headers).status_code == 200
    assert upstream.last().headers["authorization"] == f"Bearer {SECRET}"
    resent = {"config": {"base_url": upstream.url + "/v2", "auth": {"kind": "bearer", "token": "New-2"}}}
    assert client.patch(url, json=resent, headers=admin_headers).status_code == 200
    assert client.get("/api/v2/twitter/a", headers=admin_headers).status_code == 200
    assert (upstream.last().path, upstream.last().headers["authorization"]) == ("/v2/a", "Bearer New-2")


def test_bad_configs_are_400_naming_the_field(client, admin_headers, upstream):
    cases = [
        ({"base_url": "ftp://example.com"}, "config.base_url"),
        ({"base_url": "http://user:pw@127.0.0.1:1"}, "config.base_url"),
        ({"base_url": upstream.url, "auth": {"kind": "bearer"}}, "config.auth.token"),
        ({"base_url": upstream.url, "auth": {"kind": "magic"}}, "config.auth.kind"),
        ({"base_url": upstream.url, "headers": [{"name": "Cookie", "value": "x"}]}, "config.headers[0].name"),
        ({"base_url": upstream.url, "forward_headers": ["Authorization"]}, "config.forward_headers"),
        ({"base_url": upstream.url, "forward_headers": ["X-Api-Key"]}, "config.forward_headers"),
        ({"base_url": upstream.url, "forward_headers": ["X-Bastion-Anything"]}, "config.forward_headers"),
        ({"base_url": upstream.url, "timeout": 0}, "config.timeout"),
        ({"base_url": upstream.url, "headers": [{"name": "X-K", "value": MASK}]}, "config.headers[0].value"),
        ({"base_url": upstream.url, "max_response_bytes": -1}, "config.max_response_bytes"),
        ({"base_url": upstream.url, "openapi": "{not json"}, "config.openapi"),
        ({"base_url": upstream.url, "host": "x"}, "config.host"),
    ]
    for config, field_name in cases:
        response = client.post(
            f"{SYS}/service", json={"name": "bad", "type": "http", "config": config}, headers=admin_headers
        )
        assert response.status_code == 400, config
        assert field_name in response.get_json()["error"]["context"]["errors"], response.get_json()
    assert client.get(f"{SYS}/service", headers=admin_headers).get_json()["resource"] == []


def test_service_type_describes_http_fields(client, admin_headers):
    described = client.get(f"{SYS}/service_type/http", headers=admin_headers).get_json()
    fields = {f["name"]: f for f in described["config_schema"]}
    assert fields["base_url"]["required"] and fields["auth"]["type"] == "object"
    assert {f["name"] for f in fields["auth"]["fields"] if f["secret"]} == {"value", "password", "token"}


def test_rotate_key_reseals_http_secrets(app, client, admin_headers, upstream):
    fixed = [{"name": "X-Fixed", "value": HEADER_SECRET, "secret": True}]
    add_http_service(client, admin_headers, upstream.url, AUTH_KINDS["basic"], headers=fixed)
    before = stored_config(app)
    new_key = b"n" * 32
    with app.app_context(), session_scope() as db:
        box = SecretBox(new_key, (app.extensions["bastion.secrets"].current,))
        assert rotate_service_secrets(db, box) == 2
        service = find_service(db, "twitter")
        assert box.open(service.config["auth"]["password"], "service.auth.password") == SECRET
        assert box.open(service.config["headers"][0]["value"], "service.headers.x-fixed") == HEADER_SECRET
    after = stored_config(app)
    assert after["auth"]["password"] != before["auth"]["password"]
    assert not SecretBox(new_key).needs_rotation(after["headers"][0]["value"])


def test_advisor_reports_plain_http_upstreams_and_the_opened_range(client, admin_headers, upstream):
    from tests.test_advisor import findings

    created = add_http_service(client, admin_headers, upstream.url)
    found = findings(client, admin_headers)
    plain = found[f"http-service-plain-http:service:{created['id']}"]
    assert plain["severity"] == "medium" and "'twitter'" in plain["title"]
    assert "127.0.0.0/8" in found["http-networks-opened"]["title"]
    https = {"config": {"base_url": upstream.url.replace("http://", "https://")}}
    moved = client.patch(f"{SYS}/service/{created['id']}", json=https, headers=admin_headers)
    assert moved.status_code == 200
    assert not any(key.startswith("http-service-plain-http") for key in findings(client, admin_headers))


@pytest.mark.parametrize("given", ["url", "json"])
def test_docs_are_the_upstream_document_reduced_to_the_role(client, admin_headers, upstream, given):
    from tests.upstream import OPENAPI

    openapi = f"{upstream.url}/openapi.json" if given == "url" else OPENAPI
    add_http_service(client, admin_headers, upstream.url, AUTH_KINDS["bearer"], openapi=openapi)
    key = app_key_for(
        client, admin_headers, [{"service": "twitter", "component": "statuses/*", "verbs": ["GET"]}]
    )
    document = client.get("/api/v2/api_docs/twitter", headers={"X-Api-Key": key}).get_json()
    assert document["servers"] == [{"url": "http://localhost/api/v2/twitter"}]
    assert {p: sorted(ops) for p, ops in document["paths"].items()} == {
        "/statuses/home_timeline": ["get"],
        "/statuses/{id}": ["get"],
    }
    assert_nowhere(json.dumps(document))
    full = client.get("/api/v2/api_docs/twitter", headers=admin_headers).get_json()
    assert set(full["paths"]) == set(OPENAPI["paths"])
    nothing = app_key_for_other(client, admin_headers)
    assert client.get("/api/v2/api_docs/twitter", headers={"X-Api-Key": nothing}).status_code == 403


def app_key_for_other(client, headers) -> str:
    """An app whose role reaches nothing of the service."""
    role = client.post(f"{SYS}/role", json={"name": "none", "access": []}, headers=headers).get_json()
    return client.post(
        f"{SYS}/app", json={"name": "other", "role_id": role["id"]}, headers=headers
    ).get_json()["api_key"]


def test_without_openapi_docs_list_the_paths_the_role_names(client, admin_headers, upstream):
    add_http_service(client, admin_headers, upstream.url)
    access = [
        {"service": "twitter", "component": "statuses/*", "verbs": ["GET"]},
        {"service": "twitter", "component": "users/show", "verbs": ["GET", "POST"]},
        {"service": "twitter", "component": "secret/*", "verbs": []},
    ]
    key = app_key_for(client, admin_headers, access)
    document = client.get("/api/v2/api_docs/twitter", headers={"X-Api-Key": key}).get_json()
    assert {p: sorted(ops) for p, ops in document["paths"].items()} == {
        "/statuses/{path}": ["get", "parameters"],
        "/users/show": ["get", "post"],
    }
    assert upstream.url not in json.dumps(document)


def test_audit_events_of_http_services_show_secrets_only_as_the_mask(
    app, client, admin_headers, upstream, caplog
):
    from tests.test_audit_trail import _events_after, _last_id

    last = _last_id(app)
    fixed = [{"name": "X-Fixed", "value": HEADER_SECRET, "secret": True}]
    created = add_http_service(client, admin_headers, upstream.url, AUTH_KINDS["query"], headers=fixed)
    changed = {"config": {"auth": {"kind": "query", "name": "key", "value": "Second-Secret-3"}}}
    assert (
        client.patch(f"{SYS}/service/{created['id']}", json=changed, headers=admin_headers).status_code == 200
    )
    assert client.get("/api/v2/twitter/statuses/x", headers=admin_headers).status_code == 200
    events = _events_after(app, last)
    assert [e["action"] for e in events] == ["create", "reseal"]  # a new secret is named a reseal
    text = json.dumps(events) + caplog.text
    for secret in (SECRET, HEADER_SECRET, "Second-Secret-3"):
        assert_nowhere(text, secret)
    assert MASK in json.dumps(events) and "enc:v1:" not in json.dumps(events)


def test_explain_decides_an_http_services_path_as_the_proxy_does(client, admin_headers, upstream):
    add_http_service(client, admin_headers, upstream.url)
    role = client.post(
        f"{SYS}/role",
        json={"name": "r", "access": [{"service": "twitter", "component": "statuses/*", "verbs": ["GET"]}]},
        headers=admin_headers,
    ).get_json()
    app = client.post(
        f"{SYS}/app", json={"name": "web", "role_id": role["id"]}, headers=admin_headers
    ).get_json()

    def explain(verb: str, path: str) -> dict:
        query = {"app": app["id"], "verb": verb, "path": path}
        return client.get(f"{SYS}/explain", query_string=query, headers=admin_headers).get_json()

    allowed = explain("GET", "/api/v2/twitter/statuses/home")
    assert allowed["allowed"] is True and allowed["component"] == "statuses/home"
    assert explain("POST", "/api/v2/twitter/statuses/home")["allowed"] is False
    assert explain("GET", "/api/v2/twitter/_table/x")["component"] == "_table/x"  # a path like any other
    assert explain("GET", "/api/v2/twitter/_table/x")["allowed"] is False
    hr_path = client.get(
        f"{SYS}/explain", query_string={"app": app["id"], "path": "/api/v2/nope/x"}, headers=admin_headers
    )
    assert hr_path.status_code == 400  # not an HTTP service: a bare path is no component


def test_a_query_key_never_reaches_the_log_even_at_debug(client, admin_headers, upstream, caplog):
    add_http_service(client, admin_headers, upstream.url, AUTH_KINDS["query"])
    with caplog.at_level("DEBUG"):
        assert client.get("/api/v2/twitter/statuses/x", headers=admin_headers).status_code == 200
    assert "key=" in upstream.last().path
    assert_nowhere(caplog.text)


def test_the_connection_test_calls_the_base_url_with_the_credential(client, admin_headers, upstream):
    created = add_http_service(client, admin_headers, upstream.url + "/v1", AUTH_KINDS["bearer"])
    url = f"{SYS}/service/{created['id']}/test"
    tested = client.post(url, json={}, headers=admin_headers)
    assert tested.status_code == 200 and "answered 200" in tested.get_json()["message"]
    assert (upstream.last().path, upstream.last().headers["authorization"]) == ("/v1/", f"Bearer {SECRET}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    edited = {"config": {"base_url": f"http://127.0.0.1:{closed}", "auth": {"kind": "bearer", "token": "t"}}}
    failed = client.post(url, json=edited, headers=admin_headers)
    assert failed.status_code == 400 and "cannot be reached" in failed.get_json()["error"]["message"]
    assert str(closed) not in failed.get_data(as_text=True)
    masked = {"config": {"base_url": f"http://127.0.0.1:{closed}"}}  # the stored token to a new place: no
    assert client.post(url, json=masked, headers=admin_headers).status_code == 400
