"""Reading a system resource: one list and one get for every `/api/v2/system/<resource>` (DESIGN §4, §11).

A list takes the data API's parameters: `limit` (capped at SYSTEM_MAX_RECORDS), `offset`, `order` (or
DreamFactory's `sort`), `filter`, `ids`, `fields`, `include_count` (answered as `meta.count`) and
`related`. A list and a get both take `fields` (the answer's keys to keep) and `related` (DreamFactory's
related records a resource offers, such as a role's `role_service_access_by_role_id`). DreamFactory's
parameters that Bastion has no use for on system resources are a 400 naming them, never ignored.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from flask import request
from pydantic import TypeAdapter
from sqlmodel import Session

from bastion.data.params import bool_param, parse_list_params
from bastion.errors import BadRequest
from bastion.models import MAX_ID
from bastion.services.listing import ListQuery, public_columns, run_list

SYSTEM_MAX_RECORDS = 1000
# DreamFactory's list parameters that have no meaning on a system resource here, and the data API's
# cursor: system lists are short, and page with offset.
REFUSED = ("group", "having", "count_only", "include_schema", "id_field", "id_type", "as_list", "schema")
REFUSED += ("cursor",)

Related = Callable[[Session, Any], Any]


@dataclass(frozen=True)
class Resource:
    """How one system resource is listed: its table, public columns, JSON form and related records."""

    model: Any
    columns: tuple[str, ...]  # the columns filter, order and ids may use; never a secret or JSON one
    public: Callable[[Session, Any], dict]
    keys: tuple[str, ...]  # the keys of the JSON form, which `fields` may name
    where: tuple = ()  # fixed conditions: admins and users share one table
    related: Mapping[str, Related] = field(default_factory=dict)
    # The JSON forms of a whole page at once, where one query can serve every row (else public per row).
    public_many: Callable[[Session, list], list[dict]] | None = None
    # DreamFactory's keys this resource never answers, and why (an app's `api_key`): named in the 400.
    withheld: Mapping[str, str] = field(default_factory=dict)


@functools.cache
def _page_adapter(model: type) -> TypeAdapter:
    return TypeAdapter(list[model])


def public_page(model: type, rows: Sequence[Any]) -> list[dict]:
    """The JSON forms of a page of rows through a public model, in one validation and one dump: a page
    of 25 roles took 2.5x as long one row at a time (each through SQLModel's model_validate)."""
    adapter = _page_adapter(model)
    return adapter.dump_python(adapter.validate_python(rows, from_attributes=True), mode="json")


def parse_ids(text: str, name: str = "ids") -> tuple[int, ...]:
    """A comma list of record ids; anything else is a 400 naming the parameter."""
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or not all(p.isdecimal() and p.isascii() and 1 <= int(p) <= MAX_ID for p in parts):
        raise BadRequest(f"Parameter '{name}' must be a comma list of ids (whole numbers from 1 to {MAX_ID})")
    return tuple(dict.fromkeys(int(p) for p in parts))


def _refuse_unsupported(args: Mapping[str, str]) -> None:
    for name in REFUSED:
        if name in args:
            raise BadRequest(f"Parameter '{name}' is not supported on system resources")


def list_query(args: Mapping[str, str]) -> ListQuery:
    """The list parameters of a request; a 400 names the first faulty one."""
    _refuse_unsupported(args)
    if "sort" in args and "order" in args:
        raise BadRequest("Parameters 'order' and 'sort' mean the same; send one")
    # The data API's parser reads the rest; ids here are whole record ids, not its key tuples, and
    # `related` names a system resource's related records (RelatedView), not a data relationship.
    common = {k: v for k, v in args.items() if k not in ("ids", "sort", "related")}
    if "sort" in args:
        common["order"] = args["sort"]
    parsed = parse_list_params(common, SYSTEM_MAX_RECORDS)
    ids = args.get("ids")
    return ListQuery(
        limit=parsed.limit,
        offset=parsed.offset,
        filter=parsed.filter,
        order=parsed.order,
        ids=parse_ids(ids) if ids is not None else None,
        include_count=parsed.include_count,
    )


def names_param(param: str, offered: Sequence[str]) -> tuple[str, ...] | None:
    """The names a comma-list parameter gives (`*` for all offered), None when absent; else a 400."""
    text = request.args.get(param)
    if text is None or not text.strip():
        return None
    names = tuple(part.strip() for part in text.split(","))
    if "*" in names:
        return tuple(offered)
    unknown = [n for n in names if n not in offered]
    if unknown:
        choices = ", ".join(offered) or "none"
        raise BadRequest(f"Parameter '{param}': unknown name '{unknown[0]}'; this resource offers: {choices}")
    return names


class Shaper:
    """Applies `related` and `fields` to each record's JSON form."""

    def __init__(self, resource: Resource):
        self.resource = resource
        self.related = names_param("related", list(resource.related)) or ()
        asked = {part.strip() for part in request.args.get("fields", "").split(",")}
        for name in sorted(asked & set(resource.withheld)):
            raise BadRequest(f"Parameter 'fields': '{name}' {resource.withheld[name]}")
        self.fields = names_param("fields", [*resource.keys, *resource.related])

    def __call__(self, db: Session, row: Any) -> dict:
        """The record as the caller asked for it."""
        return self.finish(db, row, self.resource.public(db, row))

    def many(self, db: Session, rows: list) -> list[dict]:
        """A page of records as the caller asked for them."""
        many = self.resource.public_many
        bodies = many(db, rows) if many else [self.resource.public(db, row) for row in rows]
        return [self.finish(db, row, body) for row, body in zip(rows, bodies, strict=True)]

    def finish(self, db: Session, row: Any, body: dict) -> dict:
        """A record's JSON form with the related records and fields the caller asked for."""
        for name in self.related:
            body[name] = self.resource.related[name](db, row)
        if self.fields is not None:
            body = {k: v for k, v in body.items() if k in self.fields or k in self.related}
        return body


def list_resource(db: Session, resource: Resource) -> dict:
    """The `{"resource": [...], "meta": {...}}` answer of a system list."""
    query = list_query(request.args)
    columns = public_columns(resource.model, resource.columns)
    asked_limit = "limit" in request.args
    rows, count = run_list(db, resource.model, columns, query, resource.where)
    if count is None and not asked_limit and len(rows) == query.limit:
        # A list cut at the cap says so, as the data API's does, so a client can page on.
        count = run_list(db, resource.model, columns, replace(query, include_count=True), resource.where)[1]
    shape = Shaper(resource)
    body: dict[str, Any] = {"resource": shape.many(db, list(rows))}
    if count is not None:
        body["meta"] = {"count": count}
    return body


def get_resource(db: Session, resource: Resource, row: Any) -> dict:
    """One record's JSON form, with the `related` and `fields` the request asks."""
    return Shaper(resource)(db, row)


def list_fixed(
    items: Sequence[dict], keys: Sequence[str], as_list_key: str | None = None, consumed: Sequence[str] = ()
) -> dict:
    """A list of a fixed catalogue (service types): paging, count and fields; no filter, order or ids.

    With `as_list_key`, DreamFactory's `as_list=true` answers only that key of each item (a list of names).
    `consumed` names parameters the caller has already applied to `items` (service types' `group`).
    """
    args: Mapping[str, str] = {k: v for k, v in request.args.items() if k not in consumed}
    as_list = as_list_key is not None and bool_param(args, "as_list")
    if as_list_key is not None:
        args = {k: v for k, v in args.items() if k != "as_list"}
    query = list_query(args)
    for name, given in (("filter", query.filter), ("order", query.order), ("ids", query.ids)):
        if given:
            raise BadRequest(f"Parameter '{name}' is not supported on this list")
    fields = names_param("fields", list(keys))
    page = items[query.offset : query.offset + query.limit]
    body: dict[str, Any] = {
        "resource": [item[as_list_key] for item in page]
        if as_list and as_list_key is not None
        else [{k: v for k, v in i.items() if fields is None or k in fields} for i in page]
    }
    if query.include_count:
        body["meta"] = {"count": len(items)}
    return body
