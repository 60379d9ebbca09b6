"""Nested writes: a record carrying related records under relationship names (DreamFactory's form).

A POST or PATCH/PUT record may hold, besides its columns (df-database BaseDbTableResource semantics; a
related value of null changes nothing, as there):

- belongs_to ``<parent>_by_<fk>``: one object. Without the parent's key it is created first; with the key
  and other fields it is updated (created, when the key is not generated and no such record exists);
  either way the record's foreign key is set to it. The same upsert applies to the records below.
- has_many ``<child>_by_<fk>``: a list. A child without its key is created under the record; with its key
  it is updated and (re)linked to the record; with its key and the foreign key sent as null it is
  unlinked (fk set to null) or, when the foreign key cannot be null and ``allow_related_delete=true`` was
  sent, deleted. Without ``allow_related_delete`` such a child is a 400, never silently kept.
- many_many ``<far>_by_<junction>``: a list of far records. One without its key is created; one with its
  key and other fields is updated; each is linked through the junction table unless already linked; one
  carrying ``"<table>.<key>": null`` (DreamFactory's marker) has its junction row deleted instead.

Every table touched asks the one access function for its own verb (POST to create, PATCH to update or
(un)link, DELETE to delete), through ``authorize``; the writes go through writes.py, so that table's row
filters and field list apply exactly as to a direct write. Everything happens on the caller's connection,
inside the record's transaction (or the batch's, with ``rollback``): any failure writes nothing.
Relationships are written only through single-column keys that reference the other table's primary key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from bastion.access import Grant
from bastion.data import writes
from bastion.data.guard import Target
from bastion.data.keys import Key, coerce_key, key_condition
from bastion.data.relationships import BELONGS_TO, MANY_MANY, Relation, relationships
from bastion.errors import ApiError, BadRequest, Forbidden, NotFound
from bastion.verbs import VERBS

Authorize = Callable[[sa.Table, str], Grant]


class NestedWrite:
    """One body record split into its own columns and its related records, written around it."""

    def __init__(self, target: Target, record: Mapping[str, Any], authorize: Authorize, allow_delete: bool):
        # A relationship the caller can use on no verb is no relationship to it: its key stays among the
        # record's own values and is refused as the unknown field it is for the caller, exactly like a
        # name that relates nothing. A 403 naming the other table (or the hidden join column) told the
        # caller that a table or column hidden from it exists.
        relations = {
            name: relation
            for name, relation in relationships(target.table).items()
            if _usable(target, relation, authorize)
        }
        self.target, self.authorize, self.allow_delete = target, authorize, allow_delete
        self.nested = {relations[k]: v for k, v in record.items() if k in relations}
        self.plain = {k: v for k, v in record.items() if k not in relations}
        for relation, value in self.nested.items():
            _check_shape(target, relation, value)

    def before(self, conn: sa.Connection) -> dict[str, Any]:
        """Write the belongs_to parents; the record's own values, their foreign keys set."""
        plain = dict(self.plain)
        for relation, value in self.nested.items():
            if relation.type == BELONGS_TO and value is not None:
                parent = self._guarded(relation, lambda r=relation, v=value: self._parent(conn, r, v))
                plain[relation.field] = parent
        return plain

    def after(self, conn: sa.Connection, pk: Key) -> None:
        """Write the has_many and many_many records of the record whose primary key is pk."""
        for relation, items in self.nested.items():
            if relation.type != BELONGS_TO and items:
                own = _value_of(conn, self.target, pk, relation.field)
                write = self._children if relation.type != MANY_MANY else self._far_records
                self._guarded(relation, lambda r=relation, i=items, o=own, w=write: w(conn, r, o, i))

    def _guarded(self, relation: Relation, write: Callable[[], Any]) -> Any:
        try:
            return write()
        except ApiError as error:
            # Which relationship failed is what the client needs to find the faulty part of its body.
            error.message = f"Relationship '{relation.name}': {error.message}"
            error.args = (error.message,)
            raise

    def _target(self, table: sa.Table, verb: str) -> Target:
        target = Target(table, self.authorize(table, verb))
        target.require_writable()
        return target

    def _parent(self, conn: sa.Connection, relation: Relation, parent: dict[str, Any]) -> Any:
        key_column = _single_key(relation.ref_table, relation.ref_field)
        if parent.get(key_column.name) is None:
            return self._create(conn, relation.ref_table, parent)[0]
        key = coerce_key([parent[key_column.name]], [key_column], parent[key_column.name])
        if len(parent) > 1:
            self._update(conn, relation.ref_table, key, parent)
        return key[0]

    def _children(self, conn: sa.Connection, relation: Relation, own: Any, items: list[dict]) -> None:
        child, fk = relation.ref_table, relation.ref_field
        key_column = _single_key(child, None)
        for item in items:
            if item.get(key_column.name) is None:
                self._create(conn, child, {**item, fk: own})
                continue
            key = coerce_key([item[key_column.name]], [key_column], item[key_column.name])
            if fk not in item or item[fk] is not None:
                self._update(conn, child, key, {**item, fk: own})
            elif child.c[fk].nullable:
                self._update(conn, child, key, item)  # unlinked: its foreign key set to null
            elif self.allow_delete:
                writes.delete_one(conn, self._target(child, "DELETE"), ([key_column], key), None)
            else:
                raise BadRequest(
                    f"Record '{key[0]}' of table '{child.name}' cannot be unlinked ('{fk}' may not be null);"
                    " send allow_related_delete=true to delete it"
                )

    def _far_records(self, conn: sa.Connection, relation: Relation, own: Any, items: list[dict]) -> None:
        far, junction = relation.ref_table, relation.junction_table
        key_column = _single_key(far, relation.ref_field)
        near_column, far_column = junction.c[relation.junction_field], junction.c[relation.junction_ref_field]
        marker = f"{self.target.name}.{relation.field}"
        for item in items:
            item = dict(item)
            unlink = marker in item and item.pop(marker) is None
            if item.get(key_column.name) is None:
                far_key = self._create(conn, far, item)[0]
            else:
                far_key = coerce_key([item[key_column.name]], [key_column], item[key_column.name])[0]
                if len(item) > 1:
                    self._update(conn, far, (far_key,), item)
            link = sa.and_(near_column == own, far_column == far_key)
            if unlink:
                self._unlink(conn, junction, link)
            elif not _exists(conn, junction, link):
                self._create(conn, junction, {near_column.name: own, far_column.name: far_key})

    def _unlink(self, conn: sa.Connection, junction: sa.Table, link: sa.ColumnElement[bool]) -> None:
        target = self._target(junction, "DELETE")
        for key in writes.matching_keys(conn, target, link):
            writes.delete_one(conn, target, (target.primary_key, key), None)

    def _create(self, conn: sa.Connection, table: sa.Table, record: dict[str, Any]) -> Key:
        target = self._target(table, "POST")
        key = writes.insert_one(conn, target, record)
        writes.checked_result(conn, target, key, None)
        return key

    def _update(self, conn: sa.Connection, table: sa.Table, key: Key, record: dict[str, Any]) -> None:
        """Update the record with this key; one whose key the database does not generate is created when
        it does not exist (DreamFactory's upsert of related records)."""
        target = self._target(table, "PATCH")
        values = writes.prepare_values(target, record)
        for column in target.primary_key:
            values.pop(column.name, None)
        try:
            writes.update_one(conn, target, (target.primary_key, key), values, True, None)
        except NotFound:
            # Nothing was written yet: locate() found no row before any update.
            if any(writes.generated(column) for column in target.primary_key):
                raise
            self._create(conn, table, record)


