"""/api/v2/system/cors/explain agrees with what the CORS layer sends; saving a rule warns of shadowing."""

from __future__ import annotations

import pytest

from bastion import cors_shadows
from bastion.cors_shadows import RuleView
from tests.test_api_cors import CORS_HEADERS, add_rule, preflight

URL = "/api/v2/system/cors"
SPA = "https://spa.example.com"
SHOP = "https://shop.example.com"


@pytest.fixture
def rules(app):
    """The console on every path, an app on the demo service, and a narrower rule for the console."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    console = add_rule(app, path="api/v2/*", origins=[SPA], methods=methods, headers=["Authorization"])
    shop = add_rule(app, path="api/v2/demo/*", origins=[SHOP], methods=["GET"], max_age=60)
    narrow = add_rule(app, path="api/v2/demo/_table/secret*", origins=[SPA], methods=["GET"])
    return {"console": console, "shop": shop, "narrow": narrow}


def explain(client, auth, **query):
    return client.get(f"{URL}/explain", query_string=query, headers=auth)


def cors_of(response) -> dict:
    return {k: v for k, v in response.headers.items() if k in CORS_HEADERS or k == "Vary"}


CASES = [
    (SPA, "/api/v2/demo/_table/x", "DELETE", "Authorization"),
    (SPA, "/api/v2/system/user", "PATCH", "Authorization"),
    (SPA, "/api/v2/demo/_table/secret", "DELETE", ""),
    (SPA, "/api/demo/_table/secret", "GET", ""),
    (SHOP, "/api/v2/demo/_table/x", "GET", ""),
    (SHOP, "/api/v2/demo/_table/x", "POST", "Content-Type"),
    (SHOP, "/api/v2/system/user", "GET", ""),
    ("https://evil.example.net", "/api/v2/demo/x", "GET", ""),
]


@pytest.mark.parametrize(("origin", "path", "method", "headers"), CASES)
def test_explain_says_what_the_layer_sends(client, admin_headers, rules, origin, path, method, headers):
    answer = explain(client, admin_headers, origin=origin, path=path, method=method, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    real = preflight(client, path, origin=origin, method=method, headers=headers)
    assert body["preflight"]["status"] == real.status_code
    assert body["allowed"] is (real.status_code == 204)
    assert body["preflight"]["headers"] == cors_of(real)
    actual = client.open(path, method=method, headers={"Origin": origin})
    assert body["actual"]["headers"] == cors_of(actual)


def test_the_console_keeps_its_access_after_an_apps_narrower_rule(client, admin_headers, rules):
    body = explain(
        client, admin_headers, origin=SPA, path="/api/v2/demo/_table/x", method="DELETE"
    ).get_json()
    assert body["allowed"] is True
    assert body["rule"] == {"id": rules["console"], "path": "api/v2/*"}
    assert {"id": rules["shop"], "path": "api/v2/demo/*", "admits_origin": False} in body["covering"]
    shop = explain(client, admin_headers, origin=SHOP, path="/api/v2/demo/_table/x", method="POST").get_json()
    assert shop["allowed"] is False and "Method 'POST'" in shop["reason"]
    assert shop["rule"]["id"] == rules["shop"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"path": "/api/v2/x"}, "origin"),
        ({"origin": "*", "path": "/api/v2/x"}, "origin"),
        ({"origin": "https://*.example.com", "path": "/x"}, "origin"),
        ({"origin": "ftp://x.example.com", "path": "/x"}, "origin"),
        ({"origin": SPA}, "path"),
        ({"origin": SPA, "path": "/x", "method": "BREW"}, "method"),
        ({"origin": SPA, "path": "/x", "headers": "X Bad"}, "headers"),
    ],
)
def test_explain_names_a_bad_parameter(client, admin_headers, query, field):
    answer = explain(client, admin_headers, **query)
    assert answer.status_code == 400
    assert field in answer.get_json()["error"]["context"]["errors"]


def test_explain_is_for_admins_only(client):
    assert explain(client, {}, origin=SPA, path="/x").status_code == 401


def test_saving_a_rule_warns_of_the_rules_it_shadows_and_is_shadowed_by(client, admin_headers):
    console = client.post(URL, json={"path": "api/v2/*", "origins": [SPA, SHOP]}, headers=admin_headers)
    assert console.status_code == 201 and console.get_json()["warnings"] == []
    # An app's rule for its own origin takes nothing from the console's origin.
    other = client.post(
        URL, json={"path": "api/v2/hr/*", "origins": ["https://hr.example.com"]}, headers=admin_headers
    )
    assert other.get_json()["warnings"] == []
    shop = client.post(
        URL, json={"path": "api/v2/demo/*", "origins": [SHOP]}, headers=admin_headers
    ).get_json()
    [warning] = shop["warnings"]
    assert warning["relation"] == "shadows" and warning["rule_id"] == console.get_json()["id"]
    assert warning["origins"] == [SHOP] and "api/v2/*" in warning["message"]
    patched = client.patch(
        f"{URL}/{console.get_json()['id']}", json={"description": "x"}, headers=admin_headers
    )
    [back] = patched.get_json()["warnings"]
    assert back["relation"] == "shadowed_by" and back["rule_id"] == shop["id"] and back["origins"] == [SHOP]
    # The rest of the body is the rule, unchanged in shape.
    assert {"id", "path", "origins", "methods", "enabled"} <= set(patched.get_json())
    batch = client.post(
        URL, json={"resource": [{"path": "api/v2/demo/_table/*", "origins": ["*"]}]}, headers=admin_headers
    )
    relations = {(w["relation"], w["rule_id"]) for w in batch.get_json()["resource"][0]["warnings"]}
    assert relations == {("shadows", console.get_json()["id"]), ("shadows", shop["id"])}


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("api/v2/*", "api/v2/demo/*", True),
        ("api/v2/hr/*", "api/v2/demo/*", False),
        ("/api/v2/x", "api/v2/*", True),
        ("api/v2/x", "api/v2/y", False),
        ("*/_table", "api/*", True),
        ("*.json", "*.xml", False),
    ],
)
def test_paths_overlap(a, b, overlap):
    assert cors_shadows.paths_overlap(a, b) is overlap
    assert cors_shadows.paths_overlap(b, a) is overlap


def test_shared_origins_take_the_narrower_entry():
    assert cors_shadows.shared_origins(("*",), (SPA,)) == [SPA]
    assert cors_shadows.shared_origins(("https://*.example.com",), (SPA, "https://other.org")) == [SPA]
    assert cors_shadows.shared_origins(("https://*.example.com",), ("https://*.a.example.com",)) == [
        "https://*.a.example.com"
    ]
    assert cors_shadows.shared_origins((SPA,), (SHOP,)) == []


def test_a_rule_covered_for_every_origin_never_applies():
    exact = RuleView(1, "api/v2/x", (SPA,))
    longer = RuleView(2, "api/v2/x*", (SPA, SHOP))
    assert cors_shadows.never_applies(exact, [exact, longer]) == [longer]
    assert cors_shadows.never_applies(RuleView(3, "api/v2/x", (SPA, "https://z.org")), [longer]) == []
