"""CORS matching units: path globs, rule selection, origins, headers and preflight decisions (no database)."""

from __future__ import annotations

import fnmatch
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion import cors_syntax
from bastion.cors import build_rule_set, compile_rule, preflight_refusal
from bastion.models import CorsRule, CorsRuleCreate

SPA = "https://spa.example.com"


def rule(path: str, rule_id: int = 1, **fields) -> CorsRule:
    """A saved rule as the API would store it (validated through CorsRuleCreate)."""
    data = CorsRuleCreate(path=path, **fields)
    return CorsRule(id=rule_id, **data.model_dump())


def matched(rules: list[CorsRule], path: str, origin: str | None = None) -> int | None:
    """The id of the rule deciding for the origin; with none given, of the most specific rule on the path."""
    rule_set = build_rule_set(rules)
    found = rule_set.match(path, origin) if origin else next(iter(rule_set.covering(path)), None)
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


ALL, V2, HR = "https://all.example.com", "https://v2.example.com", "https://hr.example.com"


def test_the_longest_matching_path_that_admits_the_origin_decides():
    rules = [
        rule("*", 1, origins=[ALL]),
        rule("api/v2/*", 2, origins=[V2, ALL]),
        rule("/api/v2/hr/*", 3, origins=[HR]),
        rule("api/v2/hr/_table/salaries", 4, origins=[HR, ALL]),
    ]
    assert matched(rules, "/api/v2/hr/_table/salaries", HR) == 4
    assert matched(rules, "/api/v2/hr/_table/employees", HR) == 3
    # Rule 3 does not admit V2 or ALL, so it has no effect on them: the broader rules still decide.
    assert matched(rules, "/api/v2/hr/_table/employees", V2) == 2
    assert matched(rules, "/api/v2/hr/_table/employees", ALL) == 2
    assert matched(rules, "/api/v2/hr/_table/salaries", ALL) == 4
    assert matched(rules, "/status", ALL) == 1
    assert matched(rules, "/status", V2) is None
    assert matched(rules, "/api/v2/db", HR) is None
    assert matched(rules, "/api/v2/db", "https://stranger.example.com") is None


def test_a_rule_for_a_new_app_never_cuts_the_admin_spa_off():
    spa, demo = "https://admin.example.com", "https://demo.example.com"
    before = [rule("api/v2/*", 1, origins=[spa])]
    after = [*before, rule("api/v2/demo/*", 2, origins=[demo], methods=["GET"])]
    for rules in (before, after):
        assert matched(rules, "/api/v2/demo/_table/t", spa) == 1
        assert matched(rules, "/api/v2/system/admin", spa) == 1
    assert matched(after, "/api/v2/demo/_table/t", demo) == 2
    assert matched(after, "/api/v2/system/admin", demo) is None


def test_a_narrower_rule_that_admits_the_origin_narrows_it_and_rules_are_not_merged():
    rules = [
        rule("api/v2/*", 1, origins=[V2], methods=["GET", "POST"], headers=["Content-Type"]),
        rule("api/v2/hr/*", 2, origins=[V2, HR], methods=["GET"]),
    ]
    chosen = build_rule_set(rules).match("/api/v2/hr/_table/x", V2)
    assert chosen.id == 2 and chosen.methods == {"GET"}
    assert "POST" in preflight_refusal(chosen, "/api/v2/hr/_table/x", V2, "POST", "")
    assert "Content-Type" in preflight_refusal(chosen, "/api/v2/hr/_table/x", V2, "GET", "Content-Type")
    broader = build_rule_set(rules).match("/api/v2/db", V2)
    assert broader.id == 1 and preflight_refusal(broader, "/api/v2/db", V2, "POST", "") is None


def test_ties_go_to_fewer_wildcards_then_the_older_rule():
    rules = [rule("api/*/x", 5), rule("api/v2/*", 6), rule("api/v2/x", 7)]
    assert matched(rules, "/api/v2/x") == 7
    assert matched([rule("api/v*/x", 9), rule("api/*2/x", 8)], "/api/v2/x") == 8
    rules = [rule("api/*/x", 5, origins=[V2]), rule("api/v2/*", 6, origins=[V2]), rule("api/v2/x", 7)]
    assert matched(rules, "/api/v2/x", V2) == 6


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
    assert "Origin 'https://a.test'" in preflight_refusal(None, "/api/v2/x", "https://a.test", "GET", "")


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


