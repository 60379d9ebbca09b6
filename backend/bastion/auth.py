"""Who is calling: credentials on a request (DESIGN §3), loaded through flask-login.

A session token is taken from `Authorization: Bearer`, then `X-DreamFactory-Session-Token`, then the
`session_token` query parameter; an API key from `X-Api-Key`, `X-DreamFactory-API-Key`, then `api_key`.
A presented but unknown, expired or revoked token is a 401, never a silent anonymous request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, g, request
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user

from bastion import activity, current, usage
from bastion.access_index import AppSnapshot, current_index
from bastion.apikeys import api_key_hash
from bastion.db import session_scope
from bastion.errors import Forbidden, Unauthorized
from bastion.invalidation import current_version
from bastion.models import SessionToken, User
from bastion.services.sessions import ActiveSession, find_session, recheck
from bastion.session_cache import MISSING, SessionCache
from bastion.tokens import token_digest

login_manager = LoginManager()
TOKEN_HEADER = "X-DreamFactory-Session-Token"  # noqa: S105 (a header name)
API_KEY_HEADERS = ("X-Api-Key", "X-DreamFactory-API-Key")


class SessionUser(UserMixin):
    """The flask-login user of a request: the user row and the session it came with."""

    def __init__(self, found: ActiveSession) -> None:
        self.user: User = found.user
        self.session: SessionToken = found.row
        self.expired = found.expired

    def get_id(self) -> str:
        """The user's id, as flask-login wants it."""
        return str(self.user.id)


def session_token_from_request() -> str | None:
    """The session token of the request, from the first place that carries one."""
    asked = current.asked()
    auth = current.header(asked, "Authorization") or ""
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    return current.header(asked, TOKEN_HEADER) or asked.args.get("session_token") or None


def api_key_from_request() -> str | None:
    """The API key of the request, from the first place that carries one."""
    asked = current.asked()
    for header in API_KEY_HEADERS:
        value = current.header(asked, header)
        if value:
            return value
    return asked.args.get("api_key") or None


def _lookup(token: str) -> ActiveSession | None:
    """Find a token's session, from this worker's cache while no session has ended anywhere."""
    digest = token_digest(token)
    version = current_version("sessions")
    cache: SessionCache = current.extensions()["bastion.sessions"]
    found = cache.get(digest, version)
    if found is MISSING:
        with session_scope() as db:
            found = find_session(db, token)
        cache.put(digest, version, found)
    return recheck(found) if found is not None else None


def find_request_session(allow_expired: bool = False) -> SessionUser | None:
    """Look the request's token up; remember that a bad one was presented."""
    token = session_token_from_request()
    if token is None:
        return None
    found = _lookup(token)
    if found is None or (found.expired and not allow_expired):
        g.bad_session_token = True
        return None
    activity.seen_session(found.row.id)
    return SessionUser(found)


@login_manager.request_loader
def _load_from_request(_request) -> SessionUser | None:
    return find_request_session()


@login_manager.user_loader
def _load_from_cookie(_user_id: str) -> None:
    # Bastion keeps no cookie sessions: credentials come with each request.
    return None


def require_session() -> SessionUser:
    """The caller's live session, or 401 naming why."""
    if current_user.is_authenticated:
        return current_user
    if g.get("bad_session_token"):
        raise Unauthorized("Session token is invalid or expired")
    raise Unauthorized("Authentication required: send a session token")


def current_caller() -> SessionUser | None:
    """The request's caller: a live session, None when no credential came, 401 for a bad one."""
    if "_login_user" not in g and session_token_from_request() is None:
        # No token: flask-login would find nobody either (no cookie sessions, _load_from_cookie), after
        # hashing the client's address for its session protection; an app-key request skips all that.
        return None
    caller = current_user._get_current_object()  # once: each proxy access goes through flask-login
    if caller.is_authenticated:
        return caller
    if g.get("bad_session_token"):
        raise Unauthorized("Session token is invalid or expired")
    return None


@dataclass(frozen=True)
class Identity:
    """Who calls: a user session, an app (from its API key), or both."""

    user: User | None
    app: AppSnapshot | None

    @property
    def is_admin(self) -> bool:
        """Whether the caller is a signed-in sys admin."""
        return self.user is not None and self.user.is_sys_admin


def request_app() -> AppSnapshot | None:
    """The app of the request's API key; an unknown or inactive key is a 401 (never a 400).

    Found once per request (the guard that refuses bad keys asks first, the view again); within one
    request the access snapshot cannot change, so the answer cannot either.
    """
    state = current.state()
    if "api_key_app" in state:
        return state.api_key_app
    key = api_key_from_request()
    if key is None:
        state.api_key_app = None
        return None
    app = current_index().apps_by_key.get(api_key_hash(key))
    if app is None or not app.is_active:
        raise Unauthorized("API key is invalid or its app is inactive")
    activity.used_key(app.id)
    state.api_key_app = app
    return app


def refuse_bad_api_key() -> None:
    """Answer 401 for a presented unknown or inactive API key on every path, whatever else came with it.

    Views that need no app (the admin API, logins) would otherwise never look at the key, and a client
    would take a mistyped or revoked key for a working one (DESIGN §3). Runs once per request, so this
    is where a key or session token sent in the query string is counted for the advisor.
    """
    app = request_app()
    if app is not None and usage.credentials_in_query():
        usage.key_in_query(app.id)


def identify() -> Identity:
    """The request's identity, checking both credentials; found once per request.

    Both parts are fixed for the request already (flask-login keeps the caller, request_app the app), and
    a view asks more than once (its own check, then the grants of related tables). A refusal is not kept:
    it is raised again on the next call.
    """
    state = current.state()
    identity = state.get("identity")
    if identity is None:
        caller = current_caller()
        identity = state.identity = Identity(user=caller.user if caller else None, app=request_app())
    return identity


def require_admin() -> SessionUser:
    """The caller's session when it belongs to a sys admin, else 401 or 403."""
    caller = require_session()
    if not caller.user.is_sys_admin:
        raise Forbidden("Admin access required")
    return caller


def admin_required(view: Callable) -> Callable:
    """Decorate a view that only sys admins may call."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        require_admin()
        return view(*args, **kwargs)

    return wrapper


def client_address() -> str:
    """The client's address as the server sees it (after ProxyFix), never a header it chose."""
    return request.remote_addr or "unknown"


def init_app(app: Flask) -> None:
    """Bind flask-login (no cookie sessions, no login view) and this worker's session cache."""
    login_manager.init_app(app)
    # flask-login's after_request refreshes a remember-me cookie that Bastion never sets: it never calls
    # login_user(), and without a SECRET_KEY Flask's session is a NullSession that refuses every write.
    # The hook did nothing but three proxy lookups and a session read on every response.
    app.after_request_funcs[None].remove(login_manager._update_remember_cookie)
    app.extensions["bastion.sessions"] = SessionCache()
    login_manager.anonymous_user = AnonymousUserMixin
