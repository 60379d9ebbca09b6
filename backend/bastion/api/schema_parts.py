"""DreamFactory's parts of a table's schema: `_schema/<t>/_field[/<f>]`, `_schema/<t>/<f>` and
`_schema/<t>/_related[/<r>]`, each cut from the description the caller may see (api/data._described), so a
hidden column or an unreadable relationship is the same 404 as one that does not exist."""

from __future__ import annotations

from typing import Any

from bastion.errors import NotFound

FIELDS, RELATED = "_field", "_related"


def part_of(described: dict[str, Any], part: list[str]) -> dict[str, Any]:
    """The part of a table's description that the segments after its name ask for."""
    table = described["name"]
    if not part:
        return described
    if part == [FIELDS]:
        return {"resource": described["field"]}
    if part == [RELATED]:
        return {"resource": described["related"]}
    if len(part) == 2 and part[0] == FIELDS or len(part) == 1 and not part[0].startswith("_"):
        return _named(described["field"], part[-1], f"Field '{part[-1]}' not found in table '{table}'")
    if len(part) == 2 and part[0] == RELATED:
        message = f"Relationship '{part[1]}' not found in table '{table}'"
        return _named(described["related"], part[1], message)
    raise NotFound(f"No such resource: '{'/'.join([table, *part])}'")


def _named(items: list[dict[str, Any]], name: str, message: str) -> dict[str, Any]:
    """The item of that name: exact, else the one whose name matches without case (as columns fold)."""
    exact = [item for item in items if item["name"] == name]
    folded = [item for item in items if item["name"].lower() == name.lower()]
    found = exact or (folded if len(folded) == 1 else [])
    if not found:
        raise NotFound(message)
    return found[0]
