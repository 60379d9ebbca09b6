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

DOCS_FIELD = SQL_FIELDS[-1]
HTTP_AUTH_KINDS = ("none", "header", "query", "basic", "bearer")
DEFAULT_FORWARD_HEADERS = ("Accept", "Accept-Language", "Content-Type")
DEFAULT_HTTP_TIMEOUT = 10
HTTP_TIMEOUT_RANGE = (1, 300)
DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
MAX_RESPONSE_BYTES_LIMIT = 100 * 1024 * 1024

HTTP_FIELDS = (
    _field(
        "base_url",
        "Base URL",
        required=True,
        description="The remote API's root, http:// or https://; requests to /api/v2/<service>/<path> go "
        "to <base URL>/<path>. Only public addresses, unless in HTTP_SERVICES_ALLOWED_NETWORKS",
    ),
    _field(
        "auth",
        "Authentication",
        "object",
        default={"kind": "none"},
        description="How the platform signs in to the remote API; the secret never reaches callers",
        fields=[
            _field("kind", "Kind", required=True, choices=list(HTTP_AUTH_KINDS), default="none"),
            _field("name", "Header or parameter name", description="For kinds header and query"),
            _field("value", "Key value", secret=True, description="For kinds header and query"),
            _field("username", "Username", description="For kind basic"),
            _field("password", "Password", secret=True, description="For kind basic"),
            _field("token", "Token", secret=True, description="For kind bearer"),
        ],
    ),
    _field(
        "headers",
        "Fixed headers",
        "list",
        default=[],
        description="Headers sent on every request; mark a header secret to store its value sealed",
        items=[
            _field("name", "Name", required=True),
            _field("value", "Value", required=True),
            _field("secret", "Secret", "boolean", default=False),
        ],
    ),
    _field(
        "forward_headers",
        "Forwarded client headers",
        "list",
        default=list(DEFAULT_FORWARD_HEADERS),
        description="Client headers passed on; never Authorization, cookies or the platform's own",
    ),
    _field(
        "timeout",
        "Timeout (seconds)",
        "integer",
        default=DEFAULT_HTTP_TIMEOUT,
        minimum=HTTP_TIMEOUT_RANGE[0],
        maximum=HTTP_TIMEOUT_RANGE[1],
        description="Bounds the whole exchange (connect, headers, body); a slower one is answered 504",
    ),
    _field(
        "max_response_bytes",
        "Max response bytes",
        "integer",
        default=DEFAULT_MAX_RESPONSE_BYTES,
        minimum=1,
        maximum=MAX_RESPONSE_BYTES_LIMIT,
        description="A larger answer is refused with 502; nothing of it is passed on",
    ),
    _field(
        "openapi",
        "Upstream OpenAPI document",
        "json",
        description="The remote API's OpenAPI document: its URL (fetched like a request) or the JSON itself",
    ),
    DOCS_FIELD,
)

# The types of a database service, whose components are tables, and of a remote HTTP service (paths);
# each in DreamFactory's group of its kind (GET /api/v2?group=Database).
SQL_TYPE = "sql"
HTTP_TYPE = "http"

SERVICE_TYPES = {
    "sql": {
        "name": "sql",
        "label": "SQL database",
        "group": "Database",
        "description": "An existing SQLite, PostgreSQL or MySQL/MariaDB database as a REST API",
        "config_schema": list(SQL_FIELDS),
    },
    "http": {
        "name": "http",
        "label": "Remote HTTP API",
        "group": "Remote Service",
        "description": "A third-party REST API behind the platform, its credentials sealed",
        "config_schema": list(HTTP_FIELDS),
    },
}


def config_fields(service_type: str) -> tuple[dict, ...]:
    """The config fields of a service type."""
    return tuple(SERVICE_TYPES[service_type]["config_schema"])


def secret_fields(service_type: str) -> frozenset[str]:
    """The names of a type's secret config fields."""
    return frozenset(f["name"] for f in config_fields(service_type) if f["secret"])
