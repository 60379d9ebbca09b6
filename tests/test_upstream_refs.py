"""Local `$ref`s of an upstream OpenAPI document (bastion.docs.upstream_refs); served documents are
asserted through the loopback stand-in in tests/test_http_openapi.py."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.docs.upstream_refs import (
    MAX_REF_HOPS,
    MISSING,
    _anchors,
    pointer_parts,
    pointer_target,
    resolved_path_item,
    without_dangling_refs,
)


def test_a_pointer_is_unescaped_as_a_uri_fragment_then_as_json_pointer():
    assert pointer_parts("#/paths/~1pets~1%7Bid%7D/get") == ("paths", "/pets/{id}", "get")
    assert pointer_parts("#/a~0b/~01") == ("a~b", "~1")
    assert pointer_parts("#") == ()
    for remote in ("https://x/doc.json#/a", "doc.json#/a", "#anchor", None, 3):
        assert pointer_parts(remote) is None


def test_a_path_item_chain_is_followed_with_nearer_fields_winning_and_bounded():
    chain = {f"I{i}": {"$ref": f"#/c/I{i + 1}", f"f{i}": i} for i in range(MAX_REF_HOPS + 5)}
    document = {"c": chain, "list": [{"get": {}}]}
    item, through = resolved_path_item(document, {"$ref": "#/c/I0", "f0": "here"})
    assert item["f0"] == "here" and len(through) == MAX_REF_HOPS
    assert f"f{MAX_REF_HOPS - 1}" in item and f"f{MAX_REF_HOPS}" not in item
    assert resolved_path_item(document, {"$ref": "#/list/0"})[0] == {"get": {}}
    assert resolved_path_item(document, {"$ref": "#/list/7", "put": {}})[0] == {"put": {}}


def test_dangling_refs_go_and_so_do_refs_that_only_led_to_them():
    document = {
        "a": [{"$ref": "#/gone"}, {"$ref": "#/b"}, 1],
        "b": {"$ref": "#/gone", "description": "stays"},
        "c": {"x": {"$ref": "#/d/y"}},
        "d": {"y": {"$ref": "#/nowhere"}},
        "e": {"$ref": "#thing"},
        "f": {"$anchor": "thing", "g": {"$ref": "#other"}},
    }
    assert without_dangling_refs(document) == {
        "a": [{"$ref": "#/b"}, 1],
        "b": {"description": "stays"},
        "c": {},
        "d": {},
        "e": {"$ref": "#thing"},
        "f": {"$anchor": "thing"},
    }


REFS = st.sampled_from(["#/a", "#/a/0", "#/b/x", "#/b/x/$ref", "#/gone", "#", "#name", "https://h", "#/c~1d"])
JSON = st.recursive(
    st.none() | st.integers() | st.text(max_size=3) | st.builds(lambda r: {"$ref": r}, REFS),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "x", "c/d", "$ref", "$anchor", "discriminator"]), inner)
        | st.builds(lambda r: {"mapping": {"k": r}}, REFS)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c/d", "components"]), JSON))
def test_every_ref_left_resolves_in_what_is_left(document):
    cleaned = without_dangling_refs(document)
    stack = [cleaned]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if "$ref" in value:
                parts = pointer_parts(value["$ref"])
                anchored = isinstance(value["$ref"], str) and value["$ref"][1:] in _anchors(cleaned)
                assert anchored or (parts is not None and pointer_target(cleaned, parts) is not MISSING)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
