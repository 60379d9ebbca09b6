"""CORS matching units: path globs, specificity, origins, headers and preflight decisions (no database)."""

from __future__ import annotations

import time

import pytest

from bastion import cors_syntax
from bastion.cors import build_rule_set, compile_rule, preflight_refusal
from bastion.models import CorsRule, CorsRuleCreate


def rule(path: str, rule_id: int = 1, **fields) -> CorsRule:
    """A saved rule as the API would store it (validated through CorsRuleCreate)."""
    data = CorsRuleCreate(path=path, **fields)
    return CorsRule(id=rule_id, **data.model_dump())


def matched(rules: list[CorsRule], path: str) -> int | None:
    found = build_rule_set(rules).match(path)
    return found.id if found else None


@pytest.mark.parametrize(
    ("glob", "path", "hit"),
    [
        ("api/v2/*", "/api/v2/db/_table/t", True),
        ("/api/v2/*", "/api/v2/db/_table/t", True),
        ("/api/v2/db", "/api/v2/db", True),
        ("api/v2/db", "/api/v2/db", True),
        ("api/v2/db", "/api/v2/db/_table", False),
        ("api/v2/db", "/api/v2/dbx", False),
        ("*", "/api/v2/system/admin", True),
        ("/*", "/api/v2/anything", True),
        ("api/v2/*/_table/employees", "/api/v2/hr/_table/employees", True),
        ("api/v2/*/_table/employees", "/api/v2/hr/_table/salaries", False),
        ("api/v2/db.x", "/api/v2/dbyx", False),  # the dot is literal, not a regex
        ("api/v2/(a)", "/api/v2/(a)", True),
        ("API/v2/*", "/api/v2/db", False),  # URL paths are case-sensitive
    ],
)
def test_path_globs_with_and_without_the_leading_slash(glob, path, hit):
    assert (matched([rule(glob)], path) == 1) is hit


def test_the_longest_matching_path_wins_and_rules_are_not_merged():
    rules = [
        rule("*", 1, origins=["https://all.example.com"]),
        rule("api/v2/*", 2, origins=["https://v2.example.com"]),
        rule("/api/v2/hr/*", 3, origins=["https://hr.example.com"]),
        rule("api/v2/hr/_table/salaries", 4),
    ]
    assert matched(rules, "/api/v2/hr/_table/salaries") == 4
    assert matched(rules, "/api/v2/hr/_table/employees") == 3
    assert matched(rules, "/api/v2/db") == 2
    assert matched(rules, "/status") == 1
    chosen = build_rule_set(rules).match("/api/v2/hr/_table/x")
    assert chosen.allows_origin("https://hr.example.com")
    assert not chosen.allows_origin("https://v2.example.com")  # not merged with the broader rule


def test_ties_go_to_fewer_wildcards_then_the_older_rule():
    rules = [rule("api/*/x", 5), rule("api/v2/*", 6), rule("api/v2/x", 7)]
    assert matched(rules, "/api/v2/x") == 7
    assert matched([rule("api/v*/x", 9), rule("api/*2/x", 8)], "/api/v2/x") == 8


def test_disabled_rules_are_skipped():
    rules = [rule("api/v2/*", 1), rule("api/v2/hr/*", 2, enabled=False)]
    assert matched(rules, "/api/v2/hr/_table/t") == 1
    assert matched([rule("api/v2/hr/*", 2, enabled=False)], "/api/v2/hr/x") is None


def test_no_rule_matches_nothing():
    assert matched([], "/api/v2/db") is None
    assert matched([rule("api/v2/db/*", 1)], "/api/v2/hr/x") is None


