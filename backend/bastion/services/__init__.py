"""Business logic per resource; no Flask imports, so the CLI and the views call the same functions."""

from typing import Any

from bastion.errors import ValidationError


def apply_sent_fields(record: Any, fields: dict[str, Any], nullable: tuple[str, ...] = ()) -> None:
    """Copy the fields a PATCH sent onto a row; null is refused except for the nullable ones."""
    for key, value in fields.items():
        if value is None and key not in nullable:
            raise ValidationError({key: "must not be null"})
        setattr(record, key, value)
