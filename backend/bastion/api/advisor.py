"""/api/v2/system/advisor: the security findings of the live configuration, and their mutes (admins only).

The findings come from checks.run_checks through advisor/live.py, the code `bastion check` runs.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from bastion.advisor import live
from bastion.advisor.finding import SEVERITIES, Finding
from bastion.api.body import json_body, validate
from bastion.auth import admin_required, require_admin
from bastion.db import session_scope
from bastion.docs.routes import documented
from bastion.errors import NotFound
from bastion.models_advisor import MuteRequest, UnmuteRequest
from bastion.services import advisor

bp = Blueprint("advisor", __name__, url_prefix="/api/v2/system/advisor")


def public(f: Finding) -> dict:
    """The JSON form of a finding."""
    return {
        "id": f.id,
        "code": f.code,
        "severity": f.severity,
        "title": f.message,
        "evidence": list(f.evidence),
        "fix": {"text": f.fix, "route": f.route},
        "muted": f.muted,
    }


@bp.get("")
@admin_required
@documented(errors=(401, 403))
def list_findings():
    """Every finding, most severe first; counts of unmuted findings per severity; the platform's inventory."""
    found = live.findings(current_app)
    counts = {level: sum(f.severity == level and f.muted is None for f in found) for level in SEVERITIES}
    return {
        "resource": [public(f) for f in found],
        "counts": counts,
        "muted": sum(f.muted is not None for f in found),
        "inventory": live.inventory_counts(current_app),
    }


@bp.post("/mute")
@admin_required
@documented(body=MuteRequest, errors=(400, 401, 403, 404, 415))
def mute_finding():
    """Mute a current finding with a reason; it stays listed, marked muted."""
    data = validate(MuteRequest, json_body())
    if data.id not in {f.id for f in live.findings(current_app)}:
        raise NotFound(f"No current finding has id '{data.id}'")
    admin = require_admin()
    with session_scope() as db:
        row = advisor.mute(db, data.id, data.reason.strip(), admin.user.id, admin.user.email)
        return {"id": row.finding_id, "muted": advisor.mute_public(row)}


@bp.post("/unmute")
@admin_required
@documented(body=UnmuteRequest, errors=(400, 401, 403, 404, 415))
def unmute_finding():
    """Unmute a finding."""
    data = validate(UnmuteRequest, json_body())
    with session_scope() as db:
        row = advisor.unmute(db, data.id)
        return {"id": row.finding_id, "muted": None}