@pytest.mark.parametrize(
    ("allowed", "origin", "hit"),
    [
        ("https://*.example.com", "https://a.example.com", True),
        ("https://*.example.com", "https://a.b.example.com", True),
        ("https://*.example.com", "https://example.com", False),
        ("https://*.example.com", "https://a.example.com.evil.io", False),
        ("https://*.example.com", "https://evil-example.com", False),
        ("https://*.example.com", "http://a.example.com", False),
        ("https://*.example.com", "https://a.example.com:8443", False),
        ("https://*.example.com:8443", "https://a.example.com:8443", True),
        ("https://app.example.com", "https://app.example.com", True),
        ("https://app.example.com", "HTTPS://App.Example.COM", True),
        ("HTTPS://APP.example.com", "https://app.example.com", True),
        ("https://app.example.com", "https://app.example.com:443", True),
        ("https://app.example.com:443", "https://app.example.com", True),
        ("https://app.example.com", "https://app.example.com/", False),
        ("http://localhost:5173", "http://localhost:5174", False),
        ("http://localhost:5173", "https://localhost:5173", False),
        ("http://localhost:5173", "http://127.0.0.1:5173", False),
        ("http://[::1]:8080", "http://[::1]:8080", True),
        ("*", "https://anything.test", True),
    ],
)
def test_origin_matching(allowed, origin, hit):
    assert compile_rule(rule("*", origins=[allowed])).allows_origin(origin) is hit


def test_origin_lists_are_trimmed_and_may_be_comma_separated():
    saved = CorsRuleCreate(path="*", origins=" https://a.test ,http://b.test:8080,, ")
    assert saved.origins == ["https://a.test", "http://b.test:8080"]
    compiled = compile_rule(rule("*", origins=["  https://a.test  ", "https://c.test, https://d.test"]))
    assert all(compiled.allows_origin(o) for o in ("https://a.test", "https://c.test", "https://d.test"))


def test_header_names_compare_case_insensitively():
    compiled = compile_rule(rule("*", origins=["https://a.test"], headers=["Content-Type", "X-API-KEY"]))
    assert compiled.refused_headers(["content-type", "x-api-key", "CONTENT-TYPE"]) == []
    assert compiled.refused_headers(["Authorization"]) == ["Authorization"]
    assert compile_rule(rule("*", headers=["*"])).refused_headers(["X-Anything"]) == []


def test_preflight_decisions():
    compiled = compile_rule(
        rule("api/v2/*", origins=["https://a.test"], methods=["GET", "POST"], headers=["Content-Type"])
    )

    def refusal(origin="https://a.test", method="POST", headers="content-type"):
        return preflight_refusal(compiled, "/api/v2/x", origin, method, headers)

    assert refusal() is None
    assert refusal(method="get", headers="") is None
    assert "Method 'DELETE'" in refusal(method="DELETE")
    assert "X-Custom" in refusal(headers="Content-Type, X-Custom")
    assert "Origin 'https://b.test'" in refusal(origin="https://b.test")
    assert "No CORS rule" in preflight_refusal(None, "/api/v2/x", "https://a.test", "GET", "")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("origins", ["ftp://a.test"]),
        ("origins", ["https://a.test/path"]),
        ("origins", ["a.test"]),
        ("origins", ["https://*.com"]),
        ("origins", ["https://a.test:70000"]),
        ("methods", ["FETCH"]),
        ("headers", ["X Bad"]),
        ("exposed_headers", ["X:Bad"]),
        ("max_age", -1),
        ("max_age", cors_syntax.MAX_AGE_LIMIT + 1),
        ("path", "api/v2/x?y=1"),
        ("path", "/"),
        ("path", " "),
    ],
)
def test_bad_fields_are_refused_naming_the_field(field, value):
    fields = {"path": "api/v2/*", field: value}
    with pytest.raises(ValueError) as caught:
        CorsRuleCreate(**fields)
    assert caught.value.errors()[0]["loc"][0] == field


def test_a_broken_stored_rule_is_skipped_not_fatal(caplog):
    broken = CorsRule(id=3, path="api/v2/*", origins=["not an origin"], methods=["GET"])
    assert build_rule_set([broken, rule("*", 4)]).match("/api/v2/x").id == 4
    assert "CORS rule 3" in caplog.text


def test_matching_does_not_slow_down_with_a_thousand_rules():
    many = [rule(f"api/v2/svc{i}/_table/t{i}/*", i + 1) for i in range(1000)] + [rule("api/v2/*", 2000)]
    rule_sets = {1: build_rule_set([rule("api/v2/*", 2000)]), 1000: build_rule_set(many)}
    spent = {}
    for count, rule_set in rule_sets.items():
        started = time.perf_counter()
        for n in range(2000):  # distinct paths: the per-path memo does not help
            assert rule_set.match(f"/api/v2/svc{n}/_table/x/{n}").id == 2000
        spent[count] = time.perf_counter() - started
    assert spent[1000] < spent[1] * 3 + 0.05, spent
