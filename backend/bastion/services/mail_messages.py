"""The texts of Bastion's e-mails; each links to the SPA page where the code is typed."""

from __future__ import annotations

from bastion.config import Settings
from bastion.services.mail import Outgoing, spa_link

_IGNORE = "If you did not ask for this, ignore this message: nothing changes."


def _code_message(settings: Settings, to: str, subject: str, intro: str, code: str, page: str) -> Outgoing:
    body = (
        f"{intro}\n\n"
        f"Your code: {code}\n\n"
        f"Type it at {spa_link(settings, page, to)}\n"
        f"It can be used once, within {settings.code_ttl_minutes} minutes.\n\n{_IGNORE}\n"
    )
    return Outgoing(to=to, subject=subject, body=body)


def confirmation(settings: Settings, to: str, code: str) -> Outgoing:
    """The code that confirms a registration."""
    intro = "Someone (we hope you) registered this address. Confirm it to be able to log in."
    return _code_message(settings, to, "Confirm your registration", intro, code, "confirm")


def reset(settings: Settings, to: str, code: str) -> Outgoing:
    """The code that sets a new password."""
    intro = "A password reset was asked for this address."
    return _code_message(settings, to, "Reset your password", intro, code, "reset-password")


def invitation(settings: Settings, to: str, code: str) -> Outgoing:
    """The code with which an invited user sets their first password."""
    intro = "An administrator created an account for this address. Choose your password with this code."
    return _code_message(settings, to, "You are invited", intro, code, "reset-password")


def already_registered(settings: Settings, to: str) -> Outgoing:
    """Told to an existing account when someone registers its address again."""
    body = (
        "Someone tried to register this address, which already has an account.\n\n"
        f"Forgot your password? Ask for a new one at {spa_link(settings, 'forgot-password', to)}\n\n"
        f"{_IGNORE}\n"
    )
    return Outgoing(to=to, subject="You already have an account", body=body)
