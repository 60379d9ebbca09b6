"""System resource lists: filter, order, ids, limit, offset and count over a table's public columns.

One query builder for every `/api/v2/system/<resource>` list. The filter is the data API's grammar
(data/filters.py) over the columns a resource declares public, so values are always bound and a column
that is not declared (password_hash, api_key_hash, a service's config) cannot even be named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from bastion.data.filters import parse_filter
from bastion.data.params import OrderTerm
from bastion.errors import BadRequest
from bastion.model_times import with_aliases


@dataclass(frozen=True)
class ListQuery:
    """What a system list asks for, already parsed."""

    limit: int
    offset: int = 0
    filter: str | None = None
    order: tuple[OrderTerm, ...] = ()
    ids: tuple[int, ...] | None = None
    include_count: bool = False


def public_columns(model: Any, names: Sequence[str]) -> dict[str, sa.Column]:
    """The model's columns by public name (and DreamFactory's names of its times): the only ones a filter,
    an order or ids may use."""
    table = model.__table__
    return with_aliases({name: table.c[name] for name in names})


def _order_by(columns: dict[str, sa.Column], terms: tuple[OrderTerm, ...]) -> list:
    folded = {name.lower(): column for name, column in columns.items()}
    clauses = []
    for term in terms:
        column = folded.get(term.field.lower())
        if column is None:
            raise BadRequest(
                f"Parameter 'order': unknown field '{term.field}'; use one of: {', '.join(columns)}"
            )
        clauses.append(column.desc() if term.descending else column.asc())
    return clauses


def _conditions(model: Any, columns: dict[str, sa.Column], query: ListQuery, where: Sequence) -> list:
    conditions = list(where)
    if query.filter is not None:
        conditions.append(parse_filter(query.filter, columns))
    if query.ids is not None:
        conditions.append(model.__table__.c.id.in_(query.ids))
    return conditions


def run_list(
    db: Session, model: Any, columns: dict[str, sa.Column], query: ListQuery, where: Sequence = ()
) -> tuple[list[Any], int | None]:
    """The rows of one page and, when asked, the count of every matching row."""
    conditions = _conditions(model, columns, query, where)
    # The id breaks ties, so that pages never repeat or skip a row whatever the order asked.
    order = [*_order_by(columns, query.order), model.__table__.c.id.asc()]
    page = select(model).where(*conditions).order_by(*order).offset(query.offset).limit(query.limit)
    rows = list(db.exec(page))
    count = None
    if query.include_count:
        count = db.exec(select(sa.func.count()).select_from(model).where(*conditions)).one()
    return rows, count
