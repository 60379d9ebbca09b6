"""What a remote HTTP service's caller sends upstream and what its upstream may send back (attack pass 2).

The upstream is the recording stand-in of tests/upstream.py; loopback is opened as in test_http_services.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests import test_http_services
from tests.test_http_services import (
    SYS,
    add_http_service,
    app_key_for,
)

app, upstream = test_http_services.app, test_http_services.upstream  # the same fixtures


FORWARD_REFUSED = ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "X-Original-URL"]
FORWARD_REFUSED += ["X-Rewrite-URL", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP", "Via"]
FORWARD_REFUSED += ["Proxy-Connection", "Expect", "Forwarded", "X-Forwarded-For"]


def test_verb_url_and_client_address_headers_are_never_forwarded(client, admin_headers):
    for name in FORWARD_REFUSED:
        body = {"name": "r", "type": "http", "config": {"base_url": "https://api.example.com"}}
        body["config"]["forward_headers"] = ["Accept", name]
        answer = client.post(f"{SYS}/service", json=body, headers=admin_headers)
        assert answer.status_code == 400, name
        assert name in answer.get_json()["error"]["context"]["config.forward_headers"][0]


def test_a_caller_allowed_to_put_cannot_make_the_upstream_delete(app, client, admin_headers, upstream):
    """A config saved before these headers were refused still never forwards them."""
    add_http_service(client, admin_headers, upstream.url)
    key = app_key_for(client, admin_headers, [{"service": "twitter", "component": "*", "verbs": ["PUT"]}])
    engine = app.extensions["bastion.db"]
    config = {"base_url": upstream.url, "forward_headers": ["Accept", *FORWARD_REFUSED]}
    with engine.begin() as conn:
        update = sa.text("UPDATE service SET config = :c WHERE name = 'twitter'")
        conn.execute(update, {"c": json.dumps(config)})
    app.extensions["bastion.http_pools"].dispose_all()
    sent = {name: "DELETE" if "Method" in name else "x" for name in FORWARD_REFUSED}
    answer = client.put("/api/v2/twitter/statuses/1", headers={"X-Api-Key": key, "Accept": "a/b", **sent})
    assert answer.status_code == 200
    seen = upstream.last()
    assert seen.method == "PUT" and seen.headers["accept"] == "a/b"
    for name in FORWARD_REFUSED:
        assert name.lower() not in seen.headers or name.lower() == "expect", name
