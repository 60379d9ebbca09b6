"""A data service as the data and docs views open it: `?refresh` for admins only, outages as 503/504."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, request

from bastion import current
from bastion.auth import Identity
from bastion.data.dberrors import log_outage
from bastion.errors import Forbidden, error_response
from bastion.registry import OpenService, find_active_service, open_service

# The errors of a service's database that mean it is down, busy or slow, not that the request is wrong.
OUTAGE_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def open_checked(identity: Identity, name: str) -> OpenService:
    """The service opened for a caller; `?refresh=true` (re-reflection) is for admins only."""
    opened = open_service(find_active_service(name))
    if current.asked().args.get("refresh", "").lower() in ("1", "true"):
        if not identity.is_admin:
            raise Forbidden("Parameter 'refresh' (re-reading the schema) is for admins only")
        opened.refresh()
    return opened


def unreachable(exc: sa.exc.SQLAlchemyError):
    """A service's database is down, busy or slow: 503/504 naming the service (dberrors), one log line."""
    service = (request.view_args or {}).get("service", "?")
    error = log_outage(exc, service)
    return error_response(error.code, error.message, None, error.headers)


def answer_outages(bp: Blueprint) -> None:
    """Answer a service's outage on every route of the blueprint with unreachable()."""
    for error in OUTAGE_ERRORS:
        bp.register_error_handler(error, unreachable)
