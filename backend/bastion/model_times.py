"""DreamFactory's names for a system record's times, answered beside Bastion's own (DESIGN §11).

DreamFactory's records carry `created_date`, `last_modified_date` and, on users, `last_login_date`; its
clients sort, filter and show them. Each is read from the column Bastion keeps (`created_at`,
`updated_at`, `last_login_at`), answered as aware ISO 8601 UTC, and named in lists' `filter` and `order`
through COLUMNS. Who created or last changed a record is in the audit trail, not on the record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, PlainSerializer
from sqlmodel import Field

# DreamFactory's name -> the column Bastion keeps it in.
COLUMNS = {
    "created_date": "created_at",
    "last_modified_date": "updated_at",
    "last_login_date": "last_login_at",
}
# Keys of DreamFactory's records that no write sets there either: a record read from it may carry them.
BOOKKEEPING = frozenset(COLUMNS) | {"created_by_id", "last_modified_by_id"}


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite and MariaDB hand timezone-aware columns back naive: they hold UTC.
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


DreamFactoryTime = Annotated[
    datetime | None,
    AfterValidator(_utc),
    PlainSerializer(lambda moment: None if moment is None else moment.isoformat(), return_type=str | None),
]


def stamp(name: str) -> Any:
    """The field of DreamFactory's time `name`, read from the column Bastion keeps it in."""
    return Field(default=None, validation_alias=COLUMNS[name], description=f"DreamFactory's `{name}`")


def with_aliases(columns: dict[str, Any]) -> dict[str, Any]:
    """A resource's filterable columns plus DreamFactory's names for the time columns among them."""
    extra = {name: columns[real] for name, real in COLUMNS.items() if real in columns}
    return {**columns, **extra}
