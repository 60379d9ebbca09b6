"""Query parameters of the data API, parsed and validated before any SQL is built (DESIGN §5, §11).

Conventions decided here:

- DreamFactory's aliases and option names are resolved first (data/options.py): ``select``, ``where``,
  ``top``, ``skip``, ``sort``/``order_by`` stand for ``fields``, ``filter``, ``limit``, ``offset``,
  ``order``; a DreamFactory option this endpoint does not implement is a 400 naming it.
- ``fields``: absent means the endpoint's default (every readable column for reads, the primary key for
  writes); ``*`` means every readable column; otherwise a comma list of names.
- ``order``: a comma list of ``field [asc|desc] [nulls first|last]``. Without ``nulls`` the engine's own
  placement applies (PostgreSQL puts nulls last when ascending, SQLite and MariaDB first).
- ``ids``: a comma list of ids. For composite keys each id is the key values joined by commas in key order,
  and ids are separated by semicolons: ``ids=3,7;4,1``. The parsed value keeps both levels (groups split on
  ``;``, values split on ``,``); the record layer checks them against the width of the key.
- ``params[:name]=value``: the values of the filter's ``:name`` placeholders (DreamFactory's form), kept
  as strings; ``params[name]`` is read as ``params[:name]``. Collection reads and writes by filter take
  them (a write's body may send them as ``{"params": {":name": value}}``, api/body_options.py).
- ``id_type``: DreamFactory's comma list of key types, checked to name DreamFactory's simple types; the
  key's real types always come from the schema, so it never changes an answer.
- ``include_count=estimate``: the count may be the database's row estimate (data/estimates.py), answered
  with ``meta.count_estimated``; otherwise ``include_count`` is a boolean.
- ``cursor``: keyset paging (data/keyset.py). Empty on the first page, then the ``meta.next`` token of the
  previous page; the token is checked when the read runs, against the table it belongs to.
- Booleans (``include_count``, ``as_list``, ``continue``, ``rollback``) accept true/false/1/0 in any case; a
  parameter given without a value (``?include_count``) counts as true.
- ``related``: ``*`` or a comma list of relationship names (data/relationships.py), each with optional
  ``<name>.fields``, ``<name>.limit`` and ``<name>.order`` as DreamFactory names them; which names exist
  and may be read is decided later, against the schema and the caller's role (data/related.py).
- ``count_only``: the answer is the bare number of matching records (of groups, with ``group``).
- ``include_schema``: ``meta.schema`` holds what ``_schema/<table>`` answers the caller.
- ``group`` (alias ``group_by``): a comma list of columns; ``fields`` may then hold aggregates and
  ``having`` a condition on them (data/grouping.py). ``having`` without ``group`` is a 400.
- Other query parameters (``api_key``, ``session_token``, ``_``, ...) are ignored here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bastion.data.convert import FALSE_WORDS, TRUE_WORDS
from bastion.data.cursors import MAX_TOKEN
from bastion.data.cursors import NAME as CURSOR
from bastion.data.options import COLLECTION_READ, RECORD_OR_WRITE, RECORD_READ, Query
from bastion.errors import BadRequest

ALL_FIELDS = "*"
_AFTER = "(after a cursor)"  # the shape of a cursor page past the first, whatever its token
# A flag given with no value (`?include_count`) is true, as in DreamFactory.
_TRUE = (*TRUE_WORDS, "")
_FALSE = FALSE_WORDS
_NULLS = ("first", "last")
# df-core DbSimpleTypes, the names DreamFactory accepts in id_type.
_ID_TYPE_NAMES = """
    array bigid bigint binary boolean column date datetime datetimetz decimal double float id integer json
    jsonb longtext mediumid mediumint mediumtext money object reference ref_cursor row smallid smallint
    string table text time timetz timestamp timestamptz timestamp_on_create timestamp_on_update tinyint
    user_id user_id_on_create user_id_on_update uuid timeuuid
