"""/api/v2/system/session: live sessions of every account; DELETE one, or all of a user (?user_id=N)."""

from __future__ import annotations

from flask import Blueprint

from bastion.api import query_args
from bastion.auth import admin_required
from bastion.db import session_scope
from bastion.docs import system_doc_audit as audit_params
from bastion.docs.routes import documented
from bastion.errors import ValidationError
from bastion.models import MAX_ID
from bastion.services import live_sessions

bp = Blueprint("sessions_admin", __name__, url_prefix="/api/v2/system/session")


@bp.get("")
@admin_required
@documented(errors=(400, 401, 403), parameters=audit_params.SESSION_LIST_PARAMS)
def list_sessions():
    """Live sessions, newest first: user, created, last seen, client address, user agent."""
    query_args.refuse_unknown({"user_id", "limit", "offset", "include_count"})
    user_id = query_args.whole("user_id", None, 1, MAX_ID)
    limit, offset, include_count = query_args.paging()
    with session_scope() as db:
        rows = live_sessions.list_live(db, user_id, limit, offset)
        body: dict = {"resource": [live_sessions.as_dict(row, user) for row, user in rows]}
        if include_count:
            body["meta"] = {"count": live_sessions.count_live(db, user_id)}
    return body


@bp.delete("/<id:session_id>")
@admin_required
@documented(errors=(401, 403, 404))
def end_session(session_id: int):
    """End one session; it stops working on the next request, on every worker."""
    with session_scope() as db:
        return live_sessions.end_session(db, session_id)


@bp.delete("")
@admin_required
@documented(errors=(400, 401, 403, 404), parameters=audit_params.END_USER_SESSIONS_PARAMS)
def end_user_sessions():
    """End every session of the user named by ?user_id=N."""
    query_args.refuse_unknown({"user_id"})
    user_id = query_args.whole("user_id", None, 1, MAX_ID)
    if user_id is None:
        raise ValidationError({"user_id": "required: the user whose sessions to end"})
    with session_scope() as db:
        return {"user_id": user_id, "sessions_ended": live_sessions.end_user_sessions(db, user_id)}
