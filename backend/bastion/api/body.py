"""Reading request bodies: JSON only, validated against a model, errors per field."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from bastion.errors import BadRequest, UnsupportedMediaType, ValidationError

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


def _message(error: dict) -> str:
    text = error["msg"]
    return text.removeprefix("Value error, ")


def validate(model: type[M], data: Any) -> M:
    """Validate a JSON object against a model; unknown fields and bad values name their field."""
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object")
    unknown = [key for key in data if key not in model.model_fields]
    if unknown:
        raise ValidationError({key: "unknown field" for key in unknown})
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        # Only the field and the message: pydantic's error also carries the input (a password, say).
        errors = {".".join(str(p) for p in e["loc"]) or "body": _message(e) for e in exc.errors()}
        raise ValidationError(errors) from None


def records(data: Any) -> tuple[list[Any], bool]:
    """Split a body into its records and whether it came in the batch form {"resource": [...]}."""
    if isinstance(data, dict) and set(data) == {"resource"}:
        if not isinstance(data["resource"], list) or not data["resource"]:
            raise BadRequest("'resource' must be a non-empty list")
        return data["resource"], True
    return [data], False
