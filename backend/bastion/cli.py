"""The `bastion` command: init, db upgrade, create-admin, set-password, console-config, demo,
generate-key, rotate-key, cors (list, add, remove), audit (prune, export), sessions (prune) and check;
every change a command makes is audited with the actor "cli".

Passwords come from `--password-stdin` or an interactive prompt, never from argv, so they do not
end up in shell history or `ps`. Every failure prints one line and exits non-zero.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import os
import secrets
import sys
from pathlib import Path

from dotenv import dotenv_values
from pydantic import ValidationError as PydanticError
from sqlalchemy.exc import SQLAlchemyError

from bastion import cli_audit, cli_cors
from bastion.config import DEFAULT_INSTANCE, ConfigError, load_settings
from bastion.console import write_console_config
from bastion.db import make_engine, session_scope
from bastion.demo import ensure_demo_service
from bastion.logs import escape_controls
from bastion.models import PASSWORD_MIN_LENGTH, AdminCreate
from bastion.plain_messages import plain_message
from bastion.secrets import SecretBox, SecretError
from bastion.services import accounts, audit
from bastion.services.data_services import rotate_service_secrets
from bastion.services.lookups import rotate_lookup_secrets
from bastion.services.sessions import purge_dead_sessions


class CliError(Exception):
    """A failure to report in one line."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line."""

    def error(self, message: str):
        # An argument may hold a line break or an escape sequence: the message stays one visible line.
        self.exit(2, f"{self.prog}: error: {escape_controls(message)}\n")


def _instance_dir() -> Path:
    raw = (
        os.environ.get("BASTION_INSTANCE")
        or dotenv_values(".env").get("BASTION_INSTANCE")
        or DEFAULT_INSTANCE
    )
    return Path(raw).expanduser().resolve()


def _write_app_key(instance: Path) -> bool:
    """Write a fresh APP_KEY to the instance .env (mode 0600) unless one is configured already."""
    env_file = instance / ".env"
    existing = dotenv_values(env_file) if env_file.exists() else {}
    if os.environ.get("APP_KEY") or existing.get("APP_KEY"):
        return False
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(f"APP_KEY={key}\n")
    os.chmod(env_file, 0o600)
    return True


def cmd_init(args) -> None:
    """Create the instance folder, an APP_KEY, the system database and the admin SPA's CORS rule."""
    admin_rule = cli_cors.admin_rule(args.admin_origin)
    instance = _instance_dir()
    instance.mkdir(parents=True, exist_ok=True)
    instance.chmod(0o700)
    wrote = _write_app_key(instance)
    settings = load_settings()
    # Imported here: alembic adds ~0.5 s of CPU to every other command, `bastion --help` included.
    from bastion.migrate import upgrade

    upgrade(settings.database_url)
    print(f"instance: {instance}")
    print("APP_KEY: written to the instance .env (mode 0600)" if wrote else "APP_KEY: already configured")
    print("system database: migrated")
    print(cli_cors.ensure_rule(_engine(), admin_rule))


def cmd_db_upgrade(_args) -> None:
    """Apply pending migrations to the system database."""
    # Imported here: alembic adds ~0.5 s of CPU to every other command, `bastion --help` included.
    from bastion.migrate import upgrade

    upgrade(load_settings().database_url)
    print("system database: migrated")


