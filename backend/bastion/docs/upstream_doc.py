"""An upstream's OpenAPI document as the platform accepts it: a JSON object of bounded depth and paths.

The platform reads a remote API's document (reduces it per role, searches it for the service's secrets)
before serving it. One nested deeper than MAX_DEPTH would run Python's recursion out in any of those (a
500), and one with more than MAX_PATHS paths would make every docs request seconds of work: both are
refused, saying which, at save when pasted and when fetched from a URL. The document is JSON only: a YAML
one is refused with a hint to convert it.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64
MAX_PATHS = 10_000


class DocumentRefused(ValueError):
    """An upstream document the platform will not read; the message says why (after "document ...")."""


def parse_document(text: str | bytes) -> dict:
    """The document in a JSON text, checked (check_document), or DocumentRefused."""
    try:
        document = json.loads(text)
    except RecursionError:
        raise DocumentRefused(f"is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        raise DocumentRefused("is not JSON (a YAML document must be converted to JSON)") from None
    check_document(document)
    return document


def check_document(document: Any) -> None:
    """DocumentRefused unless the document is a JSON object within MAX_DEPTH and MAX_PATHS."""
    if not isinstance(document, dict):
        raise DocumentRefused("is not a JSON object")
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DocumentRefused(f"is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    paths = document.get("paths", {})
    if not isinstance(paths, dict):
        raise DocumentRefused("has 'paths' that are not an object")
    if len(paths) > MAX_PATHS:
        raise DocumentRefused(f"has more than {MAX_PATHS} paths")
