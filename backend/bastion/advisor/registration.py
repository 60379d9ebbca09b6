"""Registration: open sign-up whose confirmation e-mails cannot be sent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bastion.advisor.finding import Finding, evidence
from bastion.advisor.inventory import Inventory
from bastion.config import Settings, mail_missing_setting


def registration_without_mail(s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """Open registration with confirmation, but no mail settings: registering answers 503."""
    missing = mail_missing_setting(s)
    if missing and any(r["enabled"] and not r["skip_confirmation"] for r in inv.registration):
        yield Finding(
            "registration-without-mail",
            "medium",
            f"Open registration is on but e-mail is not configured ({missing} is missing): "
            "nobody can register.",
            "set MAIL_HOST, MAIL_FROM and SPA_URL (see .env.example), or turn registration off",
            (evidence("setting", None, name=missing),),
            "/registration",
        )


CHECKS = (registration_without_mail,)
