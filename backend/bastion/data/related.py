"""Related records on reads: ``related=*|name,...`` (DreamFactory's form, relationships.py names them).

Security, decided here for every relationship before any of its rows are read:

- The far table (and a many_many junction) is read only when the caller's role allows GET on its own
  component: ``grant_of(table)`` asks the one access function and answers that table's Grant, or None.
- That grant's row filters are ANDed into the related query (the junction's too), and only its visible
  columns are selected, so a related row outside the filters, or a hidden column, never appears.
- The columns a relationship joins on must be visible to the caller on both sides (and in the
  junction); otherwise matching rows would tell a hidden column's value. The join columns are selected
  internally when needed and then dropped from the answer unless the caller asked for them.
- A relationship named explicitly that the caller cannot read is the same 400 as an unknown name: a
  403 naming the reason told a caller that a table it may not read exists (and its name), or that a
  column hidden from it is a join column, so names could be guessed and confirmed. Why it is unreadable
  goes to the log for the admin. ``related=*`` (what DreamFactory clients send) means every relationship
  the caller may read; the others are left out, as ``_schema`` and the API document leave them out.

No N+1: one query per relationship per page, the page's keys in a bound ``IN`` list (CHUNK keys per
query for very large pages). The list has a fixed number of slots per shape (the next power of two, the
last key repeated), so the statement is compiled once and run as a read plan (read_plans.py).
``<name>.limit`` (default and ceiling: the service's max_records) caps each record's list with
ROW_NUMBER() in the same query; ``<name>.order`` orders it, then the far key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bastion.access import Grant
from bastion.data.convert import to_json, to_python
from bastion.data.guard import Target
from bastion.data.keys import CHUNK
from bastion.data.params import Related, RelatedAsk
from bastion.data.read_plans import ReadPlans
from bastion.data.relationships import BELONGS_TO, Relation, relationships
from bastion.errors import BadRequest, Forbidden

GrantOf = Callable[[sa.Table], Grant | None]
LINK, RANK, KEY = "bastion_link", "bastion_rank", "bastion_related_"
log = logging.getLogger("bastion")


@dataclass(frozen=True)
class Fetch:
    """One relationship to attach: the relation, its options, and the far (and junction) targets."""

    relation: Relation
    ask: RelatedAsk
    far: Target
    junction: Target | None


def link_columns(target: Target, related: Related | None) -> list[sa.Column]:
    """The caller's table's columns the asked relationships join on (visible ones; the rest are refused).

    It depends only on the table, the caller's grant on it and the request, so a read plan keyed on
    those can select them.
    """
    if related is None:
        return []
    relations = relationships(target.table)
    names = relations if related.every else [ask.name for ask in related.asks]
    fields = {relations[name].field for name in names if name in relations}
    return [column for name, column in target.visible.items() if name in fields]


def plan(target: Target, related: Related | None, grant_of: GrantOf) -> list[Fetch]:
    """The relationships to attach, each checked against the caller's grants (see the module doc)."""
    if related is None:
        return []
    relations = relationships(target.table)
    unknown = [ask.name for ask in related.asks if ask.name not in relations and not related.every]
    if unknown:
        raise _no_relationship(target, unknown[0])
    names = list(relations) if related.every else [ask.name for ask in related.asks]
    fetches = []
    for name in names:
        fetch = _readable(target, relations[name], related.ask(name), grant_of)
        if isinstance(fetch, Fetch):
            _check_options(fetch)
            fetches.append(fetch)
        elif not related.every:
            log.info("relationship %r of table %r is not readable: it %s", name, target.name, fetch)
            raise _no_relationship(target, name)
    return fetches


def _check_options(fetch: Fetch) -> None:
    """A 400 for `.order` or `.limit` on a belongs-to relationship: one record has nothing to order or cap,
    and an option that is silently ignored reads like one that worked."""
    if fetch.relation.is_array:
        return
    for option, given in (("order", fetch.ask.order), ("limit", fetch.ask.limit)):
        if given:
            raise BadRequest(
                f"Option '{fetch.relation.name}.{option}' does not apply: the relationship is one record",
                {"related": fetch.relation.name},
            )


def _no_relationship(target: Target, name: str) -> BadRequest:
    """The one answer for a relationship that does not exist and one the caller may not read."""
    return BadRequest(
        f"Table '{target.name}' has no relationship '{name}' that this caller may read", {"related": name}
    )


