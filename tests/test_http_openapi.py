"""The upstream's OpenAPI document of a remote HTTP service, as the platform serves it (api_docs).

The document comes from the upstream (or an admin's paste) and is served to callers the role lets read
the service's docs: it must never hand them the service's credential, nor the upstream's address, nor
paths the role does not allow; and a hostile or broken document must be a clear error, not a 5xx.
"""

from __future__ import annotations

import base64
import json

import pytest
from openapi_spec_validator import validate

from bastion.docs.upstream_doc import MAX_PATHS
from bastion.secrets import MASK
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

DOCS = "/api/v2/api_docs/twitter"
ROLE = [{"service": "twitter", "component": "public/*", "verbs": ["GET"]}]


def quoting(secret: str, kind: str) -> dict:
    """A document that quotes the service's credential wherever an upstream's generator might."""
    pair = base64.b64encode(f"bob:{secret}".encode()).decode() if kind == "basic" else "none"
    return {
        "openapi": "3.1.0",
        "info": {"title": "Up", "version": "1", "description": f"Try it with key {secret}"},
        "servers": [{"url": f"https://api.invalid/v1?api_key={secret}"}],
        "x-try-it": {"authorization": f"Basic {pair}", "header": HEADER_SECRET},
        "paths": {
            "/public/items": {
                "get": {
                    "parameters": [{"name": "key", "in": "query", "example": secret}],
                    "responses": {"200": {"description": f"ok, quoted \\u escaped: {json.dumps(secret)}"}},
                }
            }
        },
        "components": {
            "securitySchemes": {"k": {"type": "apiKey", "in": "query", "name": "key", "description": secret}}
        },
    }


@pytest.mark.parametrize("given", ["url", "json"])
@pytest.mark.parametrize("kind", ["query", "basic"])
def test_the_document_never_quotes_the_services_secrets(client, admin_headers, upstream, given, kind):
    upstream.openapi = quoting(SECRET, kind)
    openapi = f"{upstream.url}/openapi.json" if given == "url" else quoting(SECRET, kind)
    fixed = [{"name": "X-Fixed", "value": HEADER_SECRET, "secret": True}]
    add_http_service(client, admin_headers, upstream.url, AUTH_KINDS[kind], headers=fixed, openapi=openapi)
    key = app_key_for(client, admin_headers, ROLE)
    for headers in ({"X-Api-Key": key}, admin_headers):
        answer = client.get(DOCS, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        text = answer.get_data(as_text=True)
        assert_nowhere(text)
        assert_nowhere(text, HEADER_SECRET)
        assert MASK in answer.get_json()["paths"]["/public/items"]["get"]["parameters"][0]["example"]


def revealing() -> dict:
    """A document whose hidden part (`/admin/...`) shows through every place a reduction could forget."""
    item_ref = {"$ref": "#/components/schemas/Item"}
    order_ref = {"$ref": "#/components/schemas/AdminOrder"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Up", "version": "1", "x-backend": "http://10.1.2.3:8080"},
        "servers": [{"url": "http://10.1.2.3/api"}],
        "x-tagGroups": [{"name": "Admin", "tags": ["admin"]}],
        "tags": [{"name": "public"}, {"name": "admin", "description": "admin ops"}],
        "webhooks": {"adminPurged": {"post": {"responses": {"200": {"description": "admin purged"}}}}},
        "paths": {
            "/public/items": {
                "servers": [{"url": "http://10.1.2.3/path-level"}],
                "x-internal": "http://10.1.2.3/ext",
                "get": {
                    "tags": ["public"],
                    "operationId": "listItems",
                    "servers": [{"url": "http://10.1.2.3/operation-level"}],
                    "security": [{"upstreamKey": []}],
                    "x-amazon-apigateway-integration": {"uri": "http://10.1.2.3/backend"},
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": item_ref}},
                            "links": {
                                "self": {"operationId": "listItems"},
                                "purge": {"operationId": "adminPurge"},
                                "byRef": {"operationRef": "#/paths/~1admin~1purge/post"},
                                "shared": {"$ref": "#/components/links/PurgeLink"},
                            },
                        }
                    },
                },
                "options": {"responses": {"200": {"description": "admin preflight"}}},
            },
            "/admin/purge": {
                "post": {
                    "tags": ["admin"],
                    "operationId": "adminPurge",
                    "requestBody": {"content": {"application/json": {"schema": order_ref}}},
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/admin/users": {"$ref": "#/components/pathItems/AdminUsers"},
        },
        "components": {
            "schemas": {
                "Item": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Page"}}},
                "Page": {"type": "object", "properties": {"item": item_ref}},  # a $ref cycle
                "AdminOrder": {"type": "object", "description": "admin wipes everything"},
            },
            "pathItems": {"AdminUsers": {"delete": {"responses": {"200": {"description": "admin"}}}}},
            "links": {"PurgeLink": {"operationId": "adminPurge"}},
            "securitySchemes": {"upstreamKey": {"type": "apiKey", "in": "header", "name": "X-Admin-Key"}},
        },
    }


def test_the_reduced_document_shows_neither_other_paths_nor_the_upstreams_address(
    client, admin_headers, upstream
):
    add_http_service(client, admin_headers, upstream.url, openapi=revealing())
    key = app_key_for(client, admin_headers, ROLE)
    answer = client.get(DOCS, headers={"X-Api-Key": key})
    assert answer.status_code == 200, answer.get_json()
    document = answer.get_json()
    text = json.dumps(document)
    assert "admin" not in text.lower() and "purge" not in text.lower() and "10.1.2.3" not in text
    assert document["servers"] == [{"url": "http://localhost/api/v2/twitter"}]
    assert document["paths"]["/public/items"]["get"]["responses"]["200"]["links"] == {
        "self": {"operationId": "listItems"}
    }
    assert set(document["components"]["schemas"]) == {"Item", "Page"}
    assert document["tags"] == [{"name": "public"}]
    assert "webhooks" not in document and list(document["paths"]["/public/items"]) == ["get"]
    validate(document)
    # The full document (admins, a docs grant) is the upstream's whole API, still on the platform.
    full = client.get(DOCS, headers=admin_headers).get_json()
    assert set(full["paths"]) == {"/public/items", "/admin/purge", "/admin/users"}
    assert list(full["paths"]["/admin/users"]) == ["delete"] and "10.1.2.3" not in json.dumps(full)
    validate(full)


def nested(depth: int) -> dict:
    """A document whose `x-deep` is an object `depth` levels deep."""
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, "x-deep": value}


