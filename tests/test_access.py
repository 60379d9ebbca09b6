"""The access decision (DESIGN §4): effective role, most-specific-wins, verbs, filters, placeholders."""

from __future__ import annotations

import pytest

from bastion import access, components
from bastion.access import (
    RowFilter,
    decide_for,
    ensure,
    has_docs_grant,
    matching_entries,
    reaches,
    table_access,
)
from bastion.access_index import AccessIndex, AppSnapshot, RoleSnapshot
from bastion.auth import Identity
from bastion.errors import Forbidden, Unauthorized
from bastion.models import User
from bastion.models_access import AccessEntry


def entry(component, verbs, service="hr", **extra):
    return AccessEntry(service=service, component=component, verbs=verbs, **extra)


def role(*entries, role_id=1, active=True):
    return RoleSnapshot(role_id, f"role{role_id}", active, tuple(entries))


def index_with(*roles, app_role=1, user_roles=None):
    app = AppSnapshot(10, "app", app_role, True)
    other = AppSnapshot(11, "other", None, True)
    return AccessIndex({}, {10: app, 11: other}, {r.id: r for r in roles}, user_roles or {})


USER = User(id=7, email="u@example.com", name="U", password_hash="x")


def decide(identity, index, verb, service, component):
    return ensure(identity=identity, verb=verb, service=service, component=component, index=index)


def allowed(index, verb, component, service="hr", user=None, app_id=10):
    identity = Identity(user=user, app=index.apps[app_id])
    return decide_for(identity, index, verb, service, component).allowed


@pytest.mark.parametrize(
    ("components", "wanted", "expected"),
    [
        (["*", "_table/*", "_table/employees"], "_table/employees", "_table/employees"),
        (["*", "_table/*"], "_table/employees", "_table/*"),
        (["*", "_table/*", "_table/employees/*"], "_table/employees", "_table/employees/*"),
        (["*"], "_table/employees", "*"),
        (["_table/*"], "_table", "_table/*"),
        (["_schema/*"], "_table/employees", None),
        (["_table/EMPLOYEES"], "_table/employees", "_table/EMPLOYEES"),
        (["_table/emp*"], "_table/employees", None),
    ],
)
def test_most_specific_level(components, wanted, expected):
    found = matching_entries(role(*[entry(c, ["GET"]) for c in components]), "hr", wanted)
    assert (found[0].component if found else None) == expected


def test_specific_entry_narrows_a_broad_one():
    index = index_with(role(entry("_table/*", ["GET", "POST"]), entry("_table/salaries", [])))
    assert allowed(index, "POST", "_table/employees")
    assert not allowed(index, "GET", "_table/salaries")


def test_service_entries_beat_all_service_entries():
    index = index_with(role(entry("*", ["GET"], service=None), entry("_table/x", ["POST"])))
    assert allowed(index, "GET", "_table/y")
    assert not allowed(index, "GET", "_table/x")
    assert allowed(index, "GET", "_table/x", service="other")


def test_user_role_for_the_app_wins_and_never_another_apps_role():
    reader, writer = role(entry("*", ["GET"]), role_id=1), role(entry("*", ["DELETE"]), role_id=2)
    index = index_with(reader, writer, user_roles={(7, 10): 2, (7, 11): 1})
    assert allowed(index, "DELETE", "_table/x", user=USER)
    assert not allowed(index, "GET", "_table/x", user=USER)
    # App 11 has no default role; the user's role there is reader; app 10's default role is not used.
    assert allowed(index, "GET", "_table/x", user=USER, app_id=11)
    assert not allowed(index, "DELETE", "_table/x", user=USER, app_id=11)


def test_inactive_role_and_no_role_deny():
    assert not allowed(index_with(role(entry("*", ["GET"]), active=False)), "GET", "_table/x")
    assert not allowed(index_with(role(entry("*", ["GET"])), app_role=None), "GET", "_table/x")


def test_placeholders_resolve_and_need_a_user():
    filters = [
        {"name": "owner_id", "operator": "=", "value": "{user.id}"},
        {"name": "email", "operator": "like", "value": "%{user.email}"},
    ]
    index = index_with(role(entry("_table/x", ["GET"], filters=filters, fields=["id", "owner_id"])))
    grant = decide(Identity(user=USER, app=index.apps[10]), index, "GET", "hr", "_table/x")
    like = RowFilter("email", "like", "%u@example.com", escape="/")  # the placeholder's wildcards are escaped
    assert grant.filters == (RowFilter("owner_id", "=", 7), like)
    assert grant.fields == frozenset({"id", "owner_id"})
    with pytest.raises(Forbidden):
        decide(Identity(user=None, app=index.apps[10]), index, "GET", "hr", "_table/x")


