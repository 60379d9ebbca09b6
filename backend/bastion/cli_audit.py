"""`bastion audit prune|export`: retention of the audit trail and JSON lines for a log collector.

Pruning is the only way events are deleted (no API does), and it leaves an event of its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine


class CommandError(Exception):
    """A failure to report in one line."""


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"invalid --since: {text!r} is not an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _prune(engine: Engine, args, retention_days: int) -> None:
    from bastion.db import session_scope
    from bastion.services import audit, audit_log

    days = args.days or retention_days
    with session_scope(engine) as db:
        deleted = audit_log.prune(db, days)
        audit.record(db, "prune", "audit_event", after={"older_than_days": days, "deleted": deleted})
    print(f"deleted {deleted} audit event(s) older than {days} day(s)")


def _export(engine: Engine, args) -> None:
    from bastion.db import session_scope
    from bastion.services import audit_log

    wanted = audit_log.AuditFilter(since=_moment(args.since))
    if args.output != "-" and not Path(args.output).parent.is_dir():
        raise CommandError(f"no such folder: {Path(args.output).parent}")
    # Standard output is written to but never closed: it is not this command's to close.
    stdout = args.output == "-"
    try:
        target = nullcontext(sys.stdout) if stdout else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    except (OSError, ValueError) as exc:  # an empty name, a folder, no permission, a NUL
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CommandError(f"cannot write --output {args.output!r}: {reason}") from None
    with session_scope(engine) as db, target as handle:
        for line in audit_log.export_lines(db, wanted):
            handle.write(line + "\n")


def run(args, engine: Callable[[], Engine], retention_days: Callable[[], int]) -> None:
    """Run `bastion audit <command>`."""
    if args.audit_command == "prune":
        _prune(engine(), args, retention_days())
    else:
        _export(engine(), args)


def add_parser(commands, parser_class) -> None:
    """Add `audit prune` and `audit export` to the command-line grammar."""
    audit = commands.add_parser("audit", help="prune or export the audit trail")
    sub = audit.add_subparsers(dest="audit_command", required=True, parser_class=parser_class)
    prune = sub.add_parser("prune", help="delete events older than AUDIT_RETENTION_DAYS")
    prune.add_argument("--days", type=int, help="keep this many days instead (at least 1)")
    export = sub.add_parser("export", help="write events as JSON lines, oldest first")
    export.add_argument("--output", default="-", help="file to write (default: standard output)")
    export.add_argument("--since", help="only events at or after this ISO 8601 time")