"""
ID_TYPES = frozenset(_ID_TYPE_NAMES.split())


class BatchMode(StrEnum):
    """How a batch write treats a failing record."""

    STOP = "stop"  # stop at the first failure; earlier records stay written
    ROLLBACK = "rollback"  # one transaction; any failure undoes the whole batch
    CONTINUE = "continue"  # try every record and report each


@dataclass(frozen=True)
class OrderTerm:
    """One ``order`` item: a field name, its direction, and where nulls go (None: the engine's default)."""

    field: str
    descending: bool = False
    nulls: str | None = None  # "first" or "last"


@dataclass(frozen=True)
class RelatedAsk:
    """The options of one relationship in ``related``: ``<name>.fields``, ``.limit`` and ``.order``."""

    name: str
    fields: tuple[str, ...] | None = None
    limit: int | None = None
    order: tuple[OrderTerm, ...] = ()


@dataclass(frozen=True)
class Related:
    """The parsed ``related`` parameter: every relationship (``*``) or the named ones, with options."""

    every: bool
    asks: tuple[RelatedAsk, ...]

    def ask(self, name: str) -> RelatedAsk:
        """The options given for one relationship (none when it was not named)."""
        return next((ask for ask in self.asks if ask.name == name), RelatedAsk(name))


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
    id_type: tuple[str, ...] | None = None
    filter_params: tuple[tuple[str, str], ...] = ()  # placeholder name and value, sorted by name
    as_list: bool = False
    related: Related | None = None
    count_only: bool = False
    include_schema: bool = False
    group: tuple[str, ...] | None = None
    having: str | None = None
    capped: bool = True  # True when max_records, not the caller, set the limit
    cursor: str | None = None  # None: offset paging; "": a cursor's first page; else the previous token
    count_estimate: bool = False  # include_count=estimate: a row estimate will do where one exists

    def shape(self) -> ListParams:
        """Everything that decides the statements of this read, i.e. all but the values bound per run.

        Read plans are keyed on it, so a parameter added here can never be left out of their key. A
        cursor's token is bound per run; whether there is one (a keyset condition or not) is kept.
        """
        cursor = None if self.cursor is None else _AFTER if self.cursor else ""
        return dataclasses.replace(
            self, limit=0, offset=0, include_count=False, capped=False, cursor=cursor, count_estimate=False
        )


@dataclass(frozen=True)
class WriteParams:
    """The parsed query of a write: fields to return, how records are addressed, the batch mode."""

    fields: tuple[str, ...] | None = None
    filter: str | None = None
    ids: tuple[tuple[str, ...], ...] | None = None
    id_field: tuple[str, ...] | None = None
    id_type: tuple[str, ...] | None = None
    mode: BatchMode = BatchMode.STOP
    allow_related_delete: bool = False  # nested has_many writes may delete children (data/nested.py)
    filter_params: tuple[tuple[str, str], ...] = ()  # the filter's placeholders, as in ListParams


def parse_list_params(args: Mapping[str, str], max_records: int) -> ListParams:
    """Parse the query parameters of a collection read; BadRequest names the faulty parameter."""
    query = Query(args, COLLECTION_READ)
    asked = _int_param(query, "limit", minimum=1)
    limit = max_records if asked is None else min(asked, max_records)
    group = name_list(query, "group")
    having = _filter_param(query, "having")
    params = ListParams(
        limit=limit,
        offset=_int_param(query, "offset", minimum=0) or 0,
        fields=parse_fields(query),
        filter=_filter_param(query),
        order=_order_param(query),
        include_count=_count_param(query) is not None,
        ids=_ids_param(query),
        id_field=name_list(query, "id_field"),
        id_type=_id_type_param(query),
        filter_params=tuple(sorted(query.params.items())),
        as_list=bool_param(query, "as_list"),
        related=parse_related(query, args),
        count_only=bool_param(query, "count_only"),
        include_schema=bool_param(query, "include_schema"),
        group=group,
        having=having,
        capped=asked is None or asked > max_records,
        cursor=_cursor_param(args),
        count_estimate=_count_param(query) == "estimate",
    )
    _check_together(params)
    return params


def _check_together(params: ListParams) -> None:
    """Refuse options that make no sense together, before any of them is checked against the schema."""
    if params.having is not None and params.group is None:
        raise BadRequest("Parameter 'having' needs 'group'")
    if params.related is not None and params.as_list:
        raise BadRequest("Parameters 'related' and 'as_list' cannot be used together")
    if params.group is not None and params.as_list:
        raise BadRequest("Parameters 'as_list' and 'group' cannot be used together")
    # Groups and a bare count have no records to hang related records on, nor a last row to page after.
    for option in ("related", CURSOR):
        if getattr(params, option) is not None and (params.group is not None or params.count_only):
            raise BadRequest(f"Parameter '{option}' cannot be used with 'group' or 'count_only'")
    if params.cursor is not None and (params.ids is not None or params.offset):
        raise BadRequest(f"Parameter '{CURSOR}' cannot be combined with 'offset' or 'ids'")


def parse_write_params(args: Mapping[str, str], query: Query | None = None) -> WriteParams:
    """Parse the query parameters of a write (POST, PUT, PATCH, DELETE) or of a read by id."""
    query = query or Query(args, RECORD_OR_WRITE)
    return WriteParams(
        fields=parse_fields(query),
        filter=_filter_param(query),
        ids=_ids_param(query),
        id_field=name_list(query, "id_field"),
        id_type=_id_type_param(query),
        mode=parse_batch_mode(query),
        allow_related_delete=bool_param(query, "allow_related_delete"),
        filter_params=tuple(sorted(query.params.items())),
    )


def parse_read_params(args: Mapping[str, str]) -> tuple[WriteParams, Related | None]:
    """The query of a read by id: what parse_write_params reads, plus ``related``."""
    if not args:
        return NO_OPTIONS, None
    query = Query(args, RECORD_READ)
    return parse_write_params(args, query), parse_related(query, args)


def parse_related(query: Query, args: Mapping[str, str]) -> Related | None:
    """``related`` with its ``<name>.fields|limit|order`` options; None when not asked."""
    names = name_list(query, "related", allow_star=True)
    if names is None:
        return None
    every = ALL_FIELDS in names
    named = {name for name in names if name != ALL_FIELDS}
    # Options of relationships that were not asked for change nothing (with `*`, each may apply).
    split = (key.rsplit(".", 1) for key in args if "." in key)
    prefixes = {prefix for prefix, option in split if option in ("fields", "limit", "order")}
    asks = tuple(_related_ask(name, args) for name in sorted(named | (prefixes if every else set())))
    return Related(every, asks)


def _related_ask(name: str, args: Mapping[str, str]) -> RelatedAsk:
    fields = name_list(args, f"{name}.fields", allow_star=True)
    order = args.get(f"{name}.order") or ""
    return RelatedAsk(
        name,
        (ALL_FIELDS,) if fields is not None and ALL_FIELDS in fields else fields,
        _int_param(args, f"{name}.limit", minimum=1),
        tuple(_order_term(item, f"{name}.order") for item in order.split(",")) if order.strip() else (),
    )


def parse_batch_mode(args: Query | Mapping[str, str]) -> BatchMode:
    """The batch mode from ``continue`` and ``rollback``; both together is a 400."""
    keep_going = bool_param(args, "continue")
    rollback = bool_param(args, "rollback")
    if keep_going and rollback:
        raise BadRequest("Parameters 'continue' and 'rollback' cannot be used together")
    if rollback:
        return BatchMode.ROLLBACK
    return BatchMode.CONTINUE if keep_going else BatchMode.STOP


def parse_fields(args: Query | Mapping[str, str]) -> tuple[str, ...] | None:
    """The ``fields`` parameter: None when absent, ``("*",)`` for every readable field."""
    names = name_list(args, "fields", allow_star=True)
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


def _ids_param(args: Query) -> tuple[tuple[str, ...], ...] | None:
    text = args.get("ids")
    if text is None:
        return None
    if not text.strip():
        raise BadRequest("Parameter 'ids' must not be empty")
    return parse_ids(text)


def _id_type_param(args: Query) -> tuple[str, ...] | None:
    names = name_list(args, "id_type")
    unknown = [name for name in names or () if name.lower() not in ID_TYPES]
    if unknown:
        raise BadRequest(f"Parameter 'id_type' names an unknown type '{unknown[0]}'")
    return names


MAX_COUNT = 2**63 - 1


def _int_param(args: Query | Mapping[str, str], name: str, minimum: int) -> int | None:
    text = args.get(name)
    if text is None:
        return None
    name = _label(args, name)
    kind = "a positive integer" if minimum > 0 else "a non-negative integer"
    text = text.strip()
    # isdecimal() refuses signs, spaces and exponents, which int() would partly accept.
    if not text.isdecimal() or not text.isascii() or int(text) < minimum:
        raise BadRequest(f"Parameter '{name}' must be {kind}")
    # Databases count rows in signed 64 bits; a larger number would reach the driver and fail there.
    if int(text) > MAX_COUNT:
        raise BadRequest(f"Parameter '{name}' must be at most {MAX_COUNT}")
    return int(text)


def bool_param(args: Query | Mapping[str, str], name: str) -> bool:
    """A true/false option (true, false, 1, 0 in any case; bare means true); anything else is a 400."""
    text = args.get(name)
    if text is None:
        return False
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequest(f"Parameter '{_label(args, name)}' must be true, false, 1 or 0")


def _count_param(args: Query) -> str | None:
    """``include_count``: None (no count), "exact", or "estimate"."""
    text = args.get("include_count")
    if text is not None and text.strip().lower() == "estimate":
        return "estimate"
    try:
        return "exact" if bool_param(args, "include_count") else None
    except BadRequest:
        name = args.label("include_count")
        raise BadRequest(f"Parameter '{name}' must be true, false, 1, 0 or estimate") from None


def _cursor_param(args: Mapping[str, str]) -> str | None:
    # Not a DreamFactory option, so the Query (which keeps only those) does not carry it.
    text = args.get(CURSOR)
    if text is None:
        return None
    if len(text) > MAX_TOKEN:
        raise BadRequest(f"Parameter '{CURSOR}' is too long to be a cursor", {"parameter": CURSOR})
    return text.strip()


def _filter_param(args: Query, name: str = "filter") -> str | None:
    text = args.get(name)
    return text if text is not None and text.strip() else None


def name_list(args: Query | Mapping[str, str], name: str, allow_star: bool = False) -> tuple[str, ...] | None:
    """A comma list of names (None when absent or blank); an empty item, or ``*`` unless allowed, is a 400."""
    text = args.get(name)
    if text is None or not text.strip():
        return None
    name = _label(args, name)
    names = tuple(part.strip() for part in text.split(","))
    if not all(names):
        raise BadRequest(f"Parameter '{name}' must be a comma-separated list of field names")
    if not allow_star and ALL_FIELDS in names:
        raise BadRequest(f"Parameter '{name}' must name fields, not '*'")
    return names


def _order_param(args: Query) -> tuple[OrderTerm, ...]:
    text = args.get("order")
    if text is None or not text.strip():
        return ()
    return tuple(_order_term(item, args.label("order")) for item in text.split(","))


def _order_term(item: str, name: str) -> OrderTerm:
    """``field [asc|desc] [nulls first|last]``, DreamFactory's order item."""
    words = item.split()
    rest = [word.lower() for word in words[1:]]
    direction = rest.pop(0) if rest and rest[0] in ("asc", "desc") else "asc"
    nulls = rest[1] if len(rest) == 2 and rest[0] == "nulls" and rest[1] in _NULLS else None
    if not words or rest and nulls is None:
        raise BadRequest(
            f"Parameter '{name}' must be a comma list of 'field [asc|desc] [nulls first|last]', "
            f"not '{item.strip()}'"
        )
    return OrderTerm(words[0], direction == "desc", nulls)


def _label(args: Query | Mapping[str, str], name: str) -> str:
    return args.label(name) if isinstance(args, Query) else name


# A read without query options gets these (parse_read_params); they are the same every time, so parsed
# once, here where every parser they need is defined.
NO_OPTIONS = parse_write_params({})
