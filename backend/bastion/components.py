"""The component grammar of a data service (DESIGN §4): parse, validate, build and match, in one place.

Components: ``""`` (the service root), ``*``, ``_table``, ``_table/*``, ``_table/<t>``, ``_table/<t>/*``,
``_schema``, ``_schema/*``, ``_schema/<t>``. A table name may itself hold ``/``: everything after
``_table/`` (less a final ``/*``) is the name.

Matching, for one request component, ranks an entry's component in levels, most specific first:
exact, then ``<t>/*`` of the same table, then ``_table/*`` / ``_schema/*`` (``x/*`` also matches ``x``),
then ``*``. A table name in an entry covers exactly the table it names: the comparison ignores case only
when the request's table is the one table of its schema with that lower-case name (``folds``), so a grant
on ``items`` never reaches ``"Items"`` when both exist.

A remote HTTP service's components are its paths: ``""``, ``*``, ``statuses``, ``statuses/*``, ... An
entry ``p/*`` covers ``p`` and every path under it, the longest such prefix first; paths compare exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

DOCS_SERVICE = "api_docs"  # the pseudo-service whose components are service names (or "*")
TABLE = "_table"
SCHEMA = "_schema"
ALL = "*"
ROOT = ""
SERVICE_LEVEL = ("", "*", "_table", "_table/*", "_schema", "_schema/*")
# Stands for "a table no entry names" when probing what a role reaches without reflecting the schema.
UNNAMED = "\x00"
PATH = "/"  # the resource of an HTTP service's path components; no table or schema component uses it
EXACT, TABLE_WILDCARD, RESOURCE_WILDCARD, EVERYTHING = 0, 1, 2, 3


@dataclass(frozen=True)
class Component:
    """A parsed component: resource (None for the root, "*" for all), table, and a trailing `/*`."""

    resource: str | None
    table: str | None = None
    wildcard: bool = False
    folds: bool = True  # whether entries may name the table in another case

    def __str__(self) -> str:
        if self.resource is None:
            return ROOT
        parts = [] if self.resource == PATH else [self.resource]
        if self.table is not None:
            parts.append(self.table)
        if self.wildcard:
            parts.append("*")
        return "/".join(parts)


def table(name: str, folds: bool = True) -> Component:
    """The component `_table/<name>`."""
    return Component(TABLE, name, folds=folds)


def schema(name: str, folds: bool = True) -> Component:
    """The component `_schema/<name>`."""
    return Component(SCHEMA, name, folds=folds)


def resource(name: str) -> Component:
    """A service-level component: `_table` or `_schema` (the listings)."""
    return Component(name)


ROOT_COMPONENT = Component(None)


def path(text: str) -> Component:
    """The component of an HTTP service's path (no leading `/`); the empty path is the root."""
    return Component(PATH, text, folds=False) if text else ROOT_COMPONENT


def _parse_path(text: str) -> Component | None:
    """A path component (`a/b`, `a/b/*`), or None: empty segments and a `*` not at the end are no path."""
    wildcard = text.endswith("/*")
    name = text[:-2] if wildcard else text
    segments = name.split("/")
    if not name or any(not s or s == "*" or s in (".", "..") for s in segments):
        return None
    return Component(PATH, name, wildcard, folds=False)


def is_path(component: Component | None) -> bool:
    """Whether a component is an HTTP service's path (not the root, `*` or a table component)."""
    return component is not None and component.resource == PATH


@lru_cache(maxsize=4096)
def parse(text: str) -> Component | None:
    """The component a text names, or None when it is not one."""
    if text == ROOT:
        return ROOT_COMPONENT
    if text == ALL:
        return Component(ALL)
    head, _, rest = text.partition("/")
    if head not in (TABLE, SCHEMA):
        return _parse_path(text)
    if not _:
        return Component(head)
    if rest == "*":
        return Component(head, wildcard=True)
    wildcard = rest.endswith("/*")
    name = rest[:-2] if wildcard else rest
    if not name or (wildcard and head == SCHEMA):
        return None
    return Component(head, name, wildcard)


