"""Relationships derived from reflected foreign keys, named as DreamFactory names them (df-core).

- belongs_to ``<parent>_by_<fk_column>``: this table's foreign key to a parent; the related value is one
  object (or null).
- has_many ``<child>_by_<child_fk_column>``: another table's foreign key to this one; an array.
- many_many ``<far_table>_by_<junction_table>``: through a junction table that holds a foreign key to this
  table and one to the far table; an array of far records.

Only single-column foreign keys make relationships (DreamFactory cannot write multi-column ones either).
The list is computed once per reflected MetaData and kept in its ``info``, so it is dropped and rebuilt
exactly when the schema cache reflects again (same invalidation as the tables themselves).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

BELONGS_TO, HAS_MANY, MANY_MANY = "belongs_to", "has_many", "many_many"
_INFO_KEY = "bastion_relationships"


@dataclass(frozen=True)
class Relation:
    """One relationship of a table: ``field`` of this table matches ``ref_field`` of ``ref_table``
    (for many_many: through ``junction_table``, whose ``junction_field`` holds this table's value and
    ``junction_ref_field`` the far table's)."""

    name: str
    type: str
    table: sa.Table
    field: str
    ref_table: sa.Table
    ref_field: str
    junction_table: sa.Table | None = None
    junction_field: str | None = None
    junction_ref_field: str | None = None

    @property
    def is_array(self) -> bool:
        """Whether the related value is a list (has_many, many_many) rather than one object."""
        return self.type != BELONGS_TO

    def ends(self) -> list[tuple[sa.Table, list[str]]]:
        """The other tables it reads (the far one, then the junction if any), each with its join columns."""
        ends = [(self.ref_table, [self.ref_field])]
        if self.junction_table is not None:
            ends.append((self.junction_table, [self.junction_field, self.junction_ref_field]))
        return ends

    def describe(self) -> dict[str, str | None]:
        """The ``_schema`` entry, with DreamFactory's keys."""
        junction = self.junction_table.name if self.junction_table is not None else None
        return {
            "name": self.name,
            "type": self.type,
            "field": self.field,
            "ref_table": self.ref_table.name,
            "ref_field": self.ref_field,
            "junction_table": junction,
            "junction_field": self.junction_field,
            "junction_ref_field": self.junction_ref_field,
        }


def relationships(table: sa.Table) -> dict[str, Relation]:
    """The table's relationships by name, in name order (cached with the reflected schema)."""
    cached = table.metadata.info.get(_INFO_KEY)
    if cached is None:
        cached = _discover(table.metadata)
        table.metadata.info[_INFO_KEY] = cached
    return cached.get(table.key, {})


def _single_fks(table: sa.Table) -> list[tuple[str, sa.Table, str]]:
    """(column, referred table, referred column) of each single-column foreign key, default schema only."""
    found = []
    for fk in table.foreign_key_constraints:
        if len(fk.elements) == 1 and fk.referred_table.schema is None:
            element = fk.elements[0]
            found.append((element.parent.name, fk.referred_table, element.column.name))
    return sorted(found, key=lambda item: (item[1].name, item[0]))


def _discover(metadata: sa.MetaData) -> dict[str, dict[str, Relation]]:
    tables = sorted((t for t in metadata.tables.values() if t.schema is None), key=lambda t: t.name)
    found: dict[str, dict[str, Relation]] = {t.key: {} for t in tables}

    def add(relation: Relation) -> None:
        # Two paths of the same name (rare: one junction holding two keys to one table) keep the first.
        found[relation.table.key].setdefault(relation.name, relation)

    for child in tables:
        keys = _single_fks(child)
        for column, parent, ref_column in keys:
            add(Relation(f"{parent.name}_by_{column}", BELONGS_TO, child, column, parent, ref_column))
            add(Relation(f"{child.name}_by_{column}", HAS_MANY, parent, ref_column, child, column))
        for near_column, near, near_ref in keys:
            for far_column, far, far_ref in keys:
                if far_column != near_column:
                    # field: near's column; ref_field: far's column; junction columns point at each.
                    add(
                        Relation(
                            f"{far.name}_by_{child.name}",
                            MANY_MANY,
                            near,
                            near_ref,
                            far,
                            far_ref,
                            child,
                            near_column,
                            far_column,
                        )
                    )
    return {key: dict(sorted(by_name.items())) for key, by_name in found.items()}
