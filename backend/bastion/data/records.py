"""The record operations of the data API: list, get, create, update and delete (DESIGN §5).

This module holds the reads and the request-body check, and re-exports the writes of mutations.py, so
that views import every record operation from here. Every function takes the table (reflected), the
caller's Grant and parsed parameters, and builds SQLAlchemy Core statements only. The grant's row
condition (guard.Target) is ANDed into every read, count, update and delete, bulk paths included; every
record created or updated is re-checked against it in the same transaction (writes.py). Batches follow
batch.py; ids follow keys.py; values follow convert.py.

Reads answer ``{"resource": [...]}``, with ``meta: {"count", "next"}`` when include_count is asked or
when the service's max_records cut the result (``next`` is the offset of the following page, present
while more rows remain). With ``cursor`` (keyset.py) ``next`` is instead the token of the following
page, present while more rows remain, and a count is made only when include_count asks. With
``include_count=estimate`` the count may be the catalogue's estimate (estimates.py), and
``meta.count_estimated`` says whether it is. With ``as_list`` the resource holds only each record's id
(the key's value, or for a composite key the values joined by commas, as ids are written in paths).
Without ``order`` rows come in key order; an ``order`` is completed with the key so that pages are
stable. ``nulls first|last`` is an ``IS NULL`` sort key before the column, the same SQL on every engine
(MariaDB has no NULLS FIRST). With ``count_only`` the read answers ``{"count": n}`` only, which the view
sends as the bare number (DreamFactory's shape); with ``group`` it is a grouped read (grouping.py) and
counts are of groups.
Writes answer each record's visible primary key by default, or the fields asked
with ``fields`` (``*`` for every visible field); by-id functions answer the bare object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from bastion.access import Grant
from bastion.data import related
from bastion.data.dberrors import translated
from bastion.data.estimates import estimate_rows
from bastion.data.filters import parse_filter
from bastion.data.grouping import Grouping, is_aggregate
from bastion.data.guard import Target, grant_condition
from bastion.data.keys import (
    ensure_found,
    ids_to_keys,
    key_columns,
    key_condition,
    keys_condition,
    parse_id,
    wanted_keys,
)
from bastion.data.keyset import Keyset
from bastion.data.mutations import (
    create_records,
    delete_record,
    delete_records,
    update_by_filter,
    update_by_ids,
    update_record,
    update_records,
)
from bastion.data.params import ALL_FIELDS, ListParams, Related
from bastion.data.read_plans import ReadPlans
from bastion.errors import BadRequest, Forbidden, NotFound

__all__ = [
    "create_records",
    "delete_record",
    "delete_records",
    "get_record",
    "grant_condition",
    "list_records",
    "records_from_body",
    "update_by_filter",
    "update_by_ids",
    "update_record",
    "update_records",
]

MAX_BATCH = 1000
# Without the app's plans every read is a one-off: a cache of no entries never keeps a plan.
ONE_OFF = ReadPlans(max_plans=0)
LIMIT, OFFSET, KEY = "bastion_limit", "bastion_offset", "bastion_key_"
Bind = sa.Engine | sa.Connection
Fields = tuple[str, ...] | None


def list_records(
    conn: Bind,
    table: sa.Table,
    grant: Grant,
    params: ListParams,
    plans: ReadPlans | None = None,
    grant_of: related.GrantOf | None = None,
    cap: int = MAX_BATCH,
    secret: bytes = b"",
) -> dict[str, Any]:
    """``{"resource": [...]}`` plus ``meta`` (count, next page) when asked or truncated by the cap.

    With ``plans`` (the app's, see registry.read_plans) a shape read twice is compiled once and reused.
    ``grant_of`` answers the caller's GET grant on another table, for ``related`` (data/related.py), which
    attaches at most ``cap`` records per relationship and record. With a cursor (keyset.py), ``secret``
    signs the ``meta.next`` token and checks the one sent.
    """
    plans = plans or ONE_OFF
    target = Target(table, grant)
    # Options that conflict were refused when parsed (params._check_together).
    # Checked on every request, plan or not: a grouped read names its columns in several parameters.
    grouping = Grouping(target, params) if params.group is not None else None
    keyset = Keyset(target, params, conn.dialect.name, secret) if params.cursor is not None else None
    fetches = related.plan(target, params.related, grant_of or _no_grant)
    shown, links = [], []
    if grouping is None:
        shown, links = _with_links(_listed(target, params), target, params.related)
    # A cursor page selects its sort columns too, to write the next token; the caller did not ask for them.
    selected = {c.name for c in (*shown, *links)}
    extra = [c for c in keyset.columns if c.name not in selected] if keyset else []
    # Every id asked must be found (DreamFactory's rule), so the key is read even when not shown.
    wanted = wanted_keys(target, params) if grouping is None else None
    if wanted is not None:
        extra += [c for c in wanted[0] if c.name not in selected and c not in extra]
    # What decides each statement, but for limit and offset; ids lists vary too much to be worth a plan.
    # The shape is derived from every parameter, so a new one can never be left out of the plans' key.
    page_shape = count_shape = None
    if params.ids is None:
        shape = params.shape()
        pattern = keyset.pattern if keyset else None
        page_shape, count_shape = ("list", table, grant, shape, pattern), ("count", table, grant, shape)

    def conditions() -> list[sa.ColumnElement[bool]]:
        where = _filter(target, params.filter, dict(params.filter_params))
        return target.where(where, _ids_condition(target, params))

    def page() -> sa.Select:
        if grouping is None:
            after = keyset.condition() if keyset else None
            stmt = sa.select(*shown, *links, *extra).where(
                *conditions(), *([after] if after is not None else [])
            )
            stmt = stmt.order_by(*_order(target, params, keyset))
        else:
            stmt = grouping.apply(sa.select(*grouping.selected).where(*conditions()))
            stmt = stmt.order_by(*grouping.ordering)
        return stmt.limit(sa.bindparam(LIMIT, 0, type_=sa.Integer)).offset(
            sa.bindparam(OFFSET, 0, type_=sa.Integer)
        )

    def counted() -> int:
        def build() -> sa.Select:
            if grouping is not None:
                return grouping.count(conditions())
            return sa.select(sa.func.count()).select_from(table).where(*conditions())

        counting = plans.read(conn, count_shape, build)
        return counting.scalar(counting.run(conn, {}))

    if params.count_only:
        with translated(target):
            return {"count": counted()}
    # One row more than asked tells whether more remain, without a count query.
    fetch = params.limit + 1 if params.capped or keyset or params.count_estimate else params.limit
    with translated(target):
        read = plans.read(conn, page_shape, page)
        rows = read.run(conn, {LIMIT: fetch, OFFSET: params.offset, **(keyset.slots() if keyset else {})})
        more = len(rows) > params.limit
        records = read.to_json(rows[: params.limit])
        meta: dict[str, Any] = {}
        if keyset and more and records:
            # Before related.attach, which drops the join columns a sort column may be among.
            meta["next"] = keyset.token(records[-1])
        if wanted is not None:
            # The key is compared as the database compared it: MySQL's usual collations fold case.
            shown_names = {c.name for c in shown}
            ensure_found(target, wanted, records, shown_names, conn.dialect.name == "mysql")
        related.attach(conn, fetches, records, cap, [c.name for c in links], plans)
        records = _without(records, extra)
        body: dict[str, Any] = {"resource": _ids_only(records) if params.as_list else records}
        if params.include_count or (params.capped and more and not keyset):
            count, estimated = _count(conn, target, params, counted, whole=grouping is None)
            meta["count"] = count
            if params.count_estimate:
                meta["count_estimated"] = estimated
            if not keyset and (more if estimated else count > params.offset + params.limit):
                meta["next"] = params.offset + params.limit
    if meta:
        body["meta"] = meta
    return body


def _count(
    conn: Bind, target: Target, params: ListParams, exact: Callable[[], int], whole: bool
) -> tuple[int, bool]:
    """The count of what a list matches, and whether it is the catalogue's estimate (estimates.py)."""
    # Only a read of the whole table's rows may be estimated: a filter or a role's row filter narrows
    # them, and groups (``whole`` False) are not rows.
    whole = whole and params.filter is None and params.ids is None and target.condition is None
    if params.count_estimate and whole:
        estimate = estimate_rows(conn, target.table)
        if estimate is not None:
            return estimate, True
    return exact(), False


def _without(records: list[dict[str, Any]], columns: list[sa.Column]) -> list[dict[str, Any]]:
    """Records without the columns selected only for the cursor or the ``ids`` check."""
    if not columns:
        return records
    names = {c.name for c in columns}
    return [{k: v for k, v in record.items() if k not in names} for record in records]


def get_record(
    conn: Bind,
    table: sa.Table,
    grant: Grant,
    id: str,
    fields: Fields = None,
    id_field: Fields = None,
    plans: ReadPlans | None = None,
    asked: Related | None = None,
    grant_of: related.GrantOf | None = None,
    cap: int = MAX_BATCH,
) -> dict[str, Any]:
    """One record by id as a bare object; a record hidden by the row condition is NotFound too.

    ``asked`` (``related``) adds related records, at most ``cap`` per relationship.
    """
    plans = plans or ONE_OFF
    target = Target(table, grant)
    fetches = related.plan(target, asked, grant_of or _no_grant)
    shown, links = _with_links(_readable(target, fields), target, asked)
    key_cols = key_columns(target, id_field)
    key = parse_id(id, key_cols)
    values = {f"{KEY}{i}": value for i, (_, value) in enumerate(zip(key_cols, key, strict=True))}

    def by_id() -> sa.Select:
        # Built only when the read is compiled; later reads pass just the values.
        pairs = zip(values.items(), key_cols, strict=True)
        slots = [sa.bindparam(name, value, type_=column.type) for (name, value), column in pairs]
        condition = key_condition(key_cols, slots)
        return sa.select(*shown, *links).where(*target.where(condition)).limit(1)

    with translated(target):
        read = plans.read(conn, ("get", table, grant, fields, id_field, asked), by_id)
        rows = read.run(conn, values)
        if not rows:
            raise NotFound(f"Record '{id}' not found in table '{table.name}'")
        records = read.to_json(rows)
        related.attach(conn, fetches, records, cap, [c.name for c in links], plans)
    return records[0]


def _no_grant(_table: sa.Table) -> None:
    """Without a way to ask the access function, no other table may be read."""
    return None


def _with_links(
    shown: list[sa.Column], target: Target, asked: Related | None
) -> tuple[list[sa.Column], list[sa.Column]]:
    """The columns to select, and the join columns of ``related`` to add (and drop after attaching)."""
    names = {column.name for column in shown}
    return shown, [c for c in related.link_columns(target, asked) if c.name not in names]


def _readable(target: Target, fields: Fields) -> list[sa.Column]:
    aggregate = next((field for field in fields or () if is_aggregate(field)), None)
    if aggregate is not None:
        raise BadRequest(f"Aggregate '{aggregate}' in 'fields' needs 'group'")
    columns = target.output(fields, list(target.visible.values()))
    if not columns:
        raise Forbidden(f"This role may read no field of table '{target.name}'")
    return columns


def _listed(target: Target, params: ListParams) -> list[sa.Column]:
    """The columns a list selects: the asked fields, or with as_list only the key that names each record."""
    if not params.as_list:
        return _readable(target, params.fields)
    if params.fields not in (None, (ALL_FIELDS,)):
        raise BadRequest("With 'as_list', name the identifying fields with 'id_field', not 'fields'")
    return key_columns(target, params.id_field)


def _ids_only(records: list[dict[str, Any]]) -> list[Any]:
    """as_list's answer: each record's id, the composite ones joined by commas like ids in paths."""
    return [next(iter(r.values())) if len(r) == 1 else ",".join(map(str, r.values())) for r in records]


def _filter(target: Target, text: str | None, params: dict[str, str]) -> sa.ColumnElement[bool] | None:
    # Only visible columns reach the parser, so a hidden column reads exactly like an unknown one.
    return parse_filter(text, target.visible, params) if text else None


def _ids_condition(target: Target, params: ListParams) -> sa.ColumnElement[bool] | None:
    if params.ids is None:
        return None
    key_cols = key_columns(target, params.id_field)
    return keys_condition(key_cols, ids_to_keys(params.ids, key_cols))


def _order(target: Target, params: ListParams, keyset: Keyset | None) -> list[sa.ColumnElement[Any]]:
    """The asked order, then the key (id_field or primary key; a cursor's whole key) so pages are stable."""
    if keyset is not None:
        return target.ordered(params.order, keyset.tiebreak)
    tiebreak = target.columns(params.id_field) if params.id_field else target.primary_key
    return target.ordered(params.order, tiebreak)


def records_from_body(body: Any, max_batch: int = MAX_BATCH) -> list[dict[str, Any]]:
    """The records of a write body: ``{"resource": [...]}``, ``{"resource": {...}}``, an array, an object."""
    if isinstance(body, dict) and "resource" in body:
        records = body["resource"]
        if isinstance(records, dict):  # DreamFactory's clients wrap a single record too
            records = [records]
        if not isinstance(records, list):
            raise BadRequest("'resource' in the request body must be an array of records or one record")
    elif isinstance(body, dict):
        records = [body]
    elif isinstance(body, list):
        records = body
    else:
        raise BadRequest('The request body must be a JSON object, an array of objects or {"resource": [...]}')
    if not records:
        raise BadRequest("The request body holds no records")
    if len(records) > max_batch:
        raise BadRequest(f"At most {max_batch} records may be sent in one request, not {len(records)}")
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise BadRequest(f"Record {index} of the request body must be a JSON object")
    return records


def drop_unknown_fields(
    table: sa.Table, grant: Grant, records: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The records without keys that name no column the caller may use, and those keys, each once, in order.

    DreamFactory drops keys naming no column (form-serialising clients send hidden inputs along). A column
    the grant's field list hides goes the same way: refusing it while dropping a made-up name told the
    caller which hidden columns exist. A key holding an object or an array is kept: that is the shape of
    a relationship's records (DreamFactory's nested writes), which must reach the write to be written or
    refused, never dropped.
    """
    columns = {c.name for c in table.columns if grant.allows_column(c.name)}
    folded = {name.lower() for name in columns}
    ignored: dict[str, None] = {}
    kept = []
    for record in records:
        unknown = {
            k
            for k, v in record.items()
            if k not in columns and k.lower() not in folded and not isinstance(v, dict | list)
        }
        ignored.update(dict.fromkeys(k for k in record if k in unknown))
        kept.append({k: v for k, v in record.items() if k not in unknown} if unknown else record)
    return kept, list(ignored)
