"""Business logic per resource; no Flask imports, so the CLI and the views call the same functions."""

from typing import Any, TypeVar

from sqlmodel import Session

from bastion.errors import ValidationError
from bastion.invalidation import bump
from bastion.services import audit  # noqa: F401 (its listener records every change of every session)

Row = TypeVar("Row")


def apply_sent_fields(record: Any, fields: dict[str, Any], nullable: tuple[str, ...] = ()) -> None:
    """Copy the fields a PATCH sent onto a row; null is refused except for the nullable ones."""
    for key, value in fields.items():
        if value is None and key not in nullable:
            raise ValidationError({key: "must not be null"})
        setattr(record, key, value)


def save(db: Session, row: Row, area: str) -> Row:
    """Write a row and move its cache area's counter on, in the same transaction (invalidation.py)."""
    db.add(row)
    bump(db, area)
    db.flush()
    return row


def remove(db: Session, row: Row, area: str) -> Row:
    """Delete a row and move its cache area's counter on, in the same transaction."""
    db.delete(row)
    bump(db, area)
    db.flush()
    return row
