"""Query parameters of the data API, parsed and validated before any SQL is built (DESIGN §5).

Conventions decided here:

- ``fields``: absent means the endpoint's default (every readable column for reads, the primary key for
  writes); ``*`` means every readable column; otherwise a comma list of names.
- ``ids``: a comma list of ids. For composite keys each id is the key values joined by commas in key order,
  and ids are separated by semicolons: ``ids=3,7;4,1``. The parsed value keeps both levels (groups split on
  ``;``, values split on ``,``); the record layer checks them against the width of the key.
- Booleans (``include_count``, ``continue``, ``rollback``) accept true/false/1/0 in any case; a parameter
  given without a value (``?include_count``) counts as true.
- Other query parameters (``api_key``, ``session_token``, ...) are ignored here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bastion.errors import BadRequest

ALL_FIELDS = "*"
_TRUE = ("true", "1", "")
_FALSE = ("false", "0")


class BatchMode(StrEnum):
    """How a batch write treats a failing record."""

    STOP = "stop"  # stop at the first failure; earlier records stay written
    ROLLBACK = "rollback"  # one transaction; any failure undoes the whole batch
    CONTINUE = "continue"  # try every record and report each


@dataclass(frozen=True)
class OrderTerm:
    """One ``order`` item: a field name and its direction."""

    field: str
    descending: bool = False


@dataclass(frozen=True)
class ListParams:
    """The parsed query of a collection read."""

    limit: int
    offset: int = 0
    fields: tuple[str, ...] | None = None
    filter: str | None = None
    order: tuple[OrderTerm, ...] = ()
    include_count: bool = False
    ids: tuple[tuple[str, ...], ...] | None = None
    id_field: tuple[str, ...] | None = None
    capped: bool = True  # True when max_records, not the caller, set the limit


@dataclass(frozen=True)
class WriteParams:
    """The parsed query of a write: fields to return, how records are addressed, the batch mode."""

    fields: tuple[str, ...] | None = None
    filter: str | None = None
    ids: tuple[tuple[str, ...], ...] | None = None
    id_field: tuple[str, ...] | None = None
    mode: BatchMode = BatchMode.STOP


def parse_list_params(args: Mapping[str, str], max_records: int) -> ListParams:
    """Parse the query parameters of a collection read; BadRequest names the faulty parameter."""
    asked = _int_param(args, "limit", minimum=1)
    limit = max_records if asked is None else min(asked, max_records)
    return ListParams(
        limit=limit,
        offset=_int_param(args, "offset", minimum=0) or 0,
        fields=parse_fields(args),
        filter=_filter_param(args),
        order=_order_param(args),
        include_count=_bool_param(args, "include_count"),
        ids=_ids_param(args),
        id_field=_name_list(args, "id_field"),
        capped=asked is None or asked > max_records,
    )


def parse_write_params(args: Mapping[str, str]) -> WriteParams:
    """Parse the query parameters of a write (POST, PUT, PATCH, DELETE)."""
    return WriteParams(
        fields=parse_fields(args),
        filter=_filter_param(args),
        ids=_ids_param(args),
        id_field=_name_list(args, "id_field"),
        mode=parse_batch_mode(args),
    )


def parse_batch_mode(args: Mapping[str, str]) -> BatchMode:
    """The batch mode from ``continue`` and ``rollback``; both together is a 400."""
    keep_going = _bool_param(args, "continue")
    rollback = _bool_param(args, "rollback")
    if keep_going and rollback:
        raise BadRequest("Parameters 'continue' and 'rollback' cannot be used together")
    if rollback:
        return BatchMode.ROLLBACK
    return BatchMode.CONTINUE if keep_going else BatchMode.STOP


def parse_fields(args: Mapping[str, str]) -> tuple[str, ...] | None:
    """The ``fields`` parameter: None when absent, ``("*",)`` for every readable field."""
    names = _name_list(args, "fields", allow_star=True)
    if names is not None and ALL_FIELDS in names:
        return (ALL_FIELDS,)
    return names


def parse_ids(text: str, name: str = "ids") -> tuple[tuple[str, ...], ...]:
    """Split an ids list: groups on ``;``, key values on ``,``; empty ids are a 400."""
    groups = []
    for group in text.split(";"):
        values = tuple(value.strip() for value in group.split(","))
        if not all(values):
            raise BadRequest(f"Parameter '{name}' contains an empty id")
        groups.append(values)
    return tuple(groups)


def _ids_param(args: Mapping[str, str]) -> tuple[tuple[str, ...], ...] | None:
    text = args.get("ids")
    if text is None:
        return None
    if not text.strip():
        raise BadRequest("Parameter 'ids' must not be empty")
    return parse_ids(text)


MAX_COUNT = 2**63 - 1


def _int_param(args: Mapping[str, str], name: str, minimum: int) -> int | None:
    text = args.get(name)
    if text is None:
        return None
    kind = "a positive integer" if minimum > 0 else "a non-negative integer"
    text = text.strip()
    # isdecimal() refuses signs, spaces and exponents, which int() would partly accept.
    if not text.isdecimal() or not text.isascii() or int(text) < minimum:
        raise BadRequest(f"Parameter '{name}' must be {kind}")
    # Databases count rows in signed 64 bits; a larger number would reach the driver and fail there.
    if int(text) > MAX_COUNT:
        raise BadRequest(f"Parameter '{name}' must be at most {MAX_COUNT}")
    return int(text)


def _bool_param(args: Mapping[str, str], name: str) -> bool:
    text = args.get(name)
    if text is None:
        return False
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequest(f"Parameter '{name}' must be true, false, 1 or 0")


def _filter_param(args: Mapping[str, str]) -> str | None:
    text = args.get("filter")
    return text if text is not None and text.strip() else None


def _name_list(args: Mapping[str, str], name: str, allow_star: bool = False) -> tuple[str, ...] | None:
    text = args.get(name)
    if text is None or not text.strip():
        return None
    names = tuple(part.strip() for part in text.split(","))
    if not all(names):
        raise BadRequest(f"Parameter '{name}' must be a comma-separated list of field names")
    if not allow_star and ALL_FIELDS in names:
        raise BadRequest(f"Parameter '{name}' must name fields, not '*'")
    return names


def _order_param(args: Mapping[str, str]) -> tuple[OrderTerm, ...]:
    text = args.get("order")
    if text is None or not text.strip():
        return ()
    terms = []
    for item in text.split(","):
        words = item.split()
        direction = words[1].lower() if len(words) == 2 else "asc"
        if not words or len(words) > 2 or direction not in ("asc", "desc"):
            raise BadRequest(
                f"Parameter 'order' must be a comma list of 'field [asc|desc]', not '{item.strip()}'"
            )
        terms.append(OrderTerm(words[0], direction == "desc"))
    return tuple(terms)
