"""DreamFactory's query options on the data API: their aliases, and which ones Bastion refuses (DESIGN §11).

The names come from df-core's ApiOptions. A DreamFactory client must never get a plausible but wrong
answer because Bastion skipped an option it sent, so an option DreamFactory defines that a Bastion
endpoint does not implement is a 400 naming it. Names DreamFactory does not define (``api_key``, a
cache-buster ``_=123``) are not options and stay ignored.

Aliases are DreamFactory's too: ``select`` for ``fields``, ``where`` for ``filter``, ``top`` for ``limit``,
``skip`` for ``offset``, ``sort`` and ``order_by`` for ``order``. Sending an option under two spellings is
a 400, since which one DreamFactory would pick depends on where it looks first.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping

from bastion.errors import BadRequest

ALIASES = {"select": "fields", "where": "filter", "top": "limit", "skip": "offset"}
ALIASES |= {"sort": "order", "order_by": "order", "group_by": "group"}
# df-core ApiOptions: every option DreamFactory defines, under its canonical name.
DREAMFACTORY_OPTIONS = frozenset(
    {"fields", "params", "as_list", "as_access_list", "ids", "id_field", "id_type", "continue", "rollback"}
    | {"related", "allow_related_delete", "filter", "limit", "offset", "order", "group", "having", "file"}
    | {"include_access", "include_count", "count_only", "include_schema", "refresh", "regenerate"}
    | {"schema", "force", "send_invite"}
)
# What every table endpoint implements; `refresh` is read by the view (api/data.py) on every data path.
COMMON = frozenset({"fields", "filter", "ids", "id_field", "id_type", "continue", "rollback", "refresh"})
# A read's paging options are harmless on a write, which has always ignored them.
COLLECTION_READ = COMMON | {"limit", "offset", "order", "include_count", "params", "as_list", "related"}
COLLECTION_READ |= {"count_only", "include_schema", "group", "having", "file"}
RECORD_OR_WRITE = COMMON | {"limit", "offset", "order", "include_count", "allow_related_delete", "params"}
# A read by id also takes `related` (data/related.py); writes do not answer related records. It takes no
# filter placeholders: only writes by filter and collection reads have a filter to fill.
RECORD_READ = RECORD_OR_WRITE - {"params"} | {"related", "file"}
# Reasons for the options that are DreamFactory's but not (yet) Bastion's; the rest get a generic one.
_WHY = {
    "file": "is supported on table reads (GET _table/<table>[/<id>]) only",
    "as_list": "is supported on collection reads (GET _table/<table>) only",
    "params": "is supported with 'filter' on collection reads and writes (_table/<table>) only",
    "related": "is supported on reads (GET) only",
}
_WHY |= dict.fromkeys(
    ("count_only", "include_schema", "group", "having"),
    "is supported on collection reads (GET _table/<table>) only",
)
_PARAMS_KEY = re.compile(r"params\[(:?)([A-Za-z_]\w*)\]", re.ASCII)


class Query:
    """A request's options under their canonical names, remembering how the client spelled each."""

    def __init__(
        self, args: Mapping[str, str], implemented: Collection[str], refused: str | None = None
    ) -> None:
        """Read args against the options an endpoint implements; ``refused`` overrides the 400's reason."""
        self._values: dict[str, str] = {}
        self._spelled: dict[str, str] = {}
        self.params: dict[str, str] = {}
        for name in _names(args):
            if name.startswith("params[") or name == "params":
                self._placeholder(name, args.get(name), "params" in implemented)
                continue
            canonical = ALIASES.get(name, name)
            if canonical not in DREAMFACTORY_OPTIONS:
                continue
            if canonical not in implemented:
                why = refused or _WHY.get(canonical, "is not supported by Bastion")
                raise BadRequest(f"Parameter '{name}' {why}", {"parameter": name})
            if canonical in self._values:
                raise BadRequest(
                    f"Parameters '{self._spelled[canonical]}' and '{name}' cannot be used together"
                )
            self._values[canonical], self._spelled[canonical] = args.get(name), name

    def get(self, name: str) -> str | None:
        """The value of an option by its canonical name, under whichever spelling it was sent."""
        return self._values.get(name)

    def label(self, name: str) -> str:
        """The option's name as the client spelled it, for error messages."""
        return self._spelled.get(name, name)

    def _placeholder(self, key: str, value: str, allowed: bool) -> None:
        if not allowed:
            raise BadRequest(f"Parameter 'params' {_WHY['params']}", {"parameter": key})
        match = _PARAMS_KEY.fullmatch(key)
        if match is None:
            raise BadRequest(
                f"Parameter '{key}' must name a filter placeholder, as in params[:name]=value",
                {"parameter": key},
            )
        name = ":" + match.group(2)
        if name in self.params:
            raise BadRequest(f"Filter placeholder '{name}' is given twice in 'params'")
        self.params[name] = value


def canonical(name: str) -> str:
    """One name per option: aliases resolved, a placeholder ``params[name]`` read as ``params[:name]``."""
    match = _PARAMS_KEY.fullmatch(name)
    if match is not None:
        return f"params[:{match.group(2)}]"
    return ALIASES.get(name, name)


def _names(args: Mapping[str, str]) -> Iterator[str]:
    # Sorted, so that which of two clashing spellings is named first does not depend on the URL's order.
    return iter(sorted(args))
