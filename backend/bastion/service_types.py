"""Service types and the description of their config fields, from which the SPA renders its forms."""

from __future__ import annotations

from typing import Any

from bastion.data.timeouts import DEFAULT_QUERY_TIMEOUT, QUERY_TIMEOUT_RANGE

DEFAULT_MAX_RECORDS = 1000
MAX_RECORDS_LIMIT = 100_000


def _field(name: str, label: str, kind: str = "string", **extra: Any) -> dict:
    return {"name": name, "label": label, "type": kind, "required": False, "secret": False, **extra}


SQL_FIELDS = (
    _field("engine", "Engine", required=True, choices=["sqlite", "postgresql", "mysql"]),
    _field("host", "Host", description="Required for PostgreSQL and MySQL/MariaDB"),
    _field("port", "Port", "integer"),
    _field(
        "database",
        "Database",
        required=True,
        description="Database name; an absolute file path for SQLite (inside SQLITE_ROOTS when set)",
    ),
    _field("username", "Username"),
    _field("password", "Password", secret=True),
    _field(
        "options",
        "Driver options",
        "object",
        description="Extra driver options, name to text value: TLS mode, timeouts, application name, charset",
    ),
    _field("max_records", "Max records per request", "integer", default=DEFAULT_MAX_RECORDS),
    _field(
        "query_timeout",
        "Query timeout (seconds)",
        "integer",
        default=DEFAULT_QUERY_TIMEOUT,
        minimum=QUERY_TIMEOUT_RANGE[0],
        maximum=QUERY_TIMEOUT_RANGE[1],
        description="A statement still running after this long is cancelled and answered 504",
    ),
    _field(
        "docs",
        "API docs",
        default="follow_role",
        choices=["follow_role", "disabled"],
        # The values are the config's; forms show these words instead.
        choice_labels={
            "follow_role": "On: each caller sees what their role allows",
            "disabled": "Off: no API docs",
        },
        description="Whether this service has an OpenAPI document under /api/v2/api_docs",
    ),
)

SERVICE_TYPES = {
    "sql": {
        "name": "sql",
        "label": "SQL database",
        "description": "An existing SQLite, PostgreSQL or MySQL/MariaDB database as a REST API",
        "config_schema": list(SQL_FIELDS),
    }
}


def config_fields(service_type: str) -> tuple[dict, ...]:
    """The config fields of a service type."""
    return tuple(SERVICE_TYPES[service_type]["config_schema"])


def secret_fields(service_type: str) -> frozenset[str]:
    """The names of a type's secret config fields."""
    return frozenset(f["name"] for f in config_fields(service_type) if f["secret"])
