"""The URLs in a remote HTTP service's answer headers: the platform's path to the same resource, or dropped.

Unit tests of bastion.http_links; what a caller receives through the loopback stand-in is asserted in
tests/test_http_answers.py.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.http_links import Rebase, parse_links, rebased, rebased_header, rebased_links
from bastion.http_targets import parse_base_url

REBASE = Rebase(
    sent="https://api.internal:8443/v1/pets?page=1&key=K",
    target=parse_base_url("https://api.internal:8443/v1"),
    public="/api/v2/pets",
    withheld=frozenset({"api_key", "session_token", "key"}),
)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("https://api.internal:8443/v1/pets?page=2", "/api/v2/pets/pets?page=2"),
        ("HTTPS://API.INTERNAL.:8443/v1/pets", "/api/v2/pets/pets"),
        ("//api.internal:8443/v1/cats/1", "/api/v2/pets/cats/1"),
        ("/v1/pets/2#top", "/api/v2/pets/pets/2#top"),
        ("2", "/api/v2/pets/2"),
        ("?page=3", "/api/v2/pets/pets?page=3"),
        ("", "/api/v2/pets/pets?page=1"),  # the request itself, its key withheld
        ("/v1/pets?key=K&page=2&api_key=theirs&session_token=t", "/api/v2/pets/pets?page=2"),
        ("/v1/a%20b/%C3%A9", "/api/v2/pets/a%20b/%C3%A9"),
        ("/v1/a/./b/../c", "/api/v2/pets/a/c"),  # a relative reference's dot segments resolve (RFC 3986)
    ],
)
def test_a_url_of_the_upstream_under_its_base_becomes_the_platforms_path(reference, expected):
    assert rebased(reference, REBASE) == expected


@pytest.mark.parametrize(
    "reference",
    ["https://api.internal/v1/pets", "http://api.internal:8443/v1/pets", "https://other:8443/v1/pets"]
    + ["https://u:p@api.internal:8443/v1/pets", "https://api.internal:99999/v1/pets", "https://[::1/v1"]
    + ["/v2/pets", "/v1", "/v1/", "/v10/pets", "/", "../../admin", "/v1/../admin", "/v1/%2e%2e/admin"]
    + ["https://api.internal:8443/v1/a/./b", "https://api.internal:8443/v1/%2E/b", "/v1/a b", "/v1/\tx"]
    + ["/v1/\\x", "/v1/é", "javascript:alert(1)", "data:,x"]
    + ["mailto:a@api.internal", "http:/v1/x"],
)
def test_any_other_url_is_dropped(reference):
    assert rebased(reference, REBASE) is None


def test_a_base_url_at_the_hosts_root_takes_every_path_of_its_origin():
    root = Rebase(sent="http://127.0.0.1:8080/x", target=parse_base_url("http://127.0.0.1:8080"), public="/p")
    assert rebased("http://127.0.0.1:8080/elsewhere?a=1", root) == "/p/elsewhere?a=1"
    assert rebased("http://127.0.0.1/elsewhere", root) is None
    assert rebased("http://127.0.0.1:8080", root) is None and rebased("/", root) is None


def test_links_keep_their_relation_and_description_on_the_platforms_url():
    value = (
        '<https://api.internal:8443/v1/pets?page=2&key=K>; rel="next"; title="Page, two \\"b\\""; '
        "type=application/json; hreflang=en; title*=UTF-8'de'n%c3%a4chste, "
        "</v1/pets?page=9>;rel=last"
    )
    assert rebased_links(value, REBASE) == (
        '</api/v2/pets/pets?page=2>; rel="next"; title="Page, two \\"b\\""; title*=UTF-8\'de\'n%c3%a4chste; '
        'type="application/json"; hreflang="en", </api/v2/pets/pets?page=9>; rel="last"'
    )


@pytest.mark.parametrize(
    "link",
    [
        '<https://elsewhere.example/v1/pets>; rel="next"',  # another host
        '</v2/pets>; rel="next"',  # outside the base path
        "</v1/pets>",  # no relation
        '</v1/pets>; rel="preload"; as="script"',  # a browser acts on it
        '</v1/pets>; rel="https://api.internal:8443/rels/thing"',  # an extension relation names a host
        '</v1/pets>; rel="next"; anchor="https://api.internal:8443/v1/other"',
    ],
)
def test_a_link_elsewhere_or_that_a_browser_acts_on_is_dropped(link):
    assert rebased_links(link, REBASE) is None
    kept = '</v1/pets?page=2>; rel="next"'
    assert rebased_links(f"{link}, {kept}", REBASE) == '</api/v2/pets/pets?page=2>; rel="next"'


def test_a_link_keeps_only_its_registered_safe_relations_and_known_parameters():
    value = '</v1/pets>; rel="next preload http://x/y NEXT"; rel=prev; media=print; x-backend="10.0.0.5"'
    assert rebased_links(value, REBASE) == '</api/v2/pets/pets>; rel="next"'
    assert rebased_links('</v1/p>; rel=next; title="a\x01b"', REBASE) == '</api/v2/pets/p>; rel="next"'
    bad_ext = "</v1/p>; rel=next; title*=not-an-ext-value"
    assert rebased_links(bad_ext, REBASE) == '</api/v2/pets/p>; rel="next"'


@pytest.mark.parametrize(
    "value",
    ["", "https://api.internal:8443/v1/pets", "</v1/pets> rel=next", '</v1/pets>; rel="next']
    + ["</v1/<x>>; rel=a"]
    + ["</v1/pets>; rel=next,", "</v1/pets>; rel=next; </v1/x>; rel=prev", "</v1/pets>; =x", "<" * 5000],
)
def test_a_malformed_link_value_is_dropped_whole(value):
    assert parse_links(value) is None
    assert rebased_links(value, REBASE) is None


def test_location_and_content_location_are_single_urls():
    assert rebased_header("location", " /v1/pets/7 ", REBASE) == "/api/v2/pets/pets/7"
    assert rebased_header("content-location", "https://api.internal:8443/v1/pets/7", REBASE) == (
        "/api/v2/pets/pets/7"
    )
    assert rebased_header("content-location", "https://cdn.internal/pets/7", REBASE) is None
    assert rebased_header("location", " ", REBASE) is None  # not the request's own URL


PIECES = st.sampled_from(["<", ">", ";", ",", "=", '"', "\\", "/", "//", "#", "?", "&", " ", "\t", ":", "%"])
PIECES |= st.sampled_from(["https://api.internal:8443", "/v1/", "rel", "next", "anchor", "title*", "key=K"])


@settings(max_examples=400, deadline=None)
@given(
    st.lists(PIECES | st.just("..") | st.text(max_size=4), max_size=30).map("".join),
    st.sampled_from(["link", "location"]),
)
def test_any_value_is_either_dropped_or_points_at_the_platform(value, name):
    """Never an exception (a 500), and whatever is kept names only the service's path on the platform."""
    kept = rebased_header(name, value, REBASE)
    if kept is None:
        return
    urls = [kept] if name == "location" else [url for url, _ in parse_links(kept) or [("unparsable", [])]]
    for url in urls:
        parts = urlsplit(url)
        assert url.startswith("/api/v2/pets/") and not parts.netloc, url
        assert not {n for n, _ in parse_qsl(parts.query, keep_blank_values=True)} & REBASE.withheld, url
