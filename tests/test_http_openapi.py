"""The upstream's OpenAPI document of a remote HTTP service, as the platform serves it (api_docs).

The document comes from the upstream (or an admin's paste) and is served to callers the role lets read
the service's docs: it must never hand them the service's credential, nor the upstream's address, nor
paths the role does not allow; and a hostile or broken document must be a clear error, not a 5xx.
"""

from __future__ import annotations

import base64
import json

import pytest

from bastion.secrets import MASK
from tests import test_http_services
from tests.test_http_services import (
    AUTH_KINDS,
    HEADER_SECRET,
    SECRET,
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
