"""Invitations: an admin creates a user with send_invite=true; the user sets a first password with a code."""

from __future__ import annotations

from sqlmodel import Session

from bastion.config import Settings
from bastion.models import User
from bastion.services import codes, mail, mail_messages


def send_invite(db: Session, user: User, settings: Settings) -> None:
    """E-mail the user a code to set their password; 503 without mail settings, 502 if the server refuses.

    Sent while the caller's transaction is open, so a failed send leaves no user behind.
    """
    mail.require_configured(settings)
    code = codes.issue(db, user, "invite", settings.code_ttl_minutes, settings.app_key)
    mail.send(settings, mail_messages.invitation(settings, user.email, code))
