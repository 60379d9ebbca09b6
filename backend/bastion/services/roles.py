"""Roles and their access entries, validated on save against the services' real schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from bastion import components
from bastion.components import DOCS_SERVICE
from bastion.data.operators import OPERATORS, normalize
from bastion.errors import NotFound, ValidationError, already_used
from bastion.models import utcnow
from bastion.models_access import AccessEntry, Role, RoleCreate, RoleUpdate
from bastion.service_types import HTTP_TYPE
from bastion.services import apply_sent_fields, filter_values, remove, save
from bastion.verbs import VERB_MASK

DREAMFACTORY_ACCESS = "role_service_access_by_role_id"
# DreamFactory's requestor_mask: 1 = API calls, 2 = its server-side scripts, which Bastion does not have.
REQUESTOR_API = 1
# Given a service name: its reflected tables by name, or raise ValueError saying why not.
TablesOf = Callable[[str], dict[str, sa.Table]]


def list_roles(db: Session) -> list[Role]:
    """Every role, ordered by name."""
    return list(db.exec(select(Role).order_by(Role.name)))


def get_role(db: Session, role_id: int) -> Role:
    """One role by id, or NotFound."""
    role = db.get(Role, role_id)
    if role is None:
        raise NotFound(f"Role {role_id} not found")
    return role


def _entry_from_dreamfactory(raw: Any, where: str, service_names: Mapping[int, str]) -> tuple[dict, dict]:
    """One DreamFactory access entry as ours, or the errors that name what is wrong with it."""
    if not isinstance(raw, dict):
        return {}, {where: "must be an object"}
    service_id = raw.get("service_id")
    if service_id is not None and (not isinstance(service_id, int) or isinstance(service_id, bool)):
        return {}, {f"{where}.service_id": "must be a service id or null"}
    requestor = raw.get("requestor_mask", REQUESTOR_API)
    if requestor is not None and (not isinstance(requestor, int) or not requestor & REQUESTOR_API):
        return {}, {f"{where}.requestor_mask": "must include 1 (API calls): Bastion has no scripts"}
    entry = {k: v for k, v in raw.items() if k not in ("id", "role_id", "service_id", "requestor_mask")}
    entry["service"] = service_names.get(service_id, f"#{service_id}") if service_id is not None else None
    return entry, {}


def from_dreamfactory(item: Any, service_names: Mapping[int, str]) -> Any:
    """Accept DreamFactory's role_service_access_by_role_id (service_id, verb_mask) as `access`."""
    if not isinstance(item, dict):
        return item
    if DREAMFACTORY_ACCESS not in item:
        return item
    raw_entries = item[DREAMFACTORY_ACCESS]
    if raw_entries is None:
        raw_entries = []
    if not isinstance(raw_entries, list):
        raise ValidationError({DREAMFACTORY_ACCESS: "must be a list of objects"})
    entries, errors = [], {}
    for i, raw in enumerate(raw_entries):
        entry, problems = _entry_from_dreamfactory(raw, f"{DREAMFACTORY_ACCESS}[{i}]", service_names)
        errors.update(problems)
        if not problems:
            entries.append(entry)
    if errors:
        raise ValidationError(errors)
    item = {k: v for k, v in item.items() if k != DREAMFACTORY_ACCESS}
    item.setdefault("access", entries)
    return item


def to_dreamfactory(role: Role, service_ids: Mapping[str, int]) -> list[dict]:
    """The role's entries in DreamFactory's form (service_id, verb_mask), as its clients read them.

    An entry whose service is gone, or that grants the docs of a service (Bastion's `api_docs` entries),
    has no DreamFactory form and is left out; `access` always has every entry.
    """
    shown = []
    for entry in role.access:
        service = entry.get("service")
        if service is not None and service.lower() not in service_ids:
            continue
        mask = sum(VERB_MASK[verb] for verb in entry.get("verbs", []))
        shown.append(
            {
                "role_id": role.id,
                "service_id": service_ids[service.lower()] if service is not None else None,
                "component": entry.get("component", "*"),
                "verb_mask": mask,
                "requestor_mask": REQUESTOR_API,
                "filters": entry.get("filters", []),
                "filter_op": entry.get("filter_op", "AND"),
                "fields": entry.get("fields"),
            }
        )
    return shown


def _find_table(tables: dict[str, sa.Table], name: str) -> sa.Table | None:
    """The table an entry names: exact, else the one table with that lower-case name (as requests do)."""
    if name in tables:
        return tables[name]
    found = [t for key, t in tables.items() if key.lower() == name.lower()]
    return found[0] if len(found) == 1 else None


def _kind_errors(entry: AccessEntry, where: str, parsed: components.Component, kind: str | None) -> dict:
    """An HTTP service has path components and no rows or columns; a database service has no paths.

    An entry on all services (kind None) may name a path, since remote HTTP services may match it: it
    is accepted and counts for them only (the decision and access.reaches never ask a path of a
    database service), so it takes no filters or fields either. Likewise an all-services `_table` or
    `_schema` entry counts for database services only.
    """
    is_http = kind == HTTP_TYPE
    if is_http and parsed.resource in (components.TABLE, components.SCHEMA):
        return {f"{where}.component": "an HTTP service's components are paths ('', '*', 'a/b', 'a/*')"}
    if kind is not None and not is_http and components.is_path(parsed):
        return {f"{where}.component": components.problem(entry.component, paths=False)}
    errors = {}
    if is_http or components.is_path(parsed):
        if entry.filters:
            errors[f"{where}.filters"] = "an HTTP service's path has no rows to filter"
        if entry.fields is not None:
            errors[f"{where}.fields"] = "an HTTP service's path has no columns to choose"
    return errors


