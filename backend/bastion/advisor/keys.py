"""Blanket keys: apps whose role reaches every service, `*` grants with write verbs, apps with no role,
keys unused for 90 days (`app.last_used_at`), and keys sent in the query string (`app.query_key_count`,
counted by usage.py).

A role "grants every service" when the access decision allows it on a table of a service that no role
names: only an all-services entry can do that.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bastion import access, components
from bastion.advisor.finding import Finding, evidence
from bastion.advisor.inventory import _CONTEXT, WRITE_VERBS, Inventory
from bastion.config import Settings
from bastion.console import CONSOLE_APP
from bastion.models import as_utc
from bastion.models_access import VERBS

IDLE_KEY_DAYS = 90
QUERY_KEY_DAYS = 30  # an app that stopped sending its key in the URL this long ago is taken as fixed
_NO_SUCH_SERVICE = "\x00any-service"  # a name no role can name, so only all-services entries match it


def _blanket_verbs(role) -> list[str]:
    probe = components.table(components.UNNAMED)
    return [v for v in VERBS if access.evaluate(role, v, _NO_SUCH_SERVICE, probe, _CONTEXT).allowed]


def _app(row) -> dict:
    return evidence("app", row["id"], name=row["name"])


def blanket_apps(_s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """Active apps whose default role grants every service."""
    for app in inv.apps:
        role = inv.roles.get(app["role_id"]) if app["is_active"] else None
        verbs = _blanket_verbs(role) if role is not None and role.is_active else []
        if not verbs:
            continue
        writes = [v for v in verbs if v in WRITE_VERBS]
        yield Finding(
            "app-blanket-role",
            "high" if writes else "medium",
            f"The key of app '{app['name']}' opens every service, present and future: its role "
            f"'{role.name}' has an all-services entry allowing {', '.join(verbs)}.",
            f"replace the all-services entry of role '{role.name}' with entries naming the services "
            "and tables the app needs",
            (_app(app), evidence("role", role.id, name=role.name)),
            f"/roles/{role.id}/edit",
            f"app:{app['id']}",
        )


def star_writes(_s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """Active roles with a `*` component that allows writes on a named service."""
    for role in inv.active_roles():
        for entry in role.entries:
            writes = [v for v in entry.verbs if v in WRITE_VERBS]
            if entry.service is None or entry.component.strip() != "*" or not writes:
                continue
            users = [_app(a) for a in inv.apps if a["role_id"] == role.id]
            yield Finding(
                "role-star-write",
                "medium",
                f"Role '{role.name}' allows {', '.join(writes)} on every table of service "
                f"'{entry.service}' ('*'), tables added later included.",
                f"name the tables ('_table/<name>') that the role may write, in role '{role.name}'",
                (evidence("role", role.id, name=role.name, service=entry.service), *users),
                f"/roles/{role.id}/edit",
                f"role:{role.id}:{entry.service.lower()}",
            )


def apps_without_role(_s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """Active apps with no default role (the admin console has none by design)."""
    for app in inv.apps:
        if app["is_active"] and app["role_id"] is None and app["name"] != CONSOLE_APP:
            yield Finding(
                "app-without-role",
                "low",
                f"App '{app['name']}' has no default role: its key grants nothing unless a user has a "
                "role for it, so it is either unused or relies on roles nobody reviews as the app's.",
                "give the app a default role, or deactivate it if nothing uses it",
                (_app(app),),
                "/apps",
                f"app:{app['id']}",
            )


def idle_keys(_s: Settings, inv: Inventory, now: datetime) -> Iterable[Finding]:
    """Active apps whose key was not used for 90 days, counting a never-used key from its creation."""
    since = now - timedelta(days=IDLE_KEY_DAYS)
    for app in inv.apps:
        if not app["is_active"] or "last_used_at" not in app:
            continue
        used = app["last_used_at"]
        if as_utc(used if used is not None else app["created_at"]) >= since:
            continue
        when = "was never used" if used is None else f"has not been used for {IDLE_KEY_DAYS} days"
        yield Finding(
            "app-key-idle",
            "low",
            f"The key of active app '{app['name']}' {when}.",
            "deactivate the app if nothing uses it; a live key nobody watches is a key nobody misses",
            (_app(app),),
            "/apps",
            f"app:{app['id']}",
        )


def _query_evidence(app) -> dict:
    last = as_utc(app["query_key_at"]).isoformat()
    return evidence("app", app["id"], name=app["name"], count=app["query_key_count"], last_at=last)


def keys_in_query(_s: Settings, inv: Inventory, now: datetime) -> Iterable[Finding]:
    """Apps whose clients sent their key or session token in the query string in the last 30 days."""
    since = now - timedelta(days=QUERY_KEY_DAYS)
    sending = [
        a for a in inv.apps if a.get("query_key_at") is not None and as_utc(a["query_key_at"]) >= since
    ]
    if not sending:
        return
    named = ", ".join(f"'{a['name']}' ({a['query_key_count']})" for a in sending)
    yield Finding(
        "key-in-query",
        "medium",
        f"Requests carried an API key or session token in the query string, where proxies, server logs "
        f"and browser history keep it; requests counted per app: {named}.",
        "send the key in the X-Api-Key header (and a session token in X-DreamFactory-Session-Token) "
        "instead of api_key= or session_token= in the URL",
        tuple(_query_evidence(a) for a in sending),
        "/apps",
    )


CHECKS = (blanket_apps, star_writes, apps_without_role, idle_keys, keys_in_query)