def test_decisions_without_placeholders_are_remembered_per_role_snapshot():
    fixed = entry("_table/x", ["GET"], filters=[{"name": "id", "operator": ">", "value": 0}])
    index = index_with(role(fixed, entry("_table/y", ["GET"])))
    identity = Identity(user=None, app=index.apps[10])
    first = decide_for(identity, index, "GET", "hr", "_table/x")
    assert first.allowed and first.grant.filters == (RowFilter("id", ">", 0),)
    assert decide_for(identity, index, "GET", "hr", "_table/x") is first
    assert decide_for(identity, index, "DELETE", "hr", "_table/x") is not first  # verb is in the key
    assert not decide_for(identity, index, "DELETE", "hr", "_table/x").allowed
    changed = index_with(role(entry("_table/x", ["DELETE"])))  # the role edited: a new snapshot
    assert not decide_for(Identity(user=None, app=changed.apps[10]), changed, "GET", "hr", "_table/x").allowed


def test_decisions_with_placeholders_are_made_for_each_caller():
    filters = [{"name": "owner_id", "operator": "=", "value": "{user.id}"}]
    index = index_with(role(entry("_table/x", ["GET"], filters=filters)))
    other = User(id=8, email="o@example.com", name="O", password_hash="x")
    for user, owner in ((USER, 7), (other, 8), (USER, 7)):
        grant = decide(Identity(user=user, app=index.apps[10]), index, "GET", "hr", "_table/x")
        assert grant.filters == (RowFilter("owner_id", "=", owner),)
    with pytest.raises(Forbidden):
        decide(Identity(user=None, app=index.apps[10]), index, "GET", "hr", "_table/x")
    assert not index.roles[1].decisions


def test_remembered_decisions_are_bounded(monkeypatch):
    monkeypatch.setattr(access, "DECISIONS_LIMIT", 3)
    index = index_with(role(entry("*", ["GET"])))
    identity = Identity(user=None, app=index.apps[10])
    for n in range(10):
        assert decide_for(identity, index, "GET", "hr", f"_table/t{n}").allowed
    assert 1 <= len(index.roles[1].decisions) <= 3


def test_denials_say_what_and_credentials_are_401():
    index = index_with(role(entry("_table/x", ["GET"])))
    with pytest.raises(Forbidden, match="DELETE on component '_table/x' of service 'hr' is not allowed"):
        decide(Identity(user=None, app=index.apps[10]), index, "DELETE", "hr", "_table/x")
    with pytest.raises(Unauthorized):
        decide(Identity(user=None, app=None), index, "GET", "hr", "_table/x")
    with pytest.raises(Unauthorized, match="API key"):
        decide(Identity(user=USER, app=None), index, "GET", "hr", "_table/x")


def test_reaches_follows_the_one_decision():
    index = index_with(role(entry("_table/x", ["GET"]), entry("*", [], service="hr2")))
    identity = Identity(user=None, app=index.apps[10])
    names = ("hr", "hr2", "crm")
    reached = [s for s in names if reaches(identity=identity, service=s, kind="sql", index=index)]
    assert reached == ["hr"]


def test_a_specific_denial_leaves_a_service_reachable_but_an_empty_one_does_not():
    broad_then_narrow = index_with(role(entry("*", ["GET"], service=None), entry("_table/salaries", [])))
    only_denials = index_with(role(entry("_table/salaries", []), entry("*", [])))
    app = broad_then_narrow.apps[10]
    assert reaches(identity=Identity(user=None, app=app), service="hr", kind="sql", index=broad_then_narrow)
    assert not reaches(identity=Identity(user=None, app=app), service="hr", kind="sql", index=only_denials)


