"""Query options sent in a JSON body, as DreamFactory's table resource reads them (DESIGN §11).

df-database's BaseDbTableResource::detectRequestMembers merges some options of the payload into the
query, on every verb of ``_table/<t>[/<id>]``: ``fields``, ``ids``, ``filter``, ``limit``, ``offset``,
``order``, ``group``, ``count_only``, ``params``, ``continue``, ``rollback`` and their aliases
(``WRITE_OPTIONS``). That is how its clients delete by a long ids list (``DELETE _table/t`` with
``{"ids": [1, 2]}``), by a filter with placeholders (``{"filter": "id = :n", "params": {":n": 1}}``),
update by ids (``PATCH _table/t`` with ``{"ids": "1,2", "salary": 5}``) or set a batch mode beside the
records (``{"resource": [...], "rollback": true}``). Decided here:

- A write's body options are read beside ``resource`` and in a bare object; an array carries none.
- A key that names a column the caller may use (in any case) stays the record's value, never an option:
  a record's own data must not turn a write into a write by filter, as a column named ``filter`` does in
  DreamFactory. A column the role hides does not count, so that how a key is read tells nothing of the
  hidden columns (its value would be dropped as a hidden column's).
- Other DreamFactory options (``id_field``, ``related``, ...) are read from the query string only, as in
  DreamFactory: in a body they are record keys like any other.
- One option given in both the query string and the body is a 400, whichever spelling each uses
  (DreamFactory silently takes the query's).
- Lists become comma lists (``[1, 2]`` is ``1,2``; a list of lists is a list of composite keys,
  ``1,2;3,4``), booleans ``true``/``false``, and ``params`` the ``params[:name]`` entries of the query.
- A table read (GET, tunnelled or not) takes every option from its body (tunnel.query_args).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bastion.data.options import ALIASES, canonical
from bastion.errors import BadRequest

# df-database BaseDbTableResource::getOptionalParameters.
WRITE_OPTIONS = frozenset(
    {"fields", "ids", "filter", "limit", "offset", "order", "group", "count_only", "params"}
    | {"continue", "rollback"}
)
_WRITE_NAMES = WRITE_OPTIONS | {alias for alias, name in ALIASES.items() if name in WRITE_OPTIONS}


def split_write_body(body: Any, columns: Iterable[str]) -> tuple[Any, dict[str, Any]]:
    """The body without its options, and those options by the names the client sent them under;
    `columns` are the names of the columns the caller may use."""
    if not isinstance(body, dict):
        return body, {}
    columns = {name.lower() for name in columns}
    options = {
        key: value
        for key, value in body.items()
        if key in _WRITE_NAMES and key.lower() not in columns and key != "resource"
    }
    rest = {key: value for key, value in body.items() if key not in options}
    return rest, options


def merged(args: Mapping[str, Any], body_options: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The query's options with the body's added as query values; one option in both is a 400."""
    merged_args: dict[str, Any] = {name: args[name] for name in args}
    sent = {canonical(name): name for name in merged_args}
    for name, value in body_options:
        for key, option in as_query(name, value):
            if (known := sent.get(canonical(key))) is not None:
                raise BadRequest(f"Option '{key}' is given in both the query string ('{known}') and the body")
            merged_args[key] = option
    return merged_args


def as_query(name: str, value: Any) -> list[tuple[str, Any]]:
    """A body option as query options: lists joined with commas, ``params`` as ``params[:name]`` entries."""
    if name == "params":
        if not isinstance(value, dict):
            raise BadRequest("Body option 'params' must be an object of placeholder values")
        return [(f"params[{key}]", _placeholder(key, item)) for key, item in value.items()]
    return [(name, _text(name, value))]


def _placeholder(name: str, value: Any) -> Any:
    # A placeholder keeps its JSON type: the filter binds numbers, booleans and null as they are.
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise BadRequest(f"Placeholder '{name}' in 'params' must be a string, number, boolean or null")


def _text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, list) and value:
        # ids may be a list of keys, a composite key a list of its values: `ids=1,2;3,4` as in the URL.
        if all(isinstance(item, list) for item in value):
            return ";".join(",".join(_text(name, part) for part in item) for item in value)
        return ",".join(_text(name, item) for item in value)
    raise BadRequest(f"Body option '{name}' must be a string, number, boolean or a list of them")
