"""Sending Bastion's e-mails (confirmation, reset, invitation codes) through a real SMTP server.

MAIL_PASSWORD goes to the SMTP server's login and nowhere else: a failure is logged by its kind and the
server's reply code, never with the settings or the message body (which carries a code).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlencode

from bastion.config import Settings, mail_missing_setting
from bastion.errors import ApiError

log = logging.getLogger("bastion")

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
TIMEOUT_SECONDS = 15


class MailNotConfigured(ApiError):
    """E-mail is needed and a mail setting is missing: 503 naming it."""

    code = 503
    default_message = "E-mail is not configured"


class MailFailed(ApiError):
    """The SMTP server refused or could not be reached: 502, without the server's text."""

    code = 502
    default_message = "The e-mail could not be sent; try again later"


@dataclass(frozen=True)
class Outgoing:
    """One message to one recipient."""

    to: str
    subject: str
    body: str


def missing_setting(settings: Settings) -> str | None:
    """The first setting e-mail cannot do without, or None when e-mail is configured."""
    return mail_missing_setting(settings)


def require_configured(settings: Settings) -> None:
    """Raise 503 naming the missing setting unless e-mail can be sent."""
    missing = missing_setting(settings)
    if missing:
        raise MailNotConfigured(f"E-mail is not configured: set {missing} (see .env.example)")


def spa_link(settings: Settings, page: str, email: str) -> str:
    """The SPA page where the user types their code, the address filled in."""
    return f"{settings.spa_url}/#/{page}?{urlencode({'email': email})}"


def _message(settings: Settings, outgoing: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = outgoing.to
    message["Subject"] = outgoing.subject
    message.set_content(outgoing.body)
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    port = settings.mail_port or DEFAULT_PORTS[settings.mail_tls]
    context = ssl.create_default_context()
    if settings.mail_tls == "ssl":
        return smtplib.SMTP_SSL(settings.mail_host, port, timeout=TIMEOUT_SECONDS, context=context)
    smtp = smtplib.SMTP(settings.mail_host, port, timeout=TIMEOUT_SECONDS)
    try:
        if settings.mail_tls == "starttls":
            smtp.starttls(context=context)
    except BaseException:
        smtp.close()  # a server that drops the connection here would otherwise leave the socket open
        raise
    return smtp


def send(settings: Settings, outgoing: Outgoing) -> None:
    """Deliver one message now; MailFailed when the server cannot take it."""
    try:
        with _connect(settings) as smtp:
            if settings.mail_username:
                smtp.login(settings.mail_username, settings.mail_password)
            smtp.send_message(_message(settings, outgoing))
    except (OSError, smtplib.SMTPException) as exc:
        reply = getattr(exc, "smtp_code", None)
        log.error("sending e-mail failed: %s%s", type(exc).__name__, f" ({reply})" if reply else "")
        raise MailFailed() from None


def send_later(settings: Settings, outgoing: Outgoing) -> None:
    """Deliver in the background, so an answer takes as long whether or not a message was sent."""

    def deliver() -> None:
        # Already logged; the client got the same answer either way.
        with contextlib.suppress(MailFailed):
            send(settings, outgoing)

    threading.Thread(target=deliver, name="bastion-mail", daemon=True).start()
