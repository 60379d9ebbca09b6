"""Fuzzing the paths of a remote HTTP service (README "Remote HTTP services"): an app whose role may use
`statuses/*` of a service whose base URL is `<upstream>/1.1` sends any verb to paths built from traversal
spellings (`..`, `%2e%2e`, `%2f`, `..%2f`, `;`, backslashes), odd characters and the upstream's own
paths, with query strings that name credentials.

Whatever it sends, the upstream only ever sees paths under the base URL and, for the app, under
`statuses` (`x/*` also matches `x`); it never sees the caller's key; and Bastion answers no 5xx of its
own (502 and 504 are the upstream's failures, named by service).
"""

from __future__ import annotations

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bastion.db import session_scope
from bastion.migrate import upgrade
from bastion.models import AdminCreate
from bastion.services import accounts
from tests.conftest import ADMIN_PASSWORD, make_app
from tests.test_access_leaks import key_for
from tests.test_api_data_fuzz import FUZZ
from tests.upstream import start_upstream

SEGMENTS = st.one_of(
    st.sampled_from(["statuses", "users", "show", "home_timeline", "update", "1", "big", "redirect"]),
    st.sampled_from(
        ["..", ".", "%2e%2e", "%2E%2E", "%2f", "%2F", "..%2f", "%252e%252e", "", "~", "\\", "..\\"]
    ),
    st.sampled_from([";x", "statuses;..", "%00", "statuses%2f..%2fusers"]),
    st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="?#"), max_size=6),
)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """A platform with service `tw` at <upstream>/1.1, an admin token and an app key for `statuses/*`."""
    folder = tmp_path_factory.mktemp("httpfuzz")
    system_url = f"sqlite:///{folder / 'system.db'}"
    upgrade(system_url)
    app = make_app(system_url, str(folder), HTTP_SERVICES_ALLOWED_NETWORKS="127.0.0.0/8")
    with app.app_context(), session_scope() as db:
        accounts.create_admin(db, AdminCreate(email="h@example.com", name="H", password=ADMIN_PASSWORD))
    client = app.test_client()
    login = client.post(
        "/api/v2/system/admin/session", json={"email": "h@example.com", "password": ADMIN_PASSWORD}
    )
    admin = {"Authorization": f"Bearer {login.get_json()['session_token']}"}
    upstream = start_upstream()
    config = {"base_url": upstream.url + "/1.1", "timeout": 2}
    made = client.post(
        "/api/v2/system/service", json={"name": "tw", "type": "http", "config": config}, headers=admin
    )
    assert made.status_code == 201, made.get_json()
    entry = {"service": "tw", "component": "statuses/*", "verbs": ["GET", "POST", "DELETE"]}
    callers = {"app": key_for(client, admin, [entry], "statuses"), "admin": admin}
    yield client, callers, upstream
    upstream.stop()
    app.extensions["bastion.http_pools"].dispose_all()
    app.extensions["bastion.db"].dispose()


@FUZZ
@given(
    segments=st.lists(SEGMENTS, min_size=1, max_size=5),
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS"]),
    query=st.dictionaries(
        st.sampled_from(["q", "key", "api_key", "session_token"]), st.text(max_size=5), max_size=2
    ),
    caller=st.sampled_from(["app", "admin"]),
)
def test_no_path_spelling_leaves_the_base_url_or_the_roles_paths(proxied, segments, method, query, caller):
    client, callers, upstream = proxied
    path = "/api/v2/tw/" + "/".join(segments)
    before = len(upstream.seen)
    response = client.open(path, method=method, query_string=query, headers=callers[caller], data=b"{}")
    event(f"{caller} {method} {response.status_code}")
    sent = (caller, method, path, query)
    assert response.status_code < 500 or response.status_code in (502, 504), (sent, response.get_data()[:300])
    if response.status_code in (502, 504):
        assert "'tw'" in response.get_json()["error"]["message"], sent
    for seen in upstream.seen[before:]:
        where = seen.path.split("?")[0]
        assert where.startswith("/1.1/") or where == "/1.1", (sent, seen.path)
        if caller == "app":
            assert where == "/1.1/statuses" or where.startswith("/1.1/statuses/"), (sent, seen.path)
        secret = next(iter(callers[caller].values())).removeprefix("Bearer ")
        assert secret not in str(seen.headers) + seen.path, sent
