"""Registration: open sign-up whose confirmation e-mails cannot be sent, and sign-up into a role that writes.

Whether a role writes is asked of access.evaluate, the decision every request asks, on probes standing for
every component of each service the role names (an all-services entry is probed on a service no role names).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bastion import access, components
from bastion.access_index import RoleSnapshot
from bastion.advisor.finding import Finding, evidence
from bastion.advisor.inventory import _CONTEXT, WRITE_VERBS, Inventory
from bastion.advisor.keys import _NO_SUCH_SERVICE
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


def write_verbs(role: RoleSnapshot) -> list[str]:
    """The write verbs a role grants on some component of some service, as requests are decided."""
    services = {e.service for e in role.entries if e.service} | {_NO_SUCH_SERVICE}
    found: set[str] = set()
    for service in services:
        named = [e.component for e in role.entries if e.service in (None, service)]
        # Of any kind: the services are not known here, and a write on a remote API is a write too.
        for probe in components.probes(named, paths=None):
            found |= {v for v in WRITE_VERBS if access.evaluate(role, v, service, probe, _CONTEXT).allowed}
    return [v for v in WRITE_VERBS if v in found]


def registration_writes(_s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """Open registration that hands strangers a role granting a write verb."""
    for setting in inv.registration:
        if not setting["enabled"]:
            continue
        for pair in setting["apps"] or []:
            role = inv.roles.get(pair.get("role_id"))
            verbs = write_verbs(role) if role is not None else []
            if not verbs:
                continue
            app = next((a for a in inv.apps if a["id"] == pair.get("app_id")), None)
            app_name = app["name"] if app is not None else str(pair.get("app_id"))
            yield Finding(
                "registration-role-writes",
                "high",
                f"Open registration gives anyone who signs up for app '{app_name}' role '{role.name}', "
                f"which allows {', '.join(verbs)}.",
                f"register into a read-only role for app '{app_name}' and grant writes to reviewed users, "
                "or turn registration off",
                (
                    evidence("setting", setting["id"], name="registration"),
                    evidence("role", role.id, name=role.name),
                    evidence("app", pair.get("app_id"), name=app_name),
                ),
                "/registration",
                f"app:{pair.get('app_id')}:role:{role.id}",
            )


CHECKS = (registration_without_mail, registration_writes)