MANY = {"openapi": "3.1.0", "paths": {f"/p{i}": {"get": {}} for i in range(MAX_PATHS + 1)}}
BROKEN = {
    "deep JSON": (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64"),
    "deep object": (json.dumps(nested(900)).encode(), "nested deeper than 64"),
    "many paths": (json.dumps(MANY).encode(), f"more than {MAX_PATHS} paths"),
    "YAML": (b"openapi: 3.1.0\npaths: {}\n", "is not JSON (a YAML document must be converted"),
    "a list": (b"[1, 2]", "is not a JSON object"),
    "not UTF-8": (b'{"a": "\xff"}', "is not JSON"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_fetched_document_that_cannot_be_served_is_a_clear_502(client, admin_headers, upstream, case):
    upstream.openapi, message = BROKEN[case]
    add_http_service(client, admin_headers, upstream.url, openapi=f"{upstream.url}/openapi.json")
    answer = client.get(DOCS, headers=admin_headers)
    assert answer.status_code == 502, answer.get_data(as_text=True)[:300]
    assert message in answer.get_json()["error"]["message"]
    assert "127.0.0.1" not in answer.get_data(as_text=True)


DEEP_TEXT = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
PASTED = {
    "deep JSON text": (DEEP_TEXT, "nested deeper than 64"),
    "deep object text": (json.dumps(nested(900)), "nested deeper than 64"),
    "deep object": (nested(900), "nested deeper than 64"),
    "many paths text": (json.dumps(MANY), f"more than {MAX_PATHS} paths"),
    "many paths": (MANY, f"more than {MAX_PATHS} paths"),
}


@pytest.mark.parametrize("case", list(PASTED))
def test_a_pasted_document_that_cannot_be_served_is_a_400_at_save(client, admin_headers, upstream, case):
    given, message = PASTED[case]
    body = {"name": "bad", "type": "http", "config": {"base_url": upstream.url, "openapi": given}}
    answer = client.post(f"{SYS}/service", json=body, headers=admin_headers)
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert message in answer.get_json()["error"]["context"]["errors"]["config.openapi"]


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data", "http://10.0.0.1/openapi.json"])
def test_a_document_url_the_service_may_not_reach_is_a_400_at_save(client, admin_headers, url):
    body = {"name": "bad", "type": "http", "config": {"base_url": "https://example.com", "openapi": url}}
    answer = client.post(f"{SYS}/service", json=body, headers=admin_headers)
    assert answer.status_code == 400, answer.get_json()
    assert "as a URL" in answer.get_json()["error"]["context"]["errors"]["config.openapi"]


def test_a_document_that_cannot_be_fetched_is_asked_again_only_after_a_while(
    client, admin_headers, upstream, monkeypatch
):
    from bastion.docs import cache

    upstream.openapi = b"<html>down for maintenance</html>"
    created = add_http_service(client, admin_headers, upstream.url, openapi=f"{upstream.url}/openapi.json")
    fetches = lambda: sum(seen.path == "/openapi.json" for seen in upstream.seen)  # noqa: E731
    for _ in range(3):
        assert client.get(DOCS, headers=admin_headers).status_code == 502
    assert fetches() == 1  # not one timeout per docs request while the upstream is down
    upstream.openapi = revealing()
    monkeypatch.setattr(cache, "FAILURE_SECONDS", 0.0)
    assert client.get(DOCS, headers=admin_headers).status_code == 502  # still the failure kept before
    monkeypatch.setattr(cache.time, "monotonic", lambda: 10**9)
    assert client.get(DOCS, headers=admin_headers).status_code == 200
    assert fetches() == 2
    renamed = {"label": "Twitter"}
    assert (
        client.patch(f"{SYS}/service/{created['id']}", json=renamed, headers=admin_headers).status_code == 200
    )
    assert client.get(DOCS, headers=admin_headers).status_code == 200 and fetches() == 3  # a new version


def referring(secret: str) -> dict:
    """A document whose path items are `$ref`s: to components, to another path, through a chain, a cycle,
    a remote document; and whose operations refer to hidden paths' parts and to outside documents."""
    op = lambda text: {"responses": {"200": {"description": text}}}  # noqa: E731
    chain = {f"Hop{i}": {"$ref": f"#/components/pathItems/Hop{i + 1}"} for i in range(40)}
    hook = {"{$request.body#/callback}": {"$ref": "#/components/pathItems/Hook"}}
    sneaky = {"{$request.body#/url}": {"$ref": "#/components/pathItems/AdminItem"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Refs", "version": "1"},
        "paths": {
            "/pets": {"$ref": "#/components/pathItems/Pets"},
            "/pets/{id}": {
                "$ref": "#/components/pathItems/Pet",
                "summary": "One pet",
                "get": {"operationId": "getPetHere", **op("written next to the ref wins")},
            },
            "/cats": {"$ref": "#/paths/~1pets"},  # another path's item, under its own path's grant
            "/chain": {"$ref": "#/components/pathItems/Chain1"},
            "/loop": {"$ref": "#/components/pathItems/LoopA"},
            "/deep": {"$ref": "#/components/pathItems/Hop0"},
            "/remote": {"$ref": "https://10.9.9.9/items.json#/Items", "get": op("remote ref, inline get")},
            "/admin": {"$ref": "#/components/pathItems/AdminItem"},
            "/admin/purge": {"post": {"requestBody": {"content": {"application/json": {"schema": {}}}}}},
        },
        "components": {
            "schemas": {
                "Pet": {
                    "type": "object",
                    "properties": {
                        "kind": {"$ref": "#/paths/~1admin~1purge/post/requestBody", "description": "kept"},
                        "owner": {"$ref": "https://10.9.9.9/schemas/owner.json"},
                        "tag": {"$ref": "#/components/schemas/Missing"},
                        "self": {"$ref": "#/components/schemas/Pet"},
                    },
                    "discriminator": {
                        "propertyName": "kind",
                        "mapping": {"pet": "#/components/schemas/Pet", "admin": "#/paths/~1admin/delete"},
                    },
                },
            },
            "pathItems": {
                "Pets": {
                    "get": {
                        "parameters": [{"name": "q", "in": "query", "schema": {}, "example": f"k={secret}"}],
                        "callbacks": {"onPet": hook, "onAdmin": sneaky},
                        **op("pets"),
                    },
                    "post": op("admin adds a pet"),
                    "servers": [{"url": "http://10.9.9.9/pets"}],
                    "x-backend": "http://10.9.9.9",
                },
                "Pet": {
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "get": op("from the component"),
                    "put": {
                        "requestBody": {
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}
                        },
                        **op("a pet replaced"),
                    },
                    "delete": op("admin deletes a pet"),
                },
                "Chain1": {"$ref": "#/components/pathItems/Chain2", "description": "first hop"},
                "Chain2": {"get": op("end of the chain")},
                "LoopA": {"$ref": "#/components/pathItems/LoopB", "get": op("a loop's get")},
                "LoopB": {"$ref": "#/components/pathItems/LoopA", "delete": op("a loop's delete")},
                "Hook": {"post": op("what the upstream sends the caller")},
                "AdminItem": {"delete": op("admin wipes everything")},
                **chain,
                "Hop40": {"get": op("past the hop limit")},
            },
        },
    }


REF_ROLE = [
    {"service": "twitter", "component": "pets", "verbs": ["GET"]},
    {"service": "twitter", "component": "pets/*", "verbs": ["GET", "PUT"]},
    {"service": "twitter", "component": "cats", "verbs": ["GET"]},
    {"service": "twitter", "component": "chain", "verbs": ["GET"]},
    {"service": "twitter", "component": "loop", "verbs": ["GET", "DELETE"]},
    {"service": "twitter", "component": "deep", "verbs": ["GET"]},
    {"service": "twitter", "component": "remote", "verbs": ["GET"]},
]


@pytest.mark.parametrize("given", ["url", "json"])
def test_a_path_item_that_is_a_ref_offers_its_allowed_operations_masked_like_any(
    client, admin_headers, upstream, given
):
    upstream.openapi = referring(SECRET)
    openapi = f"{upstream.url}/openapi.json" if given == "url" else referring(SECRET)
    add_http_service(client, admin_headers, upstream.url, AUTH_KINDS["query"], openapi=openapi)
    key = app_key_for(client, admin_headers, REF_ROLE)
    answer = client.get(DOCS, headers={"X-Api-Key": key})
    assert answer.status_code == 200, answer.get_json()
    document = answer.get_json()
    paths = document["paths"]
    assert set(paths) == {"/pets", "/pets/{id}", "/cats", "/chain", "/loop", "/remote"}
    assert list(paths["/pets"]) == ["get"] and list(paths["/cats"]) == ["get"]
    assert paths["/pets"]["get"]["parameters"][0]["example"] == f"k={MASK}"
    assert set(paths["/pets/{id}"]) == {"summary", "parameters", "get", "put"}
    assert paths["/pets/{id}"]["get"]["operationId"] == "getPetHere"
    assert paths["/chain"] == {
        "description": "first hop",
        "get": {"responses": {"200": {"description": "end of the chain"}}},
    }
    # A cycle is followed once round (LoopA, LoopB, then no further); a chain past 16 hops offers nothing.
    assert set(paths["/loop"]) == {"get", "delete"} and "/deep" not in paths
    assert list(paths["/remote"]) == ["get"]  # a remote ref is not fetched; what is written next to it counts
    text = json.dumps(document)
    assert all("$ref" not in item for item in paths.values())
    for never in ("admin", "10.9.9.9", "x-backend"):
        assert never not in text, never
    assert_nowhere(text)
    validate(document)


def test_no_ref_brings_in_what_the_role_may_not_see(client, admin_headers, upstream):
    """A callback's ref to the item of a hidden path, a schema's ref into a hidden operation, to an outside
    document or to a component left out: all removed, so the served document names none of them and
    every ref in it resolves."""
    add_http_service(client, admin_headers, upstream.url, openapi=referring("unused-secret"))
    key = app_key_for(client, admin_headers, REF_ROLE)
    document = client.get(DOCS, headers={"X-Api-Key": key}).get_json()
    callbacks = document["paths"]["/pets"]["get"]["callbacks"]
    assert callbacks == {
        "onPet": {"{$request.body#/callback}": {"$ref": "#/components/pathItems/Hook"}},
        "onAdmin": {},
    }
    assert set(document["components"]["pathItems"]) == {"Hook"}
    pet = document["components"]["schemas"]["Pet"]
    assert pet["properties"] == {
        "kind": {"description": "kept"},
        "self": {"$ref": "#/components/schemas/Pet"},
    }
    assert pet["discriminator"]["mapping"] == {"pet": "#/components/schemas/Pet"}
    assert "admin" not in json.dumps(document) and "10.9.9.9" not in json.dumps(document)
    validate(document)
    # The full document offers every path, its refs resolved in it.
    full = client.get(DOCS, headers=admin_headers).get_json()
    assert {"/admin", "/admin/purge", "/pets"} <= set(full["paths"]) and "10.9.9.9" not in json.dumps(full)
    assert list(full["paths"]["/admin"]) == ["delete"] and set(full["paths"]["/pets"]) == {"get", "post"}
    assert full["components"]["schemas"]["Pet"]["properties"]["kind"]["$ref"] == (
        "#/paths/~1admin~1purge/post/requestBody"
    )
    validate(full)
