"""CORS: any origin, wide paths for many origins, plain HTTP in production, credentials for wildcard
subdomains, rules that can never apply (cors_shadows.py judges which rule decides for whom), and rules
that admitted no origin for 90 days (`cors_rule.last_admitted_at`, written by usage.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bastion import cors_shadows, cors_syntax
from bastion.advisor.finding import Finding, evidence
from bastion.advisor.inventory import Inventory
from bastion.config import Settings
from bastion.models import as_utc

ADMIN_PREFIXES = ("api/v2/system/", "api/system/")  # the admin API and its unversioned alias
# Globs whose literal start is one of these cover every service: only the admin console needs that.
WIDE_HEADS = ("", "api/", "api/v2/")
UNSEEN_DAYS = 90


def glob_reaches_admin(glob: str) -> bool:
    """Whether a CORS path glob matches any path of the admin API, versioned or not.

    A glob's paths all start with its literal head, and its first `*` may stand for anything after it;
    so it reaches a path under an admin prefix exactly when head and prefix agree as far as both go (a
    glob without `*` must itself be such a path). Compared case-insensitively, to err towards a finding.
    """
    normalized = cors_syntax.normalize_path(glob.strip()).lower()
    head = cors_syntax.glob_prefix(normalized)
    starred = "*" in normalized
    for prefix in ADMIN_PREFIXES:
        if head.startswith(prefix) or head == prefix[:-1] or (starred and prefix.startswith(head)):
            return True
    return False


def _enabled(inv: Inventory) -> list:
    return [r for r in inv.cors_rules if r["enabled"]]


def _origins(rule) -> list[str]:
    return [o.strip() for o in rule["origins"] or []]


def _rule(rule, **details) -> tuple[dict, ...]:
    return (evidence("cors_rule", rule["id"], path=rule["path"], **details),)


def _edit(rule) -> str:
    return f"/cors/{rule['id']}/edit"


def any_origin(_s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """Rules that admit every origin ('*')."""
    for rule in _enabled(inv):
        if "*" in _origins(rule):
            admin = glob_reaches_admin(rule["path"])
            yield Finding(
                "cors-any-origin",
                "high" if admin else "medium",
                f"The CORS rule for {rule['path']} allows any origin ('*')"
                + (", the admin API included." if admin else "."),
                "list the exact origins instead, e.g. `bastion cors add --origin https://admin.example.com`",
                _rule(rule),
                _edit(rule),
                f"cors:{rule['id']}",
            )


def plain_http(s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """Plain-HTTP origins in production."""
    for rule in _enabled(inv):
        plain = [o for o in _origins(rule) if o.lower().startswith("http://")]
        if plain and s.is_production:
            yield Finding(
                "cors-plain-http-origin",
                "medium",
                f"The CORS rule for {rule['path']} allows plain-HTTP origin(s) {', '.join(plain)} "
                "(`bastion init` defaults to a local development origin).",
                "replace them with the admin host's https:// origin (PATCH /api/v2/system/cors/<id>)",
                _rule(rule, origins=plain),
                _edit(rule),
                f"cors:{rule['id']}",
            )


def wide_paths(_s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """Rules on every API path (`*`, `api/*`, `api/v2/*`) for more than one origin entry.

    The admin console is one origin and needs every path; an app's origin needs its services' paths.
    """
    for rule in _enabled(inv):
        origins = [o for o in _origins(rule) if o != "*"]
        glob = cors_syntax.normalize_path(rule["path"].strip())
        if "*" in glob and cors_syntax.glob_prefix(glob) in WIDE_HEADS and len(origins) > 1:
            yield Finding(
                "cors-wide-path",
                "low",
                f"The CORS rule for {rule['path']} admits {len(origins)} origins on every API path, the "
                "admin API included; only the admin console's origin needs that.",
                "keep the console's origin on this rule and give each app's origin a rule on its own "
                "services' paths, e.g. api/v2/<service>/*",
                _rule(rule, origins=origins),
                _edit(rule),
                f"cors:{rule['id']}",
            )


def credentials_wildcard(_s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """Rules that send credentials to wildcard subdomains."""
    for rule in _enabled(inv):
        wild = [o for o in _origins(rule) if "://*." in o]
        if rule["supports_credentials"] and wild:
            yield Finding(
                "cors-credentials-wildcard",
                "medium",
                f"The CORS rule for {rule['path']} sends credentials to every subdomain of "
                f"{', '.join(wild)}: any site on any of them (a forgotten one, a user's page) can call "
                "with the user's credentials.",
                "list the exact subdomains that need credentials, or turn supports_credentials off",
                _rule(rule, origins=wild),
                _edit(rule),
                f"cors:{rule['id']}",
            )


def never_applies(_s: Settings, inv: Inventory, _now: datetime) -> Iterable[Finding]:
    """Rules that decide for no origin on no path: no origins, or shadowed for every origin they admit."""
    views = [cors_shadows.RuleView.of(dict(r)) for r in _enabled(inv)]
    for rule, view in zip(_enabled(inv), views, strict=True):
        winners = cors_shadows.never_applies(view, views)
        if view.origins and not winners:
            continue
        why = (
            "admits no origin"
            if not view.origins
            else "is shadowed for every origin it admits by "
            + ", ".join(f"rule {w.id} ({w.path})" for w in winners)
        )
        yield Finding(
            "cors-rule-never-applies",
            "low",
            f"The CORS rule for {rule['path']} can never apply: it {why}.",
            "delete the rule, or change its path or origins so that it decides where it is meant to",
            _rule(rule, shadowed_by=[w.id for w in winners]),
            _edit(rule),
            f"cors:{rule['id']}",
        )


def unseen_origins(_s: Settings, inv: Inventory, now: datetime) -> Iterable[Finding]:
    """Enabled rules at least 90 days old that admitted no request's origin for 90 days."""
    since = now - timedelta(days=UNSEEN_DAYS)
    for rule in _enabled(inv):
        seen = rule.get("last_admitted_at")
        if as_utc(rule["created_at"]) >= since or (seen is not None and as_utc(seen) >= since):
            continue
        when = "never" if seen is None else f"last on {as_utc(seen).date().isoformat()}"
        yield Finding(
            "cors-origin-unseen",
            "low",
            f"The CORS rule for {rule['path']} has not admitted a request from its origins "
            f"({', '.join(_origins(rule))}) for {UNSEEN_DAYS} days ({when}): the app it was made for may "
            "be gone, while its origins keep their access.",
            "delete the rule, or disable it, if no browser app on those origins still calls the API",
            _rule(rule),
            _edit(rule),
            f"cors:{rule['id']}",
        )


CHECKS = (any_origin, plain_http, wide_paths, credentials_wildcard, never_applies, unseen_origins)