@pytest.mark.parametrize(
    "origin",
    [
        "https://*.co.uk",
        "https://*.CO.UK",
        "https://*.com",
        "https://*.github.io",  # the private section: every subdomain is someone else's site
        "https://*.s3.amazonaws.com",
        "https://*.kawasaki.jp",  # a wildcard rule of the list (*.kawasaki.jp)
        "https://*.localhost",
        "http://*.internal:8080",
        "https://*.168.1.1",
        "https://*.[::1]",
    ],
)
def test_a_wildcard_directly_under_a_public_suffix_is_refused_naming_it(origin):
    with pytest.raises(ValueError) as caught:
        CorsRuleCreate(path="*", origins=["https://ok.example.com", origin])
    error = caught.value.errors()[0]
    assert error["loc"] == ("origins",) and origin in error["msg"]


@pytest.mark.parametrize(
    "origin",
    ["https://*.example.co.uk", "https://*.example.com", "https://*.octocat.github.io", "https://*.a.b.test"],
)
def test_a_wildcard_under_a_registrable_domain_is_accepted(origin):
    assert CorsRuleCreate(path="*", origins=[origin]).origins == [origin]


def test_a_stored_rule_with_a_public_suffix_wildcard_is_skipped(caplog):
    stored = CorsRule(id=5, path="api/v2/*", origins=["https://*.co.uk"], methods=["GET"])
    assert build_rule_set([stored]).match("/api/v2/x", "https://evil.co.uk") is None
    assert "CORS rule 5" in caplog.text and "public suffix" in caplog.text


def test_a_broken_stored_rule_is_skipped_not_fatal(caplog):
    broken = CorsRule(id=3, path="api/v2/*", origins=["not an origin"], methods=["GET"])
    assert matched([broken, rule("*", 4)], "/api/v2/x") == 4
    assert "CORS rule 3" in caplog.text


def test_matching_does_not_slow_down_with_a_thousand_rules():
    last = rule("api/v2/*", 2000, origins=[SPA])
    many = [rule(f"api/v2/svc{i}/_table/t{i}/*", i + 1, origins=[SPA]) for i in range(1000)] + [last]
    rule_sets = {1: build_rule_set([last]), 1000: build_rule_set(many)}
    spent = {}
    for count, rule_set in rule_sets.items():
        started = time.perf_counter()
        for n in range(2000):  # distinct paths: the per-path memo does not help
            assert rule_set.match(f"/api/v2/svc{n}/_table/x/{n}", SPA).id == 2000
        spent[count] = time.perf_counter() - started
    assert spent[1000] < spent[1] * 3 + 0.05, spent


# Path globs are matched in time linear in the path's length (a regex of `.*` runs took minutes).


def best_of(runs: int, work) -> float:
    """The fastest of a few timings: the machine is shared, and one slow run proves nothing."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


@pytest.mark.parametrize("glob", ["api/v2/*/*/*/*/x", "*a*a*a*a*b", "api/v2/*/*/*/x"])
def test_a_glob_with_many_wildcards_matches_a_huge_path_in_linear_time(glob):
    matcher = cors_syntax.Glob.compile(glob)
    path = "api/v2/" + "a/" * 1500  # no final 'x' or 'b': a backtracking matcher tries every split
    assert not matcher.matches(path)
    assert best_of(3, lambda: matcher.matches(path)) < 0.01
    assert matcher.matches(path + "x") or matcher.matches(path + "b")


def test_a_huge_path_costs_little_through_the_rule_set():
    rules = [rule("api/v2/*/*/*/*/x", 1, origins=[SPA]), rule("api/v2/hr/*", 2, origins=[SPA])]
    path = "/api/v2/" + "a/" * 1500
    assert best_of(3, lambda: build_rule_set(rules).match(path, SPA)) < 0.01


# The reference: fnmatch with only `*` as a special character (it never appears in paths).
GLOBS = st.text(alphabet="ab/*", max_size=10)
PATHS = st.text(alphabet="ab/", max_size=12)


@settings(max_examples=500)
@given(GLOBS, PATHS)
def test_the_glob_matcher_agrees_with_fnmatch(glob, path):
    # Compiling drops the glob's leading slash; the path is matched as given (already normalized).
    assert cors_syntax.Glob.compile(glob).matches(path) is fnmatch.fnmatchcase(path, glob.lstrip("/"))


@given(GLOBS, PATHS)
def test_a_leading_slash_changes_nothing(glob, path):
    expected = fnmatch.fnmatchcase(path.lstrip("/"), glob.lstrip("/"))
    for g in (glob, "/" + glob.lstrip("/")):
        for p in (path, "/" + path.lstrip("/")):
            assert cors_syntax.glob_matches(g, p) is expected


def test_long_paths_are_matched_but_not_remembered():
    rule_set = build_rule_set([rule("api/v2/*", 1, origins=[SPA])])
    for n in range(50):
        assert rule_set.match(f"/api/v2/{n}/" + "a" * 5000, SPA).id == 1
    assert rule_set.match("/api/v2/short", SPA).id == 1
    assert list(rule_set._memo) == ["api/v2/short"]
