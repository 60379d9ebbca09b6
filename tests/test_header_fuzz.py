"""Fuzzing the request headers every path reads (DESIGN §3, §7): credentials (Authorization, the API key and
session token headers and query parameters), Origin and the CORS preflight headers, method tunnelling,
Content-Type, forwarded-protocol headers and request ids, with values well formed, garbage or long, on
the data, admin, docs, user and session paths and on OPTIONS.

Whatever is sent, the answer is never a 5xx and every error is the JSON envelope, and a second session of
the admin still works afterwards (nothing any caller sends ends another's session).
"""

from __future__ import annotations

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests import test_api_data_fuzz
from tests.conftest import ADMIN_PASSWORD
from tests.test_access_leaks import key_for
from tests.test_api_data_fuzz import FUZZ, INJECTIONS, assert_well_formed, filled_service

fuzz_client = test_api_data_fuzz.fuzz_client  # its admin client, set up for this module too

# Header values a client can send (latin-1 text without line breaks), odd and long ones included.
TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60)
CREDENTIALS = st.one_of(
    TEXT,
    st.sampled_from(["", " ", "null", "bak_", "bak_" + "A" * 43, "*", "Bearer", "Basic Zm9vOmJhcg=="]),
    st.sampled_from(INJECTIONS).filter(lambda text: "\x00" not in text),
    st.just("x" * 9000),
)
AUTHORIZATION = st.one_of(
    CREDENTIALS,
    CREDENTIALS.map(lambda value: "Bearer " + value),
    st.sampled_from(["Bearer  ", "bearer abc", "Bearer a b", "Bearer\tabc", "Token abc"]),
)
ORIGINS = st.one_of(
    TEXT,
    st.sampled_from(
        ["null", "https://a.example", "https://a.example:443", "https://A.EXAMPLE", "file://", "*"]
    ),
)
METHODS = st.one_of(
    TEXT, st.sampled_from(["GET", "get", "DELETE", "PATCH", "TRACE", "CONNECT", "OPTIONS", ""])
)
HEADERS = {
    "Authorization": AUTHORIZATION,
    "X-Api-Key": CREDENTIALS,
    "X-DreamFactory-API-Key": CREDENTIALS,
    "X-DreamFactory-Session-Token": CREDENTIALS,
    "Origin": ORIGINS,
    "Access-Control-Request-Method": METHODS,
    "Access-Control-Request-Headers": st.one_of(
        TEXT, st.sampled_from(["authorization, x-api-key", ",,", "*"])
    ),
    "Access-Control-Request-Private-Network": st.sampled_from(["true", "false", ""]),
    "X-HTTP-Method": METHODS,
    "X-HTTP-Method-Override": METHODS,
    "X-Method-Override": METHODS,
    "Content-Type": st.one_of(
        TEXT, st.sampled_from(["application/json", "text/plain", "application/json; x=1"])
    ),
    "X-Forwarded-Proto": st.one_of(TEXT, st.sampled_from(["https", "http", "https, http"])),
    "X-Forwarded-For": st.one_of(
        TEXT, st.sampled_from(["1.2.3.4", "::1", "1.2.3.4, 127.0.0.1", "999.1.1.1"])
    ),
    "X-Request-Id": TEXT,
}
QUERY_CREDENTIALS = st.fixed_dictionaries({}, optional={"api_key": CREDENTIALS, "session_token": CREDENTIALS})
PATHS = st.sampled_from(
    [
        "/api/v2",
        "/api/v2/fuzz_sqlite/_table/items",
        "/api/v2/fuzz_sqlite/_table/items/1",
        "/api/v2/fuzz_sqlite/_schema/items",
        "/api/v2/fuzz_sqlite/_table",
        "/api/v2/system/role",
        "/api/v2/system/app/1",
        "/api/v2/system/environment",
        "/api/v2/system/admin/session",
        "/api/v2/user/session",
        "/api/v2/user/profile",
        "/api/v2/api_docs",
        "/api/v2/api_docs/fuzz_sqlite",
        "/api/v2/nope/_table/x",
    ]
)


@pytest.fixture(scope="module")
def header_api(fuzz_client, tmp_path_factory):
    """The admin client, a data service, and a CORS rule for a.example on the data paths."""
    client, headers = fuzz_client
    with filled_service(client, headers, "sqlite", str(tmp_path_factory.mktemp("headerfuzz"))):
        rule = {
            "path": "/api/v2/fuzz_sqlite/*",
            "origins": ["https://a.example"],
            "supports_credentials": True,
        }
        assert client.post("/api/v2/system/cors", json=rule, headers=headers).status_code == 201
        access = [{"service": "fuzz_sqlite", "component": "_table/*", "verbs": ["GET", "POST"]}]
        callers = {"stranger": {}, "admin": headers, "app": key_for(client, headers, access, "reader")}
        # A second session of the admin, never sent by the fuzzer: what it sends may end only its own.
        login = client.post(
            "/api/v2/system/admin/session", json={"email": "fuzz@example.com", "password": ADMIN_PASSWORD}
        )
        checker = {"Authorization": f"Bearer {login.get_json()['session_token']}"}
        yield client, callers, checker


@FUZZ
@given(
    path=PATHS,
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
    sent=st.fixed_dictionaries({}, optional=HEADERS),
    query=QUERY_CREDENTIALS,
    body=st.sampled_from([b"", b"{}", b'{"name": "x"}', b"[", b"\xff"]),
    caller=st.sampled_from(["stranger", "admin", "app"]),
)
def test_headers_never_cause_a_server_error(header_api, path, method, sent, query, body, caller):
    client, callers, checker = header_api
    headers = {**sent, **callers[caller]}  # the caller's real credential, next to whatever else is sent
    response = client.open(path, method=method, headers=headers, query_string=query, data=body)
    event(f"{method} {response.status_code}")
    if method == "HEAD" or response.status_code == 204:
        assert response.status_code < 500, (path, method, headers, query)
    else:
        assert_well_formed(response, (path, method, headers, query, body))
    assert client.get("/api/v2/system/role", headers=checker).status_code == 200, (path, method, headers)
