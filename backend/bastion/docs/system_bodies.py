"""Request bodies of the admin document that are more than one model: profiles and one's own password."""

from __future__ import annotations

from bastion.docs.routes import model_schema
from bastion.models import ProfileUpdate
from bastion.models_access import PasswordChange
from bastion.models_self_service import PasswordReset, ResetRequest


def profile(defs: dict) -> dict:
    """One's own names and phone; a client may send its own id back, as DreamFactory's does."""
    schema = model_schema(ProfileUpdate, defs)
    schema["properties"] = {"id": {"type": "integer"}, **schema["properties"]}
    return schema


def own_password(defs: dict) -> dict:
    """A change with the old password, a request for a reset code, or a new password with that code."""
    reset_request = model_schema(ResetRequest, defs)
    reset_request["properties"]["reset"] = {"type": "boolean"}
    change, by_code = model_schema(PasswordChange, defs), model_schema(PasswordReset, defs)
    return {"anyOf": [change, reset_request, by_code]}
