"""What a remote HTTP service's caller sends upstream and what its upstream may send back (attack pass 2).

The upstream is the recording stand-in of tests/upstream.py; loopback is opened as in test_http_services.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from bastion.headers import SECURITY_HEADERS
from tests import test_http_services
from tests.test_http_services import (
    AUTH_KINDS,
    HEADER_SECRET,
    SECRET,
    SYS,
    add_http_service,
    app_key_for,
    assert_nowhere,
)

app, upstream = test_http_services.app, test_http_services.upstream  # the same fixtures


def encoded(location: str) -> str:
    """A redirect target as the stand-in's `/location/` path takes it."""
    return base64.urlsafe_b64encode(location.encode()).decode()


KEPT = {"ETag": '"v1"', "X-RateLimit-Remaining": "9", "Content-Type": "text/html"}


def test_an_upstream_cannot_make_a_browser_act_on_the_platforms_origin(client, admin_headers, upstream):
    add_http_service(client, admin_headers, upstream.url)
    answer = client.get("/api/v2/twitter/hostile", headers=admin_headers)
    assert answer.status_code == 200
    names = {name.lower() for name, _ in answer.headers}
    for dropped in ("set-cookie", "clear-site-data", "nel", "report-to", "reporting-endpoints", "refresh"):
        assert dropped not in names
    for dropped in ("www-authenticate", "strict-transport-security", "cross-origin-resource-policy"):
        assert dropped not in names
    for dropped in ("timing-allow-origin", "access-control-allow-origin", "x-hop-secret"):
        assert dropped not in names
    for name, value in SECURITY_HEADERS.items():  # the platform's, never the upstream's
        assert answer.headers.getlist(name) == [value]
    assert answer.headers.getlist("X-Request-Id") != ["upstream-chosen"]
    assert "X-Frame-Options" not in answer.headers
    # Its own type stays, but a page from it runs nothing on the platform's origin.
    assert "sandbox" in answer.headers["Content-Security-Policy"]
    for name, value in KEPT.items():
        assert answer.headers[name] == value


@pytest.mark.parametrize(
    "location",
    ["//evil.invalid/x", "/\\evil.invalid/x", "\\\\evil.invalid", "/\t/evil.invalid", "https:evil.invalid"]
    + ["HTTP://evil.invalid", " //evil.invalid", "javascript:alert(1)", "http://127.0.0.1/elsewhere"],
)
def test_a_redirect_that_leaves_the_platform_is_not_passed_on(client, admin_headers, upstream, location):
    add_http_service(client, admin_headers, upstream.url)
    answer = client.get(f"/api/v2/twitter/location/{encoded(location)}", headers=admin_headers)
    assert answer.status_code == 302 and "Location" not in answer.headers
    assert len(upstream.seen) == 1  # never followed


@pytest.mark.parametrize("location", ["/next?page=2", "next?page=2", "http://127.0.0.1:{port}/next?page=2"])
def test_a_redirect_to_the_upstream_itself_is_passed_on_as_the_platforms_path(
    client, admin_headers, upstream, location
):
    add_http_service(client, admin_headers, upstream.url)
    where = encoded(location.format(port=upstream.port))
    answer = client.get(f"/api/v2/twitter/location/{where}", headers=admin_headers)
    assert answer.status_code == 302
    expected = "/api/v2/twitter/location/next?page=2" if location[0] == "n" else "/api/v2/twitter/next?page=2"
    assert answer.headers["Location"] == expected


def header_path(name: str, *values: str) -> str:
    """The platform's path to the stand-in's `/header/` answer with these values of one header."""
    return f"/api/v2/twitter/{name}/" + "/".join(encoded(v) for v in values)


def test_links_are_pointed_at_the_platform_and_never_name_the_upstream(client, admin_headers, upstream):
    """Pagination links of a service under a base path: those into the base path come back as the
    platform's paths, without the service's query key; links to other hosts, ports or paths, or that a
    browser would act on, never reach the caller."""
    add_http_service(client, admin_headers, f"{upstream.url}/header", AUTH_KINDS["query"])
    here = f"http://127.0.0.1:{upstream.port}"
    first = f'<{here}/header/Link?page=2&key={quote(SECRET, safe="")}>; rel="next", <{here}/admin>; rel="up"'
    second = '</header/Link?page=9>; rel=last; title="Last", <https://evil.invalid/x>; rel="next"'
    third = f'<{here}/header/x>; rel=preload; as=script, <http://10.0.0.5/header/x>; rel="alternate"'
    answer = client.get(header_path("Link", first, second, third), headers=admin_headers)
    assert answer.status_code == 200
    assert answer.headers.getlist("Link") == [
        '</api/v2/twitter/Link?page=2>; rel="next"',
        '</api/v2/twitter/Link?page=9>; rel="last"; title="Last"',
    ]
    text = json.dumps(list(answer.headers.items()))
    for never in ("127.0.0.1", "evil.invalid", "10.0.0.5", "/header", "preload", "**********"):
        assert never not in text
    assert_nowhere(text)


