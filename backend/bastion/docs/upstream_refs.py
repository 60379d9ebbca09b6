"""The `$ref`s of an upstream's OpenAPI document: followed for path items, checked in what is served.

- A path item that is a `$ref` (to `#/components/pathItems/X`, another path, any `#/...` of the same
  document), alone or next to other fields, is read as the item it names, the fields written next to
  the `$ref` winning (OpenAPI leaves that case undefined). Refs are followed up to MAX_REF_HOPS, never
  through a cycle, and never outside the document: a remote, missing or cyclic ref adds nothing, so
  only the fields written next to it count. The reducer then keeps the item's operations as it keeps
  an inline item's, under the path that refers to it.
- A `pathItems` component some path is read through is that path's, with every operation of it: no
  other ref (a callback's) may bring it into the served document, where the role would read the
  operations its path hides.
- In the served document every `$ref` must resolve there: one to a part left out (a hidden path's
  operation, a component not kept) would name what the role may not see, and a remote one would name
  the upstream's hosts and send a docs viewer to fetch from them. Such a ref is removed, and the
  object holding it too when nothing else is left in it; a discriminator's mapping loses such entries.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import unquote

MAX_REF_HOPS = 16
MISSING = object()
PATH_ITEMS = ("components", "pathItems")


def pointer_parts(ref: Any) -> tuple[str, ...] | None:
    """The tokens of a local JSON pointer ref (`#/a/b`, RFC 6901 in a URI fragment), or None."""
    if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
        return None
    if ref == "#":
        return ()
    return tuple(unquote(p).replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/"))


def pointer_target(document: Any, parts: tuple[str, ...]) -> Any:
    """The value the pointer's tokens name in the document, or MISSING."""
    value = document
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def resolved_path_item(document: dict, item: dict) -> tuple[dict, list[tuple[str, ...]]]:
    """A path item with its `$ref` chain followed (nearer fields win), and the pointers it went through."""
    merged = {k: v for k, v in item.items() if k != "$ref"}
    through: list[tuple[str, ...]] = []
    current = item
    for _ in range(MAX_REF_HOPS):
        parts = pointer_parts(current.get("$ref"))
        if parts is None or parts in through:
            break  # no ref, a remote one, or a cycle: what is written so far is all there is
        target = pointer_target(document, parts)
        if not isinstance(target, dict):
            break
        through.append(parts)
        merged = {k: v for k, v in target.items() if k != "$ref"} | merged
        current = target
    return merged, through


def path_item_names(through: list[tuple[str, ...]]) -> set[str]:
    """The `pathItems` components among the pointers a path item was read through."""
    return {p[2] for p in through if len(p) == 3 and p[:2] == PATH_ITEMS}


def without_dangling_refs(document: dict) -> dict:
    """The served document with every `$ref` that does not resolve in it removed (until none is left)."""
    while True:
        scrub = _Scrub(document)
        cleaned = scrub.cleaned(document)
        if not scrub.removed:
            return cleaned
        document = cleaned  # a ref into what was just removed may dangle now


class _Scrub:
    """One pass over a document, removing the refs that do not resolve in it (and counting them)."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self.removed = 0
        self.known: dict[str, bool] = {}  # a document's refs repeat: each is resolved once a pass

    @functools.cached_property
    def anchors(self) -> set[str]:
        """The plain names (`$anchor`, `$dynamicAnchor`) the document's schemas define."""
        return _anchors(self.document)

    def resolves(self, ref: Any) -> bool:
        """Whether a ref names a part of the document: a JSON pointer, or a schema's plain-name anchor."""
        if not isinstance(ref, str):
            return False
        if ref not in self.known:
            self.known[ref] = self._resolves(ref)
        return self.known[ref]

    def _resolves(self, ref: str) -> bool:
        parts = pointer_parts(ref)
        if parts is not None:
            return pointer_target(self.document, parts) is not MISSING
        return ref.startswith("#") and ref[1:] in self.anchors

    def cleaned(self, value: Any) -> Any:
        """A value with its dangling refs removed; MISSING when the value was only such a ref."""
        if isinstance(value, list):
            return [v for v in map(self.cleaned, value) if v is not MISSING]
        if not isinstance(value, dict):
            return value
        dangling = "$ref" in value and not self.resolves(value["$ref"])
        self.removed += dangling
        cleaned = {}
        for key, item in value.items():
            if key == "$ref" and dangling:
                continue
            if key == "discriminator" and isinstance(item, dict) and isinstance(item.get("mapping"), dict):
                item = {**item, "mapping": self.mapping(item["mapping"])}
            kept = self.cleaned(item)
            if kept is not MISSING:
                cleaned[key] = kept
        return MISSING if dangling and not cleaned else cleaned

    def mapping(self, mapping: dict) -> dict:
        """A discriminator's mapping with only the values naming a schema served (a ref, or a kept name)."""
        schemas = _dict(_dict(self.document.get("components")).get("schemas"))
        kept = {
            k: v
            for k, v in mapping.items()
            if isinstance(v, str) and (self.resolves(v) if v.startswith("#") else v in schemas)
        }
        self.removed += len(mapping) - len(kept)
        return kept


def _anchors(document: dict) -> set[str]:
    """The plain names (`$anchor`, `$dynamicAnchor`) the document's schemas define."""
    found: set[str] = set()
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            found |= {
                v for k, v in value.items() if k in ("$anchor", "$dynamicAnchor") and isinstance(v, str)
            }
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
