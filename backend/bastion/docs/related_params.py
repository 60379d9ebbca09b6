"""The ``related`` parameters of a table's GET operations in a service's OpenAPI document.

Only the relationships the caller could read with ``related=`` are named (data/related.py decides the
same way at request time): GET on this table and on every table the relationship reads, with the join
columns visible on each side. ``related`` is a comma list (form style, not exploded) of those names or
``*``; each name also gets its ``<name>.fields``, ``<name>.limit`` and ``<name>.order`` parameters.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from bastion.data.relationships import Relation, relationships

# The GET columns the caller may read on a table: None for every column, False when GET is denied.
_TEXT = {"type": "string"}
GetColumns = Callable[[sa.Table], frozenset[str] | None | bool]


def _sees(columns: frozenset[str] | None | bool, names: list[str | None]) -> bool:
    if columns is False:
        return False
    return columns is None or all(name in columns for name in names)


def readable(table: sa.Table, get_columns: GetColumns) -> list[Relation]:
    """The table's relationships the caller could read, in name order."""
    found = []
    for relation in relationships(table).values():
        ends = [(relation.table, [relation.field]), *relation.ends()]
        if all(_sees(get_columns(other), names) for other, names in ends):
            found.append(relation)
    return found


def related_parameters(table: sa.Table, get_columns: GetColumns) -> list[dict]:
    """``related`` and the per-relationship options, or [] when no relationship is readable."""
    relations = readable(table, get_columns)
    if not relations:
        return []
    names = [relation.name for relation in relations]
    params = [
        {
            "name": "related",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": "Related records to add to each record (DreamFactory's form): names, or * for all",
            "schema": {"type": "array", "items": {"type": "string", "enum": ["*", *names]}},
        }
    ]
    for relation in relations:
        params.append(_option(relation, "fields", "Comma list of the related fields, or *", _TEXT))
        if relation.is_array:
            # A belongs_to relationship is one record: it has no limit or order.
            params += [
                _option(relation, "limit", "Related records per record", {"type": "integer", "minimum": 1}),
                _option(relation, "order", "Order of the related records: `field [asc|desc]`", _TEXT),
            ]
    return params


def _option(relation: Relation, option: str, text: str, schema: dict) -> dict:
    return {
        "name": f"{relation.name}.{option}",
        "in": "query",
        "required": False,
        "description": f"{text} ({relation.type} {relation.ref_table.name})",
        "schema": schema,
    }
