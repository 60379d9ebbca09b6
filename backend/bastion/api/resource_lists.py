"""DreamFactory's options on the lists of a database service's resources: the service root, `_table` and
`_schema` (df-core RestHandler::handleGET, df-database BaseDbTableResource and DbSchemaResource).

- ``as_list=true`` answers the names only: ``{"resource": ["employees", ...]}``.
- ``ids=a,b`` keeps the named entries (on `_table`, as a filter on the names the caller may reach). On
  `_schema` it answers each named table's description, as ``_schema/<table>`` does for one, with the same
  access decision (so an unknown or refused name is that path's 404 or 403).
- ``fields=name,...`` keeps those keys of each entry (``*``: all of them).
- ``include_access=true`` adds DreamFactory's ``access``, the verbs the caller may use there.
- ``refresh`` is read when the service is opened (api/opened.py).

Any other DreamFactory option (``filter``, ``limit``, ...) is a 400 naming it, never ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bastion.data.options import Query
from bastion.data.params import ALL_FIELDS, bool_param, name_list, parse_fields

IMPLEMENTED = frozenset({"as_list", "ids", "fields", "include_access", "refresh"})
SERVICE_ROOT = IMPLEMENTED | {"as_access_list"}


@dataclass(frozen=True)
class ListOptions:
    """The parsed options of a resource list."""

    as_list: bool = False
    ids: tuple[str, ...] | None = None
    fields: tuple[str, ...] | None = None
    include_access: bool = False

    def wants(self, name: str) -> bool:
        """Whether ``ids`` (when given) names this entry."""
        return self.ids is None or name in self.ids


def parse_list_options(args: Mapping[str, str], implemented: frozenset[str] = IMPLEMENTED) -> ListOptions:
    """The options of a resource list; a DreamFactory option it does not take is a 400 naming it."""
    query = Query(args, implemented, refused="is not supported on a list of a service's resources")
    return ListOptions(
        as_list=bool_param(query, "as_list"),
        ids=name_list(query, "ids"),
        fields=parse_fields(query),
        include_access=bool_param(query, "include_access"),
    )


def shaped(entries: list[dict[str, Any]], options: ListOptions) -> dict[str, Any]:
    """The ``{"resource": [...]}`` answer: names only with ``as_list``, else the ``fields`` of each entry."""
    if options.as_list:
        return {"resource": [entry["name"] for entry in entries]}
    if options.fields is not None and options.fields != (ALL_FIELDS,):
        keep = set(options.fields)
        entries = [{key: value for key, value in entry.items() if key in keep} for entry in entries]
    return {"resource": entries}