def of(component: Component | str) -> Component | None:
    """A component given as text or already parsed."""
    return component if isinstance(component, Component) else parse(component)


def problem(text: str, paths: bool = True) -> str | None:
    """Why a text is not a valid entry component (of a database service, when not paths), or None."""
    parsed = parse(text)
    if parsed is None or (not paths and is_path(parsed)):
        return f"'{text}' is not a component (see as_access_list)"
    return None


def access_list(tables: Iterable[str]) -> list[str]:
    """Every grantable component of a database service, for the role editor."""
    components = list(SERVICE_LEVEL)
    for name in tables:
        components += [str(table(name)), str(Component(TABLE, name, wildcard=True)), str(schema(name))]
    return components


def _same_table(named: str, wanted: Component) -> bool:
    if named == wanted.table:
        return True
    return wanted.folds and wanted.table is not None and named.lower() == wanted.table.lower()


def level(entry: Component | None, wanted: Component) -> float | None:
    """How specifically an entry's component matches the wanted one (lower is more specific), or None."""
    if entry is None:
        return None
    if entry.resource == ALL:
        return EVERYTHING
    if entry.resource != wanted.resource:
        return None
    if entry.resource == PATH:
        return _path_level(entry, wanted)
    if entry.table is None:
        if entry.wildcard:
            return RESOURCE_WILDCARD
        return EXACT if wanted.table is None and not wanted.wildcard else None
    if wanted.table is None or not _same_table(entry.table, wanted):
        return None
    if entry.wildcard:
        return EXACT if wanted.wildcard else TABLE_WILDCARD
    return EXACT if not wanted.wildcard else None


def _path_level(entry: Component, wanted: Component) -> float | None:
    """Exact, else `p/*` covering the path, a longer p ranking first (between levels 1 and 2)."""
    assert entry.table is not None and wanted.table is not None
    if not entry.wildcard:
        return EXACT if entry.table == wanted.table and not wanted.wildcard else None
    if wanted.table == entry.table or wanted.table.startswith(entry.table + "/"):
        return (
            EXACT if wanted.wildcard and wanted.table == entry.table else 1 + 1 / (2 + entry.table.count("/"))
        )
    return None


T = TypeVar("T")


def most_specific(items: Iterable[T], wanted: Component, text_of: Callable[[T], str]) -> list[T]:
    """The items whose component matches at the most specific level that any of them matches."""
    ranked = [(rank, item) for item in items if (rank := level(parse(text_of(item)), wanted)) is not None]
    if not ranked:
        return []
    best = min(rank for rank, _ in ranked)
    return [item for rank, item in ranked if rank == best]


def probes(named: Iterable[str], paths: bool | None) -> list[Component]:
    """Components that stand for every component of a service, given the components a role names.

    Every table (or path) that no entry names is decided alike, so UNNAMED stands for all of them; the
    root and the two listings stand for themselves. A service is probed only on components of its own
    kind: an HTTP service (`paths` True) on its root and paths, a database service (False) on its root,
    listings, tables and schemas; None probes both (a role asked of any service). An entry of the other
    kind (say `statuses/*` on all services) names nothing the service has, so it must not make the
    service look reachable.
    """
    parsed = [p for text in named if (p := parse(text)) is not None and p.table]
    found = [ROOT_COMPONENT]
    if paths is not True:
        found += [resource(TABLE), resource(SCHEMA)]
        for name in sorted({p.table for p in parsed if p.resource in (TABLE, SCHEMA)}) + [UNNAMED]:
            found += [table(name, folds=False), schema(name, folds=False)]
    if paths is not False:
        named_paths = sorted({p.table for p in parsed if p.resource == PATH})
        found += [path(name) for name in named_paths + [UNNAMED]]
    return found


def most_specific_docs(items: Iterable[T], service: str, text_of: Callable[[T], str]) -> list[T]:
    """Entries of the `api_docs` pseudo-service whose component (`<svc>` or `*`) covers a service."""
    items = list(items)
    exact = [item for item in items if text_of(item).lower() == service.lower()]
    return exact or [item for item in items if text_of(item) == ALL]
