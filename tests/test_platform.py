"""The platform's Flask class (platform.py) and its orjson provider (json_provider.py) change speed only."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from decimal import Decimal

from flask import Flask
from werkzeug.datastructures import ImmutableMultiDict

from bastion.platform import Platform, QueryArgs


def test_query_args_answer_like_werkzeugs():
    pairs = [("a", "1"), ("a", "2"), ("b", "x"), ("empty", "")]
    ours, theirs = QueryArgs(pairs), ImmutableMultiDict(pairs)
    for key in ("a", "b", "empty", "missing"):
        assert ours.get(key) == theirs.get(key)
        assert ours.get(key, "default") == theirs.get(key, "default")
        assert ours.getlist(key) == theirs.getlist(key)
    assert ours.get("a", type=int) == 1
    assert ours.get("b", -1, type=int) == -1  # a value the type refuses gives the default


def test_requests_carry_query_args_and_hooks_run_each_time():
    app = Platform(__name__)
    seen = []
    app.before_request(lambda: seen.append("before"))

    @app.get("/")
    def index():
        from flask import request

        return {"kind": type(request.args).__name__, "x": request.args.get("x", "none")}

    client = app.test_client()
    for _ in range(3):
        assert client.get("/?y=1").get_json() == {"kind": "QueryArgs", "x": "none"}
    assert seen == ["before"] * 3
    assert app.ensure_sync(index) is app.ensure_sync(index)


@dataclasses.dataclass
class Point:
    x: int
    y: int


SAMPLES = {
    "plain": {"text": "héllo ✓", "n": 3, "f": 1.5, "ok": True, "none": None, "list": [1, "a"]},
    "dates": {"day": dt.date(2024, 2, 29), "moment": dt.datetime(2024, 2, 29, 8, 30, tzinfo=dt.UTC)},
    "decimal_uuid": {"d": Decimal("1.10"), "u": uuid.UUID(int=7)},
    "dataclass": {"p": Point(1, 2)},
    "int_keys": {1: "one", 2: "two"},
    "big_int": {"n": 2**70},
}


def test_responses_hold_the_same_documents_as_flasks_encoder():
    ours, theirs = Platform(__name__), Flask(__name__)
    for name, sample in SAMPLES.items():
        with ours.app_context():
            body = ours.json.response(sample).get_data()
        with theirs.app_context():
            expected = theirs.json.response(sample).get_data()
        assert json.loads(body) == json.loads(expected), name
        assert body.endswith(b"\n")
    with ours.app_context():
        assert ours.json.dumps({"b": 1, "a": 2}) == '{"b":1,"a":2}'  # column order kept, compact
        assert json.loads(ours.json.dumps({"x": 1}, indent=2)) == {"x": 1}