def _usable(target: Target, relation: Relation, authorize: Authorize) -> bool:
    """Whether the caller sees the relationship's join columns: its own, and on each other table (and
    junction) under a grant of some verb. Which verb each write needs is still asked when it is made."""
    if relation.field not in target.visible:
        return False
    for table, columns in relation.ends():
        grants = []
        for verb in VERBS:
            try:
                grants.append(authorize(table, verb))
            except Forbidden:
                continue
        if not any(all(grant.allows_column(column) for column in columns) for grant in grants):
            return False
    return True


def _check_shape(target: Target, relation: Relation, value: Any) -> None:
    """A 400 before anything is written when the related value has the wrong shape."""
    if relation.type == BELONGS_TO:
        if value is not None and not isinstance(value, dict):
            raise BadRequest(f"Relationship '{relation.name}' must be one JSON object (or null)")
    elif value is not None and (not isinstance(value, list) or not all(isinstance(i, dict) for i in value)):
        raise BadRequest(f"Relationship '{relation.name}' must be an array of JSON objects (or null)")


def _single_key(table: sa.Table, referenced: str | None) -> sa.Column:
    """The table's one-column primary key, which the relationship must reference (when it names one)."""
    key = list(table.primary_key.columns)
    if len(key) != 1 or (referenced is not None and key[0].name != referenced):
        raise BadRequest(f"Records of table '{table.name}' cannot be written through a relationship")
    return key[0]


def _exists(conn: sa.Connection, table: sa.Table, condition: sa.ColumnElement[bool]) -> bool:
    """Whether a row matches; a link hidden by the junction's row filters is not made a second time."""
    stmt = sa.select(sa.literal(1)).select_from(table).where(condition).limit(1)
    return conn.execute(stmt).first() is not None


def _value_of(conn: sa.Connection, target: Target, pk: Key, field: str) -> Any:
    """A column of the just-written record (usually its key), read inside the caller's row condition."""
    column = target.table.c[field]
    stmt = sa.select(column).where(*target.where(key_condition(target.primary_key, pk)))
    return conn.execute(stmt).scalar_one()


# How a write handles related records: the access function's door and allow_related_delete; None: not at all.
Nesting = tuple[Authorize, bool] | None


def begin(conn: sa.Connection, target: Target, record: Mapping[str, Any], nesting: Nesting) -> tuple:
    """The record's own values (belongs_to parents written, foreign keys set) and its pending NestedWrite."""
    if nesting is None:
        return dict(record), None
    write = NestedWrite(target, record, *nesting)
    return write.before(conn), write


def finish(
    conn: sa.Connection, target: Target, write: NestedWrite | None, where: tuple, values: dict
) -> None:
    """Write the has_many and many_many records once the record itself is written (where: columns, key)."""
    if write is None or not write.nested:
        return
    columns, key = where
    # The body may have changed the key itself; the record is found under its new key.
    current = tuple(values.get(column.name, old) for column, old in zip(columns, key, strict=True))
    write.after(conn, writes.locate(conn, target, columns, current))