def _readable(target: Target, relation: Relation, ask: RelatedAsk, grant_of: GrantOf) -> Fetch | str:
    """The Fetch when the caller may read the relationship, else why not (for the 403)."""
    if relation.field not in target.visible:
        return f"joins on field '{relation.field}', which this role may not read"
    targets = []
    for table, columns in relation.ends():
        grant = grant_of(table)
        if grant is None:
            return f"reads table '{table.name}', which this role may not read"
        if not all(grant.allows_column(column) for column in columns):
            return f"joins on fields of table '{table.name}' this role may not read"
        targets.append(Target(table, grant))
    return Fetch(relation, ask, targets[0], targets[1] if len(targets) > 1 else None)


def attach(
    bind: sa.Engine | sa.Connection,
    fetches: Sequence[Fetch],
    records: list[dict[str, Any]],
    cap: int,
    drop: Sequence[str] = (),
    plans: ReadPlans | None = None,
) -> None:
    """Add each relationship's records to each record, then drop the join columns in ``drop``.

    With ``plans`` a relationship's statement is compiled once per shape: the keys go into a fixed number
    of slots (the next power of two, the last key repeated), so the SQL text does not change per page.
    """
    for fetch in fetches if records else ():
        _attach_one(bind, fetch, records, cap, plans or ReadPlans(max_plans=0))
    for record in records:
        for name in drop:
            record.pop(name, None)


def _attach_one(
    bind: sa.Engine | sa.Connection, fetch: Fetch, records: list[dict[str, Any]], cap: int, plans: ReadPlans
) -> None:
    relation = fetch.relation
    own = relation.table.c[relation.field]
    values = list(dict.fromkeys(r[own.name] for r in records if r.get(own.name) is not None))
    found: dict[Any, list[dict[str, Any]]] = {}
    for start in range(0, len(values), CHUNK):
        chunk = [to_python(own, value) for value in values[start : start + CHUNK]]
        slots = _slots(len(chunk))
        junction = fetch.junction.grant if fetch.junction else None
        shape = ("related", relation, fetch.far.grant, junction, fetch.ask, cap, slots)
        read = plans.read(bind, shape, lambda n=slots: _statement(fetch, n, cap))
        bound = {f"{KEY}{i}": chunk[min(i, len(chunk) - 1)] for i in range(slots)}
        for item in read.to_json(read.run(bind, bound)):
            found.setdefault(to_json(item.pop(LINK)), []).append(item)
    for record in records:
        rows = found.get(record.get(own.name), [])
        if relation.is_array:
            record[relation.name] = rows
        else:
            record[relation.name] = rows[0] if rows else None


def _slots(count: int) -> int:
    """How many key slots a statement for count keys has: few distinct statements, few wasted slots."""
    return min(1 << max(count - 1, 0).bit_length(), CHUNK)


def _statement(fetch: Fetch, slots: int, cap: int) -> sa.Select:
    """One query for a chunk of keys, in slots bound per run: the far rows (visible columns, row filters
    ANDed), each tagged with the key it belongs to."""
    relation, far = fetch.relation, fetch.far
    if fetch.junction is None:
        link_type = far.table.c[relation.ref_field].type
    else:
        link_type = fetch.junction.table.c[relation.junction_field].type
    keys = [sa.bindparam(f"{KEY}{i}", None, type_=link_type) for i in range(slots)]
    columns = far.output(fetch.ask.fields, list(far.visible.values()))
    if not columns:
        raise Forbidden(f"This role may read no field of table '{far.name}'")
    if relation.type == BELONGS_TO:
        link = far.table.c[relation.ref_field]
        return sa.select(*columns, link.label(LINK)).where(link.in_(keys), *far.where())
    source: sa.FromClause = far.table
    conditions = far.where()
    if fetch.junction is None:
        link = far.table.c[relation.ref_field]
    else:
        junction = fetch.junction
        link = junction.table.c[relation.junction_field]
        far_key = junction.table.c[relation.junction_ref_field]
        source = far.table.join(junction.table, far_key == far.table.c[relation.ref_field])
        conditions += junction.where()
    limit = min(fetch.ask.limit or cap, cap)
    order = far.ordered(fetch.ask.order, far.primary_key)
    rank = sa.func.row_number().over(partition_by=link, order_by=order or None).label(RANK)
    inner = (
        sa.select(*columns, link.label(LINK), rank).select_from(source).where(link.in_(keys), *conditions)
    ).subquery()
    picked = [inner.c[column.name] for column in columns]
    return (
        sa.select(*picked, inner.c[LINK]).where(inner.c[RANK] <= limit).order_by(inner.c[LINK], inner.c[RANK])
    )
