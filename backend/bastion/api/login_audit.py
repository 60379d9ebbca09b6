"""Audit events of logins, refreshes, logouts, failed logins and lock-outs, and a new session's client.

A failed login is recorded only once it passed the throttle (throttle.begin), so the trail grows no
faster than the throttle lets anyone try; the attempted password is never recorded, the email is.
"""

from __future__ import annotations

from flask import request

from bastion import activity, throttle
from bastion.db import session_scope
from bastion.models import SessionToken, User, utcnow
from bastion.services import audit
from bastion.services.audit import resource_type_of


def describe_client(row: SessionToken) -> None:
    """Stamp a new session with the client's address and user agent (shown to admins)."""
    row.client_address = (request.remote_addr or "")[:64] or None
    row.user_agent = activity.user_agent()
    row.last_seen_at = utcnow()


def record(db, action: str, user: User) -> None:
    """A login, refresh or logout of this account, acted by the account itself."""
    actor = audit.current_actor()
    as_user = audit.Actor(id=user.id, email=user.email, address=actor.address, request_id=actor.request_id)
    audit.record(db, action, resource_type_of(user), user.id, actor=as_user)


def failed(email: str, for_admins: bool, attempt: throttle.Attempt) -> None:
    """A refused login (and the lock-out it starts), each in the trail once."""
    attempted = {"email": email, "endpoint": "admin" if for_admins else "user"}
    locked = throttle.limits_reached(attempt)
    with session_scope() as db:
        audit.record(db, "login_failed", "login", after=attempted)
        if locked:
            audit.record(db, "lockout", "login", after={**attempted, "locked": locked})
