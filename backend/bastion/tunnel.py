"""Verb tunnelling: a POST carrying `X-HTTP-Method` (or `X-HTTP-Method-Override`, or IBM's
`X-Method-Override`, all three df-core's) is served as that verb.

DreamFactory's clients tunnel through proxies that pass only GET and POST (df-core VerbOverrides), and
send long queries as `POST` + `X-HTTP-Method: GET` with the options in a JSON body. Here:

- The verb is replaced in the WSGI environ before Flask sees the request, so CORS rule selection, the
  guards, routing, the role check (access.ensure), throttling, audit and logs all see the tunnelled verb:
  a key that may only POST cannot DELETE through the tunnel, one that may only GET can read through it.
  This holds on every path, system ones included, as in DreamFactory: no check ever sees the POST.
- GET, PUT, PATCH and DELETE may be tunnelled (POST as POST changes nothing); anything else, or two
  headers naming different verbs, is a 400. The headers on a verb other than POST are ignored, as in
  DreamFactory.
- A cross-origin tunnelled request is refused (403) unless the CORS rule deciding for its origin allows
  the tunnelled verb: the preflight only saw a POST, so the rule's methods are checked here instead. That
  is why a rule allowing POST also allows the two tunnel headers in a preflight (cors.py).
- With `X-HTTP-Method: GET`, a data table read (`_table/<t>[/<id>]`) takes its options from the JSON
  body as well as from the query string (`query_args`, api/body_options.py); one option given in both is
  a 400. A plain GET with a body reads it the same way, as DreamFactory does. A tunnelled GET with a
  body anywhere else is a 400, never a body silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, request

from bastion import cors, current
from bastion.api import body_options
from bastion.api.body import json_body
from bastion.errors import BadRequest, Forbidden

HEADERS = cors.TUNNEL_HEADERS
TUNNELLED = frozenset({"GET", "PUT", "PATCH", "DELETE"})
VERB, PROBLEM = "bastion.tunnelled", "bastion.tunnel_problem"
# The views that read a tunnelled GET's body as their query (api/data.py).
BODY_READERS = frozenset({"data.table_resource"})


class MethodTunnel:
    """WSGI middleware: a POST with a tunnel header becomes the request of the verb it names."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST":
            _tunnel(environ)
        return self.wsgi_app(environ, start_response)


def _tunnel(environ: dict) -> None:
    named = {
        header: environ[key].strip()
        for header in HEADERS
        if (key := "HTTP_" + header.upper().replace("-", "_")) in environ
    }
    verbs = {value.upper() for value in named.values()}
    if not verbs:
        return
    if len(verbs) > 1:
        environ[PROBLEM] = f"Headers {', '.join(named)} name different verbs"
        return
    verb = verbs.pop()
    if verb == "POST":
        return
    if verb not in TUNNELLED:
        header, value = next(iter(named.items()))
        environ[PROBLEM] = f"Header {header} must be GET, PUT, PATCH or DELETE, not '{value[:40]}'"
        return
    environ["REQUEST_METHOD"], environ[VERB] = verb, verb


def tunnelled() -> str | None:
    """The verb the current request tunnelled through a POST, or None."""
    return request.environ.get(VERB)


def _check() -> None:
    """400 for a bad tunnel header; 403 when the CORS rule deciding for the origin refuses the verb."""
    asked = current.asked()
    environ = asked.environ
    problem = environ.get(PROBLEM)
    if problem is not None:
        raise BadRequest(problem)
    verb = environ.get(VERB)  # tunnelled(), read from the environ in hand
    if verb is None:
        return
    origin = request.headers.get("Origin")
    if origin:
        covering = cors.rule_set().covering(request.path)
        rule = cors.choose(covering, origin) if covering else None
        if covering and (rule is None or verb not in rule.methods):
            raise Forbidden(
                f"Method '{verb}' (tunnelled through POST) is not allowed for cross-origin requests "
                f"on '{request.path}'"
            )
    if verb == "GET" and request.get_data(cache=True) and request.endpoint not in BODY_READERS:
        raise BadRequest("A request body with X-HTTP-Method: GET is read on table reads (_table/...) only")


def query_args() -> Mapping[str, Any]:
    """The request's query options, with a GET's JSON body options added (see the module doc)."""
    asked = current.asked()
    if asked.method != "GET" or not asked.get_data(cache=True):
        return asked.args
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("The body of a GET must be a JSON object of query options")
    if "resource" in body:
        raise BadRequest("Name the records of a GET with 'ids', not a 'resource' list")
    return body_options.merged(asked.args, body.items())


def init_app(app: Flask) -> None:
    """Check tunnelled requests after the CORS preflight layer and before the guards and the views."""
    app.before_request(_check)
