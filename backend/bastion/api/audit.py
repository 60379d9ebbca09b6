"""/api/v2/system/audit: the audit trail, read-only (no API deletes an event), and the request's actor.

init_app() tells services/audit.py who acts in a request: the signed-in account if flask-login has
loaded one, with the client address (after the proxy handling) and the request id.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, has_request_context, request

from bastion.api import query_args
from bastion.auth import admin_required
from bastion.db import session_scope
from bastion.docs import system_doc_audit as audit_params
from bastion.docs.routes import documented
from bastion.errors import ValidationError, request_id
from bastion.services import audit, audit_log

bp = Blueprint("audit", __name__, url_prefix="/api/v2/system/audit")
FILTERS = {"actor", "action", "resource_type", "resource_id", "since", "until"}


def request_actor() -> audit.Actor | None:
    """The actor of the current request; never loads a session just to name it."""
    if not has_request_context():
        return None
    caller = g.get("_login_user")  # set by flask-login once the request's credentials were read
    user = getattr(caller, "user", None)
    return audit.Actor(
        id=user.id if user is not None else None,
        email=user.email if user is not None else None,
        address=request.remote_addr,
        request_id=request_id(),
    )


def init_app(_app: Flask) -> None:
    """Name the request's actor in the events its changes write."""
    audit.set_provider(request_actor)


def _filter() -> audit_log.AuditFilter:
    wanted = audit_log.AuditFilter(
        actor=query_args.text("actor"),
        action=query_args.text("action", 32),
        resource_type=query_args.text("resource_type", 32),
        resource_id=query_args.text("resource_id", 64),
        since=query_args.moment("since"),
        until=query_args.moment("until"),
    )
    if wanted.since and wanted.until and wanted.since >= wanted.until:
        raise ValidationError({"until": "must be later than since"})
    return wanted


@bp.get("")
@admin_required
@documented(errors=(400, 401, 403), parameters=audit_params.AUDIT_PARAMS)
def list_events():
    """Events newest first, filtered by actor, action, resource and time range, paged."""
    query_args.refuse_unknown(FILTERS | {"limit", "offset", "include_count"})
    wanted = _filter()
    limit, offset, include_count = query_args.paging()
    with session_scope() as db:
        events = audit_log.list_events(db, wanted, limit, offset)
        body: dict = {"resource": [audit_log.as_dict(e) for e in events]}
        if include_count:
            body["meta"] = {"count": audit_log.count_events(db, wanted)}
    return body
