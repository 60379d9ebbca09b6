"""DreamFactory's names of a CORS rule's fields, accepted on input and given back on output (DESIGN §11).

DreamFactory stores `origin`, `header` and `exposed_header` as comma strings and `method` as a verb mask
(GET 1, POST 2, PUT 4, PATCH 8, DELETE 16, OPTIONS 32, HEAD 64) that it reads back as a list. A body may
carry both spellings of a field, as a client that sends back what it read does; they must then agree.
"""

from __future__ import annotations

from typing import Any

from bastion.cors_syntax import split_list
from bastion.errors import ValidationError

# DreamFactory's name -> Bastion's.
ALIASES = {"origin": "origins", "header": "headers", "exposed_header": "exposed_headers", "method": "methods"}
METHOD_BITS = {"GET": 1, "POST": 2, "PUT": 4, "PATCH": 8, "DELETE": 16, "OPTIONS": 32, "HEAD": 64}
MAX_MASK = sum(METHOD_BITS.values())


def _methods_from_mask(mask: Any) -> Any:
    if isinstance(mask, bool) or not isinstance(mask, int):
        return mask
    if not 0 <= mask <= MAX_MASK:
        raise ValidationError({"method": f"a verb mask is a whole number from 0 to {MAX_MASK}"})
    return [verb for verb, bit in METHOD_BITS.items() if mask & bit]


def _same(left: Any, right: Any) -> bool:
    """Whether two spellings of a list field say the same, case and spaces aside."""

    def norm(value: Any) -> Any:
        items = split_list(value)
        return [str(i).strip().lower() for i in items] if isinstance(items, list) else items

    return norm(left) == norm(right)


def from_dreamfactory(item: Any) -> Any:
    """A rule body with DreamFactory's field names turned into Bastion's."""
    if not isinstance(item, dict) or not any(alias in item for alias in ALIASES):
        return item
    item = dict(item)
    for alias, ours in ALIASES.items():
        if alias not in item:
            continue
        value = item.pop(alias)
        if alias == "method":
            value = _methods_from_mask(value)
        if value is None:
            continue
        if ours in item and not _same(item[ours], value):
            raise ValidationError({alias: f"differs from '{ours}': send one of them"})
        item.setdefault(ours, value)
    return item


def with_dreamfactory_names(body: dict) -> dict:
    """A rule's JSON form with DreamFactory's fields next to Bastion's."""
    return {
        **body,
        "origin": ",".join(body["origins"]),
        "header": ",".join(body["headers"]),
        "exposed_header": ",".join(body["exposed_headers"]),
        "method": list(body["methods"]),
    }