@pytest.mark.parametrize(
    "value",
    ["nonsense", "<http://x/a", '</header/a>; rel="next', "</header/a> rel=next", "<" * 4000, "</h\x01>"],
)
def test_a_malformed_link_is_dropped_and_the_answer_still_passed_on(client, admin_headers, upstream, value):
    add_http_service(client, admin_headers, f"{upstream.url}/header")
    answer = client.get(header_path("Link", value), headers=admin_headers)
    assert answer.status_code == 200 and answer.get_json() == {}
    assert "Link" not in answer.headers


def test_content_location_is_the_platforms_path_or_dropped(client, admin_headers, upstream):
    add_http_service(client, admin_headers, f"{upstream.url}/header")
    here = f"http://127.0.0.1:{upstream.port}"
    kept = client.get(header_path("Content-Location", f"{here}/header/pets/7"), headers=admin_headers)
    assert kept.headers["Content-Location"] == "/api/v2/twitter/pets/7"
    for elsewhere in (f"{here}/internal/pets/7", "http://cache.internal/pets/7", "//evil.invalid/x"):
        answer = client.get(header_path("Content-Location", elsewhere), headers=admin_headers)
        assert answer.status_code == 200 and "Content-Location" not in answer.headers, elsewhere


def test_a_warning_naming_the_upstreams_host_is_dropped(client, admin_headers, upstream):
    add_http_service(client, admin_headers, f"{upstream.url}/header")
    warning = '199 backend.internal:8080 "Miscellaneous"'
    answer = client.get(header_path("Warning", warning), headers=admin_headers)
    assert answer.status_code == 200 and "Warning" not in answer.headers


@pytest.mark.parametrize("status", [101, 103])
def test_an_informational_status_is_never_passed_on_as_the_answer(client, admin_headers, upstream, status):
    add_http_service(client, admin_headers, upstream.url)
    answer = client.get(f"/api/v2/twitter/status/{status}", headers=admin_headers)
    assert answer.status_code == 502, answer.status_code
    assert f"status {status}" in answer.get_json()["error"]["message"]


@pytest.mark.parametrize("status", [204, 304])
def test_stray_bytes_after_a_bodyless_answer_never_answer_the_next_request(
    client, admin_headers, upstream, status
):
    """The stray body would otherwise be read by the next request on the pooled connection as its
    answer: a 502 for a stranger, or, from a body that reads as a response, every later answer shifted."""
    add_http_service(client, admin_headers, upstream.url)
    for _ in range(6):
        assert client.get(f"/api/v2/twitter/status/{status}", headers=admin_headers).status_code == status
        answer = client.get("/api/v2/twitter/after", headers=admin_headers)
        assert answer.status_code == 200 and answer.get_json()["path"] == "/after"


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


@pytest.mark.parametrize("kind", list(AUTH_KINDS))
@pytest.mark.parametrize("path", ["tell-all", "tell-all-gzip"])
def test_an_upstream_that_echoes_the_request_never_hands_the_caller_its_secrets(
    client, admin_headers, upstream, kind, path
):
    """An echo endpoint, or an error page quoting the request's URL and headers, answers what the
    platform sent, credential included: the caller gets the mask in its place, in body and headers."""
    fixed = [{"name": "X-Fixed", "value": HEADER_SECRET, "secret": True}]
    add_http_service(client, admin_headers, upstream.url, AUTH_KINDS[kind], headers=fixed)
    answer = client.get(f"/api/v2/twitter/{path}?q=1", headers=admin_headers)
    assert answer.status_code == 200
    assert "Content-Encoding" not in answer.headers  # decoded, so that it could be searched
    text = answer.get_data(as_text=True) + json.dumps(list(answer.headers.items()))
    assert "q=1" in text and "**********" in text
    assert_nowhere(text)
    assert_nowhere(text, HEADER_SECRET)


def test_an_answer_in_an_encoding_bastion_cannot_read_is_a_502(client, admin_headers, upstream):
    add_http_service(client, admin_headers, upstream.url)
    answer = client.get("/api/v2/twitter/encoded/compress", headers=admin_headers)
    assert answer.status_code == 502 and "encoding" in answer.get_json()["error"]["message"]