def _read_password(args) -> str:
    if getattr(args, "generate_password", False):
        return secrets.token_urlsafe(18)
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CliError("--password-stdin given but standard input was empty")
        return line
    if not sys.stdin.isatty():
        raise CliError("no terminal to prompt for a password: pipe it with --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise CliError("the two passwords differ")
    return first


def _engine():
    return make_engine(load_settings().database_url)


def _validation_line(exc: PydanticError) -> str:
    error = exc.errors()[0]
    field = ".".join(str(p) for p in error["loc"])
    return f"invalid {field}: {plain_message(error)}"


def cmd_create_admin(args) -> None:
    """Create an admin; with --generate-password print the new password once."""
    password = _read_password(args)
    try:
        data = AdminCreate(email=args.email, name=args.name, password=password)
    except PydanticError as exc:
        raise CliError(_validation_line(exc)) from None
    engine = _engine()
    with session_scope(engine) as db:
        if accounts.find_user_by_email(db, data.email) is not None:
            if args.if_missing:
                print(f"admin {data.email} already exists; to reset its password:")
                print(f"  bastion set-password --email {data.email}")
                return
            raise CliError(f"a user with email {data.email} already exists")
        accounts.create_admin(db, AdminCreate.model_validate(data))
    print(f"admin {data.email} created")
    if args.generate_password:
        print(f"password (shown once): {password}")


def cmd_set_password(args) -> None:
    """Set a user's password and end their sessions."""
    password = _read_password(args)
    if len(password) < PASSWORD_MIN_LENGTH:
        raise CliError(f"the password must be at least {PASSWORD_MIN_LENGTH} characters")
    with session_scope(_engine()) as db:
        user = accounts.find_user_by_email(db, args.email)
        if user is None:
            raise CliError(f"no user with email {args.email}")
        accounts.set_password(db, user, password)
    print(f"password of {args.email} changed; their sessions are ended")


def cmd_generate_key(_args) -> None:
    """Print a fresh APP_KEY (for rotation: old key to APP_OLD_KEYS, this one to APP_KEY)."""
    print(base64.b64encode(secrets.token_bytes(32)).decode())


def cmd_rotate_key(_args) -> None:
    """Re-encrypt every stored secret under the current APP_KEY; safe to re-run."""
    settings = load_settings()
    if settings.app_key is None:
        raise CliError("APP_KEY is not set: put the new key in APP_KEY and the old one in APP_OLD_KEYS")
    box = SecretBox(settings.app_key, settings.app_old_keys)
    try:
        with session_scope(_engine()) as db:
            count = rotate_service_secrets(db, box)
            count += rotate_lookup_secrets(db, box)
    except SecretError as exc:
        raise CliError(f"{exc}; add the key that sealed it to APP_OLD_KEYS and run again") from None
    print(f"re-encrypted {count} secret(s) under key {box.current_id}")


def cmd_check(args) -> int:
    """Report how ready this configuration is for production; 1 when any unmuted finding is high."""
    # Imported here: the advisor and the app factory add ~0.5 s of CPU to every other command.
    from bastion import checks

    settings = load_settings()
    findings = _platform_findings()
    if findings is None:
        # The platform does not start (say, no APP_KEY): check what can be checked without it.
        findings = checks.run_checks(
            settings, make_engine(settings.database_url), workers=checks.gunicorn_workers()
        )
    print(checks.render_json(findings) if args.json else checks.render_text(findings))
    return checks.exit_status(findings)


def _platform_findings():
    """The advisor's findings, services' database accounts included, from a platform app; None if it
    cannot be built."""
    # Imported here: the advisor and the app factory add ~0.5 s of CPU to every other command.
    from bastion import create_app
    from bastion.advisor import live

    try:
        app = create_app()
    except Exception:
        return None
    try:
        with app.app_context():
            return live.findings(app)
    finally:
        app.extensions["bastion.engines"].dispose_all()
        app.extensions["bastion.db"].dispose()


def cmd_demo(args) -> None:
    """Seed the demo database and register it as a data service (idempotent)."""
    if not 1 <= args.rows <= 1_000_000:
        raise CliError("--rows must be between 1 and 1000000")
    settings = load_settings()
    box = SecretBox(settings.app_key, settings.app_old_keys)
    print(ensure_demo_service(_engine(), box, settings.bastion_instance, settings.database_url, args.rows))


def cmd_cors(args) -> None:
    """List, add or remove CORS rules (cli_cors.py)."""
    cli_cors.run(args, _engine)


def cmd_audit(args) -> None:
    """Prune or export the audit trail (cli_audit.py)."""
    if args.audit_command == "prune" and args.days is not None and args.days < 1:
        raise CliError("--days must be at least 1")
    cli_audit.run(args, _engine, lambda: load_settings().audit_retention_days)


def cmd_sessions(_args) -> None:
    """Delete every session past its refresh window (logins also do it, a batch at a time)."""
    batch = 1
    with session_scope(_engine()) as db:
        deleted = 0
        while batch:
            batch = purge_dead_sessions(db)
            deleted += batch
    print(f"{deleted} dead session{'s' if deleted != 1 else ''} deleted")


def cmd_console_config(args) -> None:
    """Write the admin SPA's config.json with a fresh key of the console app."""
    if not args.api_base_url.startswith(("http://", "https://")):
        raise CliError("--api-base-url must start with http:// or https://")
    output = Path(args.output)
    if not output.parent.is_dir():
        raise CliError(f"no such folder: {output.parent}")
    print(write_console_config(_engine(), args.api_base_url, output))


def build_parser() -> Parser:
    """The command-line grammar."""
    parser = Parser(prog="bastion", description="Bastion platform administration")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    init = commands.add_parser("init", help="create the instance folder, APP_KEY and system database")
    init.add_argument(
        "--admin-origin",
        default="http://127.0.0.1:5173",
        help="the admin SPA's origin, allowed on api/v2/* by a CORS rule (default %(default)s)",
    )
    db = commands.add_parser("db", help="system database")
    db.add_subparsers(dest="db_command", required=True, parser_class=Parser).add_parser("upgrade")
    create = commands.add_parser("create-admin", help="create an admin")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--if-missing", action="store_true", help="succeed quietly when the admin exists")
    source = create.add_mutually_exclusive_group()
    source.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    source.add_argument("--generate-password", action="store_true", help="generate one and print it once")
    setpw = commands.add_parser("set-password", help="set a user's password")
    setpw.add_argument("--email", required=True)
    setpw.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    console = commands.add_parser(
        "console-config", help="write the admin SPA's config.json (console app key)"
    )
    console.add_argument("--api-base-url", required=True, help="the platform's URL as the browser reaches it")
    console.add_argument("--output", required=True, help="where to write config.json (next to index.html)")
    demo = commands.add_parser("demo", help="seed a demo SQLite database and register it as service 'demo'")
    demo.add_argument("--rows", type=int, default=3000, help="number of employees to seed (default 3000)")
    commands.add_parser("generate-key", help="print a new random APP_KEY")
    commands.add_parser("rotate-key", help="re-encrypt stored secrets under the current APP_KEY")
    cli_cors.add_parser(commands, Parser)
    cli_audit.add_parser(commands, Parser)
    sessions = commands.add_parser("sessions", help="login sessions")
    sessions.add_subparsers(dest="sessions_command", required=True, parser_class=Parser).add_parser(
        "prune", help="delete every session past its refresh window"
    )
    check = commands.add_parser("check", help="report how ready this configuration is for production")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


HANDLERS = {
    "init": cmd_init,
    "db": cmd_db_upgrade,
    "create-admin": cmd_create_admin,
    "set-password": cmd_set_password,
    "generate-key": cmd_generate_key,
    "rotate-key": cmd_rotate_key,
    "demo": cmd_demo,
    "console-config": cmd_console_config,
    "cors": cmd_cors,
    "check": cmd_check,
    "audit": cmd_audit,
    "sessions": cmd_sessions,
}


def _audited_as_cli():
    """Bind the actor "cli" to the changes a command makes."""
    return audit.acting_as(audit.CLI)


def main(argv: list[str] | None = None) -> int:
    """Run one command; report any failure in one line."""
    args = build_parser().parse_args(argv)
    try:
        with _audited_as_cli():
            status = HANDLERS[args.command](args)
    except (CliError, ConfigError, cli_cors.CommandError, cli_audit.CommandError) as exc:
        print(f"bastion: error: {escape_controls(str(exc))}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        # The driver's text can carry a URL with credentials: name the failure, not the details.
        print(f"bastion: error: system database failed ({type(exc).__name__})", file=sys.stderr)
        return 1
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
