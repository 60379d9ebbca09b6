"""People: admins (none, too many, idle) and docs-only roles that also grant data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from bastion.access import DOCS_SERVICE
from bastion.advisor.finding import Finding, evidence
from bastion.advisor.inventory import Inventory
from bastion.config import Settings

ADMIN_LOGIN_DAYS = 90
MAX_ADMINS = 5  # "a handful": beyond it, admin accounts are shared or forgotten


def _active_admins(inv: Inventory) -> list:
    return [u for u in inv.users if u["is_sys_admin"] and u["is_active"]]


def admins(_s: Settings, inv: Inventory, now: datetime) -> Iterable[Finding]:
    """No active admin, or none who logged in during the last 90 days."""
    active = _active_admins(inv)
    if not active:
        yield Finding(
            "no-admin",
            "medium",
            "There is no active admin: nobody can manage the platform.",
            "run `bastion create-admin --email ... --name ...`",
        )
        return
    since = now - timedelta(days=ADMIN_LOGIN_DAYS)
    # SQLite hands timezone-aware columns back naive; they were stored in UTC.
    logins = [u["last_login_at"] for u in active if u["last_login_at"] is not None]
    if not any((t if t.tzinfo else t.replace(tzinfo=UTC)) >= since for t in logins):
        yield Finding(
            "admins-idle",
            "low",
            f"None of the {len(active)} active admin(s) logged in during the last {ADMIN_LOGIN_DAYS} days.",
            "deactivate admin accounts nobody uses; keep one that someone watches",
            route="/admins",
        )


def many_admins(_s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """More than a handful of active sys admins."""
    active = _active_admins(inv)
    if len(active) > MAX_ADMINS:
        yield Finding(
            "many-admins",
            "low",
            f"{len(active)} active sys admins (more than {MAX_ADMINS}): each can read every service and "
            "change every key, role and rule.",
            "deactivate the admin accounts that are not needed; give team members roles instead",
            tuple(evidence("user", u["id"], email=u["email"]) for u in active),
            "/admins",
        )


def idle_users(_s: Settings, inv: Inventory, now: datetime) -> Iterable[Finding]:
    """Active non-admin users, created over 90 days ago, who have not logged in for 90 days (or ever)."""
    since = now - timedelta(days=ADMIN_LOGIN_DAYS)

    def before(moment) -> bool:
        return moment is None or (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) < since

    idle = [
        u
        for u in inv.users
        if u["is_active"] and not u["is_sys_admin"] and before(u["created_at"]) and before(u["last_login_at"])
    ]
    if idle:
        yield Finding(
            "users-idle",
            "low",
            f"{len(idle)} active user(s) have not logged in for {ADMIN_LOGIN_DAYS} days: an account "
            "nobody uses is one nobody notices being used.",
            "deactivate the users who no longer need access",
            tuple(evidence("user", u["id"], email=u["email"]) for u in idle),
            "/users",
        )


def docs_roles_with_data(_s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """Roles held by users for the API docs (an `api_docs` entry) that also grant data."""
    holders: dict[int, list] = {}
    for assignment in inv.assignments:
        holders.setdefault(assignment["role_id"], []).append(assignment["user_id"])
    emails = {u["id"]: u["email"] for u in inv.users}
    for role in inv.active_roles():
        docs = [e for e in role.entries if (e.service or "").lower() == DOCS_SERVICE]
        data = [e for e in role.entries if (e.service or "").lower() != DOCS_SERVICE and e.verbs]
        if not docs or not data or role.id not in holders:
            continue
        services = sorted({e.service or "every service" for e in data})
        users = [evidence("user", uid, email=emails.get(uid, "")) for uid in sorted(set(holders[role.id]))]
        yield Finding(
            "docs-role-grants-data",
            "medium",
            f"Role '{role.name}' gives {len(users)} user(s) the API docs and also data access "
            f"({', '.join(services)}): docs-only team members can read or change records.",
            f"remove the data entries from role '{role.name}' (keep its api_docs entries), or give the "
            "users who need data a separate role",
            (evidence("role", role.id, name=role.name), *users),
            f"/roles/{role.id}/edit",
            f"role:{role.id}",
        )


CHECKS = (admins, many_admins, idle_users, docs_roles_with_data)