def _entry_errors(
    entry: AccessEntry, where: str, services: Mapping[str, str], tables_of: TablesOf
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if entry.service == DOCS_SERVICE:
        if entry.component != "*" and entry.component.lower() not in services:
            errors[f"{where}.component"] = "must be '*' or the name of a service"
        return errors
    if entry.service is not None and entry.service.lower() not in services:
        return {f"{where}.service": f"unknown service '{entry.service}'"}
    parsed = components.parse(entry.component)
    if parsed is None:
        return {f"{where}.component": components.problem(entry.component) or "not a component"}
    kind = services.get(entry.service.lower()) if entry.service is not None else None
    if kind_errors := _kind_errors(entry, where, parsed, kind):
        return kind_errors
    if kind == HTTP_TYPE or components.is_path(parsed):
        return errors  # paths are not checked against the upstream: it has no schema to ask
    table_name = parsed.table
    for i, row_filter in enumerate(entry.filters):
        if normalize(row_filter.operator) not in OPERATORS:
            errors[f"{where}.filters[{i}].operator"] = f"unknown operator '{row_filter.operator}'"
        elif problem := filter_values.shape_problem(row_filter.operator, row_filter.value):
            errors[f"{where}.filters[{i}].value"] = problem
    if entry.service is None or table_name is None:
        return errors
    try:
        tables = tables_of(entry.service.lower())
    except ValueError as exc:
        return {f"{where}.service": str(exc)}
    table = _find_table(tables, table_name)
    if table is None:
        return {f"{where}.component": f"unknown table '{table_name}' in service '{entry.service}'"}
    return _column_errors(entry, where, table, errors)


def _column_errors(entry: AccessEntry, where: str, table: sa.Table, errors: dict[str, str]) -> dict[str, str]:
    """Add what is wrong with the entry's column names and filter values for its table to `errors`,
    spelling each name as the table does: requests match columns exactly, so `ID` for `id` denies all."""
    for i, row_filter in enumerate(entry.filters):
        column, problem = _column(table, row_filter.name)
        if column is None:
            errors[f"{where}.filters[{i}].name"] = problem
            continue
        row_filter.name = column.name
        key = f"{where}.filters[{i}].value"
        checked = key not in errors and normalize(row_filter.operator) in OPERATORS
        if checked and (problem := filter_values.type_problem(column, row_filter.operator, row_filter.value)):
            errors[key] = problem
    if entry.fields is not None:
        spelled = []
        for name in entry.fields:
            column, problem = _column(table, name)
            if column is None:
                errors[f"{where}.fields"] = problem
            else:
                spelled.append(column.name)
        entry.fields = list(dict.fromkeys(spelled))
    return errors


def _column(table: sa.Table, name: str) -> tuple[sa.Column | None, str]:
    """The column an entry names: exact, else the one column with that name in any case."""
    if name in table.c:
        return table.c[name], ""
    found = [c for c in table.columns if c.name.lower() == name.lower()]
    if len(found) == 1:
        return found[0], ""
    if found:
        return None, f"column '{name}' is ambiguous: name one of {', '.join(c.name for c in found)}"
    return None, f"unknown column '{name}'"


def validate_access(
    entries: list[AccessEntry], services: Mapping[str, str], tables_of: TablesOf
) -> list[dict]:
    """Check every entry against the real services, tables and columns; 400 naming each bad entry."""
    errors: dict[str, str] = {}
    for i, entry in enumerate(entries):
        errors.update(_entry_errors(entry, f"access[{i}]", services, tables_of))
    if errors:
        raise ValidationError(errors)
    return [e.model_dump(mode="json") for e in entries]


def _ensure_name_free(db: Session, name: str, own_id: int | None = None) -> None:
    existing = db.exec(select(Role).where(Role.name == name)).first()
    if existing is not None and existing.id != own_id:
        raise already_used(["name"], "role")


def create_role(db: Session, data: RoleCreate, services: Mapping[str, str], tables_of: TablesOf) -> Role:
    """Create a role with validated entries."""
    _ensure_name_free(db, data.name)
    access = validate_access(data.access, services, tables_of)
    role = Role(name=data.name, description=data.description, is_active=data.is_active, access=access)
    return save(db, role, "roles")


def update_role(
    db: Session, role_id: int, data: RoleUpdate, services: Mapping[str, str], tables_of: TablesOf
) -> Role:
    """Apply the fields sent; entries, when sent, replace the role's entries."""
    role = get_role(db, role_id)
    fields = data.model_dump(exclude_unset=True, exclude={"access"})
    if fields.get("name"):
        _ensure_name_free(db, fields["name"], role.id)
    apply_sent_fields(role, fields)
    if data.access is not None:
        role.access = validate_access(data.access, services, tables_of)
    role.updated_at = utcnow()
    return save(db, role, "roles")


def delete_role(db: Session, role_id: int) -> Role:
    """Delete a role; apps fall back to no default role, user assignments to it go."""
    role = get_role(db, role_id)
    # "access", not "roles": its apps and assignments change too (foreign keys), and it rebuilds both.
    return remove(db, role, "access")