@pytest.mark.parametrize(
    ("component", "reached"),
    [
        ("statuses/*", ["http"]),  # a path names nothing a database service has
        ("statuses", ["http"]),
        ("_table/*", ["sql"]),  # a table names nothing a remote API has
        ("_table/x", ["sql"]),
        ("_schema/x", ["sql"]),
        ("*", ["sql", "http"]),
        ("", ["sql", "http"]),  # both have a root
    ],
)
def test_an_all_services_entry_reaches_only_services_of_its_kind(component, reached):
    index = index_with(role(entry(component, ["GET"], service=None)))
    identity = Identity(user=None, app=index.apps[10])
    kinds = ("sql", "http")
    assert [k for k in kinds if reaches(identity=identity, service="svc", kind=k, index=index)] == reached
    # A role-built document is made of tables, or of paths: never of the other kind either.
    documented = [
        k for k in kinds if reaches(identity=identity, service="svc", kind=k, tables_only=True, index=index)
    ]
    assert documented == [k for k in reached if component not in ("", "_schema/x")]


def test_an_all_services_entry_is_no_docs_grant():
    index = index_with(role(entry("*", ["GET"], service=None)))
    identity = Identity(user=None, app=index.apps[10])
    assert not has_docs_grant(identity=identity, service="hr", index=index)
    assert not allowed(index, "GET", "hr", service="api_docs")
    named = index_with(role(entry("hr", ["GET"], service="api_docs")))
    assert has_docs_grant(identity=Identity(user=None, app=named.apps[10]), service="hr", index=named)
    assert not has_docs_grant(identity=Identity(user=None, app=named.apps[10]), service="crm", index=named)


def test_a_grant_covers_only_the_table_it_names_when_case_tells_tables_apart():
    index = index_with(role(entry("_table/items", ["GET"])))
    identity = Identity(user=None, app=index.apps[10])
    sole = components.table("Items", folds=True)  # the only table called items in any case
    twin = components.table("Items", folds=False)  # "items" exists too
    assert decide_for(identity, index, "GET", "hr", sole).allowed
    assert not decide_for(identity, index, "GET", "hr", twin).allowed
    assert decide_for(identity, index, "GET", "hr", components.table("items", folds=False)).allowed


def test_schema_follows_data_access():
    index = index_with(
        role(
            entry("*", ["GET"], service=None),
            entry("_table/salaries", []),
            entry("_table/x", ["POST"], fields=["a"]),
        )
    )
    identity = Identity(user=None, app=index.apps[10])
    hidden = table_access(identity=identity, service="hr", table="salaries", index=index)
    assert hidden.verbs == {} and hidden.schema is None
    posted = table_access(identity=identity, service="hr", table="x", index=index)
    assert set(posted.verbs) == {"POST"} and posted.schema.fields == frozenset({"a"})


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", components.ROOT_COMPONENT),
        ("*", components.Component("*")),
        ("_table", components.Component("_table")),
        ("_table/*", components.Component("_table", wildcard=True)),
        ("_table/a/b", components.Component("_table", "a/b")),
        ("_table/a/*", components.Component("_table", "a", True)),
        ("_schema/a", components.Component("_schema", "a")),
        ("_schema/a/*", None),
        ("_table/", None),
        # Anything else is a path of a remote HTTP service (issue 20); role saving refuses it on SQL ones.
        ("x", components.Component("/", "x", folds=False)),
        ("_tables/a", components.Component("/", "_tables/a", folds=False)),
        ("statuses/*", components.Component("/", "statuses", True, folds=False)),
        ("a//b", None),
        ("a/*/b", None),
        ("a/../b", None),
        ("/a", None),
    ],
)
def test_component_grammar(text, parsed):
    assert components.parse(text) == parsed
    if parsed is not None:
        assert str(parsed) == text
    assert (components.problem(text, paths=False) is None) == (parsed is not None and parsed.resource != "/")


def test_path_components_match_exactly_else_the_longest_prefix_first():
    entries = ["*", "statuses/*", "statuses/private/*", "statuses/home"]

    def best(path: str) -> list[str]:
        return components.most_specific(entries, components.path(path), lambda e: e)

    assert best("statuses/home") == ["statuses/home"]
    assert best("statuses") == ["statuses/*"]
    assert best("statuses/home/x") == ["statuses/*"]
    assert best("statuses/private/dm") == ["statuses/private/*"]
    assert best("statusesX") == ["*"]
    assert best("Statuses/home") == ["*"]  # paths compare exactly


def test_verb_mask_alias():
    assert AccessEntry.model_validate({"component": "*", "verb_mask": 1 | 16}).verbs == ["GET", "DELETE"]
