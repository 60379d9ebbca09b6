"""The full-document cache (docs/cache.py) keeps the documents used last and never grows past its bound."""

from __future__ import annotations

from bastion.docs.cache import DocumentCache


def test_the_least_recently_used_document_goes_first_and_the_rest_stay():
    cache = DocumentCache(max_documents=2)
    built: list[str] = []

    def build(name):
        def make():
            built.append(name)
            return {"name": name}

        return make

    assert cache.get("a", build("a")) == {"name": "a"}
    cache.get("b", build("b"))
    cache.get("a", build("a"))  # kept: not built again, and now the most recent
    cache.get("c", build("c"))  # drops b, the least recently used, and only b
    cache.get("a", build("a"))
    cache.get("b", build("b"))
    assert built == ["a", "b", "c", "b"]
    assert len(cache) == 2
