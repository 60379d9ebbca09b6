"""Reading request bodies: JSON only, validated against a model, errors per field.

Before a system-resource body meets its model, every string in it (keys and values, at any depth,
free-form parts such as a service's config included) and every whole number is checked for what no
system database can store: NUL, unpaired surrogates (JSON's "\\ud800"), integers beyond 64 bits. Each is
a 400 naming its field, rather than a driver error (a 500) or, on lenient engines, a stored value that
breaks every later reader.

pydantic's own messages ("String should have at least 1 character") are turned into what to do, in plain
words ("Enter a name"), by the one table of plain_messages.py; our own validators' messages are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from bastion.errors import BadRequest, UnsupportedMediaType, ValidationError
from bastion.plain_messages import plain_message

M = TypeVar("M", bound=BaseModel)


def json_body() -> Any:
    """The request's JSON body, or a 4xx that says what is wrong with it."""
    if not request.get_data(cache=True):
        raise BadRequest("Request body is empty; send a JSON object")
    if not request.is_json:
        raise UnsupportedMediaType()
    try:
        return request.get_json(force=True)
    except Exception:
        raise BadRequest("Request body is not valid JSON") from None


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_INT64 = range(-(2**63), 2**63)


def unstorable(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, message) for every string or number in a JSON value that no database can store."""
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            yield path or "body", "must not contain NUL or unpaired surrogate characters"
    elif isinstance(value, int) and not isinstance(value, bool):
        if value not in _INT64:
            yield path or "body", "is too large a number"
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if _UNSTORABLE.search(key):
                yield path or "body", "must not have a key with NUL or unpaired surrogate characters"
            else:
                yield from unstorable(item, inner)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from unstorable(item, f"{path}.{i}" if path else str(i))


def validate(model: type[M], data: Any) -> M:
    """Validate a JSON object against a model; unknown fields and bad values name their field."""
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object")
    bad = dict(unstorable(data))
    if bad:
        raise ValidationError(bad)
    unknown = [key for key in data if key not in model.model_fields]
    if unknown:
        raise ValidationError({key: "unknown field" for key in unknown})
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        # Only the field and the message: pydantic's error also carries the input (a password, say).
        errors: dict[str, str] = {}
        for e in exc.errors():
            errors.setdefault(".".join(str(p) for p in e["loc"]) or "body", plain_message(e))
        raise ValidationError(errors) from None


def records(data: Any) -> tuple[list[Any], bool]:
    """Split a body into its records and whether it came in the batch form {"resource": [...]}."""
    if isinstance(data, dict) and set(data) == {"resource"}:
        if not isinstance(data["resource"], list) or not data["resource"]:
            raise BadRequest("'resource' must be a non-empty list")
        return data["resource"], True
    return [data], False
