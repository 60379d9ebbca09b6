"""DreamFactory's way of writing a database service, turned into Bastion's (DESIGN §5, §11).

DreamFactory names the engine in the service's `type` (`sqlite`, `pgsql`, `mysql`); here that is type
`sql` with `config.engine`. Its config field names are the same as ours for the connection (`host`,
`port`, `database`, `username`, `password`, `options`, `max_records`); its driver extras that have a
driver option here (`charset`, `sslmode`, `application_name`) become `options`; the rest work only
at their "off" value (null, empty, false, 0) and are otherwise a 400 that names them, never ignored.
A service's `doc` (DreamFactory's hand-written API doc) is accepted empty: Bastion builds each service's
document from its live schema.
"""

from __future__ import annotations

from typing import Any

from bastion.errors import ValidationError

ENGINES = {"sqlite": "sqlite", "pgsql": "postgresql", "mysql": "mysql"}
# Per engine: DreamFactory's config field -> the driver option it is here.
AS_OPTIONS = {
    "postgresql": {
        "charset": "client_encoding",
        "sslmode": "sslmode",
        "application_name": "application_name",
    },
    "mysql": {"charset": "charset"},
    "sqlite": {},
}
UNSUPPORTED = (
    "dsn",
    "connection_string",
    "schema",
    "attributes",
    "statements",
    "timezone",
    "collation",
    "modes",
    "strict",
    "unix_socket",
    "allow_upsert",
    "cache_enabled",
    "cache_ttl",
    "charset",
    "sslmode",
    "application_name",
)
DOC_FIELDS = ("doc", "service_doc_by_service_id")


def _empty(value: Any) -> bool:
    return value in (None, "", [], {}, False, 0)


def _doc_errors(item: dict) -> dict[str, str]:
    errors = {}
    for name in DOC_FIELDS:
        value = item.get(name)
        entries = value if isinstance(value, list) else [value]
        if any(not _empty(e) and not (isinstance(e, dict) and _empty(e.get("content"))) for e in entries):
            errors[name] = "Bastion builds each service's API docs from its live schema; send it empty"
    return errors


def _config(config: Any, engine: str | None) -> tuple[Any, dict[str, str]]:
    if not isinstance(config, dict):
        return config, {}
    config = dict(config)
    if engine is not None:
        if config.get("engine", engine) != engine:
            return config, {"config.engine": f"differs from the engine the type names ({engine})"}
        config["engine"] = engine
    stated = config.get("engine")
    renames = AS_OPTIONS.get(stated, {}) if isinstance(stated, str) else {}
    options = dict(config.get("options") or {}) if isinstance(config.get("options") or {}, dict) else None
    errors = {}
    for name in UNSUPPORTED:
        if name not in config:
            continue
        value = config.pop(name)
        if name in renames and options is not None and not _empty(value):
            options.setdefault(renames[name], value)
        elif not _empty(value):
            errors[f"config.{name}"] = "not supported by Bastion for this engine; leave it out or empty"
    if options:
        config["options"] = options
    return config, errors


def from_dreamfactory(item: Any) -> Any:
    """A service body with DreamFactory's type, config names and doc turned into Bastion's."""
    if not isinstance(item, dict):
        return item
    item = dict(item)
    engine = ENGINES.get(item.get("type")) if isinstance(item.get("type"), str) else None
    if engine is not None:
        item["type"] = "sql"
    errors = _doc_errors(item)
    for name in DOC_FIELDS:
        item.pop(name, None)
    if "config" in item:
        item["config"], problems = _config(item["config"], engine)
        errors.update(problems)
    elif engine is not None:
        item["config"] = {"engine": engine}
    if errors:
        raise ValidationError(errors)
    return item
