"""The plain-object accessors of the current request (current.py) answer as Flask's proxies do."""

from __future__ import annotations

import pytest
from flask import Flask, current_app, g, request

from bastion import current

SENT = {"Authorization": "Bearer x", "Origin": "https://a.example", "X-Api-Key": "k", "X-Empty": ""}


@pytest.mark.parametrize(
    "name",
    [*SENT, "authorization", "x-api-key", "X-DreamFactory-Session-Token", "Content-Type", "Content-Length"],
)
def test_header_answers_like_werkzeug(name):
    app = Flask(__name__)
    with app.test_request_context("/", headers=SENT, json={"a": 1}):
        assert current.header(current.asked(), name) == request.headers.get(name)


def test_objects_are_the_proxied_ones():
    app = Flask(__name__)
    with app.test_request_context("/"):
        assert current.asked() is request._get_current_object()
        assert current.state() is g._get_current_object()
        assert current.extensions() is current_app.extensions
