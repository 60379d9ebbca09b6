"""`bastion cors list|add|remove` and the admin SPA's rule made by `bastion init --admin-origin`.

The commands call the same service functions as the admin API, so a change bumps the "cors" counter
and running workers apply it on their next request. Every failure is a CommandError with one line.
Like cli.py, the database and model modules are imported only by the commands that need them.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import ValidationError as PydanticError
from sqlalchemy.engine import Engine

from bastion.db import session_scope
from bastion.errors import ApiError
from bastion.models import CorsRule, CorsRuleCreate, CorsRulePublic
from bastion.services import cors
from bastion.verbs import VERBS

ADMIN_SPA_PATH = "api/v2/*"
ADMIN_SPA_HEADERS = [
    "Authorization",
    "Content-Type",
    "X-Api-Key",
    "X-DreamFactory-Api-Key",
    "X-DreamFactory-Session-Token",
]
# The field a bad value belongs to, as the option the user typed.
OPTION_NAMES = {
    "origins": "--origin",
    "methods": "--method",
    "headers": "--header",
    "exposed_headers": "--expose-header",
}


class CommandError(Exception):
    """A failure to report in one line."""


def _rule(fields: dict, names: dict[str, str]):
    try:
        return CorsRuleCreate(**fields)
    except PydanticError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "rule"
        option = names.get(field, "--" + field.replace("_", "-"))
        raise CommandError(f"invalid {option}: {error['msg'].removeprefix('Value error, ')}") from None


def admin_rule(origin: str):
    """The one rule the admin SPA needs: its exact origin on api/v2/*, no credentials."""
    if "*" in origin:
        raise CommandError("invalid --admin-origin: give the admin SPA's exact origin, never a wildcard")
    fields = {
        "path": ADMIN_SPA_PATH,
        "description": "Admin SPA (bastion init)",
        "origins": [origin],
        "methods": list(VERBS),
        "headers": ADMIN_SPA_HEADERS,
        "exposed_headers": ["X-Request-Id"],
        "supports_credentials": False,
    }
    return _rule(fields, {"origins": "--admin-origin"})


def ensure_rule(engine: Engine, rule) -> str:
    """Create the rule unless its path has one already; say which happened."""
    with session_scope(engine) as db:
        if cors.find_rule_by_path(db, rule.path) is not None:
            return f"cors: a rule for {rule.path} exists already, left as it is"
        cors.create_rule(db, rule)
    return f"cors: {rule.path} open to {', '.join(rule.origins)}"


def _list(engine: Engine, args) -> None:
    with session_scope(engine) as db:
        rules = [CorsRulePublic.model_validate(r, from_attributes=True) for r in cors.list_rules(db)]
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in rules], indent=2))
        return
    for r in rules:
        state = "on" if r.enabled else "off"
        extra = " credentials" if r.supports_credentials else ""
        print(f"{r.id}\t{state}\t{r.path}\t{','.join(r.origins) or '-'}\t{' '.join(r.methods)}{extra}")


def _add(engine: Engine, args) -> None:
    given = {
        "origins": args.origin,
        "methods": args.method,
        "headers": args.header,
        "exposed_headers": args.expose_header,
    }
    fields = {name: value for name, value in given.items() if value is not None}
    fields.update(path=args.path, description=args.description, max_age=args.max_age)
    fields.update(supports_credentials=args.credentials, enabled=not args.disabled)
    rule = _rule(fields, OPTION_NAMES)
    with session_scope(engine) as db:
        created = cors.create_rule(db, rule)
    print(f"cors rule {created.id} added for {created.path}")


def _remove(engine: Engine, args) -> None:
    with session_scope(engine) as db:
        rule = cors.find_rule_by_path(db, args.path) if args.path else db.get(CorsRule, args.id)
        if rule is None:
            raise CommandError(f"no CORS rule for {f'path {args.path}' if args.path else f'id {args.id}'}")
        cors.delete_rule(db, rule.id)
    print(f"cors rule {rule.id} removed ({rule.path})")


def run(args, engine: Callable[[], Engine]) -> None:
    """Run `bastion cors <action>` against the system database."""
    action = {"list": _list, "add": _add, "remove": _remove}[args.cors_command]
    try:
        action(engine(), args)
    except ApiError as exc:
        errors = (exc.context or {}).get("errors") or {}
        field, message = next(iter(errors.items()), (None, exc.message))
        raise CommandError(
            f"invalid {OPTION_NAMES.get(field, '--' + field)}: {message}" if field else message
        ) from None


def add_parser(commands, parser_class) -> None:
    """Add `cors list|add|remove` to the command-line grammar."""
    parser = commands.add_parser("cors", help="list, add or remove CORS rules")
    actions = parser.add_subparsers(dest="cors_command", required=True, parser_class=parser_class)
    actions.add_parser("list", help="list the rules").add_argument("--json", action="store_true")
    add = actions.add_parser("add", help="add a rule")
    add.add_argument("--path", required=True, help="path glob, e.g. 'api/v2/*' or '*'")
    add.add_argument("--origin", action="append", help="allowed origin (repeatable)")
    add.add_argument("--method", action="append", help="allowed method (repeatable)")
    add.add_argument("--header", action="append", help="allowed request header (repeatable)")
    add.add_argument("--expose-header", action="append", help="response header pages may read (repeatable)")
    add.add_argument("--max-age", type=int, default=0, help="seconds a browser may cache a preflight")
    add.add_argument("--credentials", action="store_true", help="allow requests with credentials")
    add.add_argument("--description", default="")
    add.add_argument("--disabled", action="store_true", help="save the rule switched off")
    remove = actions.add_parser("remove", help="remove a rule, by path or id")
    which = remove.add_mutually_exclusive_group(required=True)
    which.add_argument("--path")
    which.add_argument("--id", type=int)
