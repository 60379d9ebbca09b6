"""One's own profile (DreamFactory's /user/profile and /system/admin/profile): names and phone.

The e-mail is the login name: a profile update may send it back unchanged, but changing it is an admin's
action (PATCH /api/v2/system/user/{id}), so that a stolen session cannot move the account elsewhere.
"""

from __future__ import annotations

from sqlmodel import Session

from bastion.errors import ValidationError
from bastion.invalidation import bump
from bastion.models import PERSON_FIELDS, ProfileUpdate, User, utcnow
from bastion.services import apply_sent_fields

PROFILE_FIELDS = ("id", "email", "name", *PERSON_FIELDS)


def profile(user: User) -> dict:
    """The JSON form of one's own profile."""
    return {name: getattr(user, name) for name in PROFILE_FIELDS}


def update_profile(db: Session, user_id: int, data: ProfileUpdate) -> User:
    """Apply the fields sent to one's own account."""
    user = db.get(User, user_id)
    fields = data.model_dump(exclude_unset=True)
    email = fields.pop("email", None)
    if email is not None and email != user.email:
        raise ValidationError(
            {"email": "an admin changes the e-mail of an account; send it unchanged or not"}
        )
    apply_sent_fields(user, fields, nullable=PERSON_FIELDS)
    user.updated_at = utcnow()
    db.add(user)
    bump(db, "sessions")  # sessions remember their user: let every worker read it again
    db.flush()
    return user
