"""`bastion check`: each finding from the settings and the system database, the report and its exit code."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bastion import checks
from bastion.config import ConfigError, load_settings
from bastion.db import make_engine
from bastion.models import CorsRule, User
from tests.conftest import TEST_KEY

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
GOOD_KEY = base64.b64encode(
    bytes.fromhex("8f3a1c9e2b7d4f6051e8a3c7b9d2f4e6a1c3e5f7092b4d6f8a0c2e4f6b8d0a2c")
).decode()
# A production setup with nothing to report: HTTPS behind one proxy, restricted admin networks,
# PostgreSQL, Redis, a random key.
CLEAN = {
    "APP_ENV": "production",
    "APP_KEY": GOOD_KEY,
    "REQUIRE_HTTPS": "true",
    "TRUSTED_PROXIES": "1",
    "ADMIN_ALLOWED_NETWORKS": "10.20.0.0/16",
    "DATABASE_URL": "postgresql+psycopg://bastion@db.internal/bastion",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "SQLITE_ROOTS": os.path.realpath(os.sep),
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    from bastion.config import KNOWN_NAMES

    for name in (*KNOWN_NAMES, "BASTION_BIND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BASTION_INSTANCE", str(tmp_path / "instance"))


def settings_codes(workers: int = 4, **overrides) -> dict[str, str]:
    """The code -> severity of every settings finding for CLEAN with these overrides."""
    settings = load_settings({**CLEAN, **overrides})
    return {f.code: f.severity for check in checks.SETTINGS_CHECKS for f in check(settings, workers)}


def test_a_clean_production_setup_has_no_settings_findings():
    assert settings_codes() == {}


@pytest.mark.parametrize(
    ("overrides", "code", "severity"),
    [
        ({"APP_ENV": "local"}, "app-env-local", "high"),
        ({"APP_DEBUG": "true"}, "app-debug", "high"),
        ({"APP_ENV": "local", "APP_KEY": ""}, "app-key-missing", "high"),
        ({"APP_KEY": TEST_KEY}, "app-key-weak", "high"),
        ({"APP_OLD_KEYS": TEST_KEY}, "app-old-keys", "low"),
        ({"REQUIRE_HTTPS": "false"}, "https-not-required", "high"),
        ({"TRUSTED_PROXIES": "0", "ADMIN_ALLOWED_NETWORKS": ""}, "no-trusted-proxy", "medium"),
        ({"TRUSTED_PROXIES": "2"}, "many-trusted-proxies", "medium"),
        ({"ADMIN_ALLOWED_NETWORKS": ""}, "admin-networks-open", "medium"),
        ({"ADMIN_ALLOWED_NETWORKS": "10.0.0.0/8,0.0.0.0/0"}, "admin-networks-open", "medium"),
        # Networks that only together cover every address are just as open.
        ({"ADMIN_ALLOWED_NETWORKS": "0.0.0.0/1,128.0.0.0/1"}, "admin-networks-open", "medium"),
        ({"ADMIN_ALLOWED_NETWORKS": "0.0.0.0/2,64.0.0.0/2,128.0.0.0/1"}, "admin-networks-open", "medium"),
        ({"ADMIN_ALLOWED_NETWORKS": "10.0.0.0/8,::/0"}, "admin-networks-open", "medium"),
        ({"ADMIN_ALLOWED_NETWORKS": "10.0.0.0/8,::/1,8000::/1"}, "admin-networks-open", "medium"),
        ({"TRUSTED_PROXY_IPS": "0.0.0.0/1,128.0.0.0/1"}, "proxy-ips-open", "high"),
        ({"TRUSTED_PROXY_IPS": "::/0"}, "proxy-ips-open", "high"),
        (
            {"ADMIN_ALLOWED_NETWORKS": "127.0.0.0/8", "TRUSTED_PROXIES": "0"},
            "admin-networks-loopback",
            "medium",
        ),
        ({"DATABASE_URL": "sqlite:///bastion.db"}, "sqlite-many-workers", "medium"),
        ({"SESSION_TTL_MINUTES": str(8 * 24 * 60)}, "long-sessions", "low"),
        ({"SQLITE_ROOTS": ""}, "sqlite-roots-unset", "medium"),
    ],
)
def test_each_settings_finding(overrides, code, severity):
    assert settings_codes(**overrides).get(code) == severity


def test_networks_that_leave_a_gap_are_not_open():
    assert settings_codes(ADMIN_ALLOWED_NETWORKS="0.0.0.0/1,128.0.0.0/2,192.0.0.0/3") == {}
    assert settings_codes(ADMIN_ALLOWED_NETWORKS="::/1,8000::/2,10.0.0.0/8") == {}


@pytest.mark.parametrize(
    ("bind", "proxy_ips", "flagged"),
    [
        ("0.0.0.0:8000", None, True),
        ("10.0.0.7:8000", None, True),
        ("[::]:8000", None, True),
        ("bastion.internal:8000", None, True),
        ("0.0.0.0:8000", "10.0.0.5", False),
        ("127.0.0.1:8000", None, False),
        ("localhost:8000", None, False),
        ("[::1]:8000", None, False),
        ("unix:/run/bastion.sock", None, False),
    ],
)
def test_a_bind_beyond_this_host_needs_the_proxy_addresses(monkeypatch, bind, proxy_ips, flagged):
    monkeypatch.setenv("BASTION_BIND", bind)
    extra = {"TRUSTED_PROXY_IPS": proxy_ips} if proxy_ips else {}
    codes = settings_codes(**extra)
    assert (codes.get("proxy-ips-unset") == "medium") is flagged, codes
    # Without a trusted proxy, forwarded headers are never believed: nothing to say.
    assert "proxy-ips-unset" not in settings_codes(TRUSTED_PROXIES="0", ADMIN_ALLOWED_NETWORKS="")


def test_one_worker_may_use_sqlite():
    codes = settings_codes(workers=1, DATABASE_URL="sqlite:///bastion.db", REDIS_URL="")
    assert "sqlite-many-workers" not in codes


def test_many_workers_without_redis_are_fine_for_throttling():
    # Throttle counts live in the system database, which every worker shares.
    assert "throttle-per-worker" not in settings_codes(workers=4, REDIS_URL="")


def test_loopback_admin_network_is_fine_behind_a_trusted_proxy():
    assert settings_codes(ADMIN_ALLOWED_NETWORKS="127.0.0.1/32") == {}


@pytest.mark.parametrize(
    ("key", "weak"),
    [
        (b"k" * 32, True),
        (bytes(range(32)), True),
        (bytes(range(100, 132)), True),
        (b"correct horse battery staple!!!!", True),
        (bytes([1, 2] * 16), True),
        (base64.b64decode(GOOD_KEY), False),
        (os.urandom(32), False),
    ],
)
def test_key_weakness(key, weak):
    assert (checks.key_weakness(key) is not None) is weak


def test_private_instance_files_pass_and_open_ones_are_reported(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    env_file = instance / ".env"
    env_file.write_text(f"APP_KEY={GOOD_KEY}\n")
    env_file.chmod(0o600)
    assert settings_codes() == {}
    env_file.chmod(0o644)
    instance.chmod(0o755)
    codes = settings_codes()
    assert codes == {"instance-env-readable": "high", "instance-dir-open": "medium"}


def test_workers_follow_bastion_workers_else_the_cpus():
    assert checks.gunicorn_workers({"BASTION_WORKERS": "3"}) == 3
    assert checks.gunicorn_workers({}) == len(os.sched_getaffinity(0)) * 2 + 1
    with pytest.raises(ConfigError, match="BASTION_WORKERS"):
        checks.gunicorn_workers({"BASTION_WORKERS": "many"})


# The system database: one migrated SQLite database per test.


@pytest.fixture
def engine(tmp_path):
    from bastion.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'system.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def db_codes(engine: sa.Engine, **overrides) -> dict[str, str]:
    """The code -> severity of every finding, settings included, on this system database."""
    settings = load_settings({**CLEAN, "DATABASE_URL": str(engine.url), **overrides})
    return {f.code: f.severity for f in checks.run_checks(settings, engine, workers=1, now=NOW)}


def add_admin(engine: sa.Engine, email: str, last_login: datetime | None, active: bool = True) -> None:
    with Session(engine) as db:
        db.add(User(email=email, name="A", password_hash="x", is_sys_admin=True, is_active=active))
        db.commit()
    with engine.begin() as conn:
        table = User.__table__
        conn.execute(table.update().where(table.c.email == email).values(last_login_at=last_login))


def add_rule(engine: sa.Engine, path: str, origins: list[str], enabled: bool = True) -> None:
    with Session(engine) as db:
        db.add(CorsRule(path=path, origins=origins, methods=["GET"], enabled=enabled))
        db.commit()


def test_a_recently_used_admin_and_an_exact_https_origin_have_no_findings(engine):
    add_admin(engine, "ops@example.com", NOW - timedelta(days=3))
    add_rule(engine, "api/v2/*", ["https://admin.example.com"])
    assert db_codes(engine) == {}


def test_no_active_admin(engine):
    add_admin(engine, "gone@example.com", NOW, active=False)
    assert db_codes(engine) == {"no-admin": "medium"}


def test_admins_idle_for_90_days(engine):
    add_admin(engine, "old@example.com", NOW - timedelta(days=91))
    add_admin(engine, "never@example.com", None)
    assert db_codes(engine) == {"admins-idle": "low"}
    add_admin(engine, "recent@example.com", NOW - timedelta(days=89))
    assert db_codes(engine) == {}


@pytest.mark.parametrize(
    ("path", "origins", "expected"),
    [
        ("*", ["*"], {"cors-any-origin": "high"}),
        ("/api/v2/*", [" * "], {"cors-any-origin": "high"}),
        ("api/v2/hr/*", ["*"], {"cors-any-origin": "medium"}),
        # Any glob that reaches any admin path, versioned or not, is high; not only one sample path.
        ("api/v2/system/cors", ["*"], {"cors-any-origin": "high"}),
        ("/api/v2/system/user/*", ["*"], {"cors-any-origin": "high"}),
        ("api/system/*", ["*"], {"cors-any-origin": "high"}),
        ("api/*/service", ["*"], {"cors-any-origin": "high"}),
        ("api/v2/sys*", ["*"], {"cors-any-origin": "high"}),
        ("API/V2/SYSTEM/role", ["*"], {"cors-any-origin": "high"}),
        ("api/v2/system", ["*"], {"cors-any-origin": "high"}),
        ("a*", ["*"], {"cors-any-origin": "high"}),
        ("api/v2/systems/*", ["*"], {"cors-any-origin": "medium"}),
        ("api/v2/hr/_table/*system*", ["*"], {"cors-any-origin": "medium"}),
        ("api/v2/user/session", ["*"], {"cors-any-origin": "medium"}),
        ("api/v2/*", ["http://127.0.0.1:5173"], {"cors-plain-http-origin": "medium"}),
        ("api/v2/*", ["https://*.example.com"], {}),
    ],
)
def test_cors_rules(engine, path, origins, expected):
    add_admin(engine, "ops@example.com", NOW)
    add_rule(engine, path, origins)
    assert db_codes(engine) == expected


def test_a_disabled_rule_is_not_reported(engine):
    add_admin(engine, "ops@example.com", NOW)
    add_rule(engine, "*", ["*"], enabled=False)
    assert db_codes(engine) == {}


def test_plain_http_origins_are_fine_in_local_mode(engine):
    add_admin(engine, "ops@example.com", NOW)
    add_rule(engine, "api/v2/*", ["http://127.0.0.1:5173"])
    assert "cors-plain-http-origin" not in db_codes(engine, APP_ENV="local")


def test_pending_migrations_stop_the_database_checks(tmp_path):
    from bastion.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0003")
    engine = make_engine(url)
    try:
        assert db_codes(engine) == {"migrations-pending": "high"}
    finally:
        engine.dispose()


def test_an_unreachable_database_is_a_high_finding_without_its_url(tmp_path):
    engine = make_engine("postgresql+psycopg://bastion:s3cret@127.0.0.1:1/none?connect_timeout=2")
    settings = load_settings({**CLEAN, "DATABASE_URL": str(engine.url)})
    findings = checks.run_checks(settings, engine, workers=1, now=NOW)
    assert [(f.code, f.severity) for f in findings] == [("database-unreadable", "high")]
    assert "s3cret" not in checks.render_json(findings)


def test_reports_put_the_most_severe_first_and_exit_1_on_high(engine):
    findings = checks.run_checks(
        load_settings({**CLEAN, "APP_DEBUG": "true", "SESSION_TTL_MINUTES": "99999"}),
        engine,
        workers=1,
        now=NOW,
    )
    assert [f.severity for f in findings] == ["high", "medium", "low"]
    assert checks.exit_status(findings) == 1
    text = checks.render_text(findings)
    assert text.splitlines()[0] == "bastion check: not ready for production (1 high, 1 medium, 1 low)"
    assert "[HIGH] app-debug: APP_DEBUG is on" in text and "fix: set APP_DEBUG=false" in text
    report = json.loads(checks.render_json(findings))
    assert report["ready"] is False and report["counts"] == {"high": 1, "medium": 1, "low": 1}
    assert report["findings"][0] == {
        "code": "app-debug",
        "severity": "high",
        "message": "APP_DEBUG is on: error bodies carry stack traces to any client.",
        "fix": "set APP_DEBUG=false",
    }
    assert checks.exit_status(findings[1:]) == 0


def test_bastion_check_command_prints_the_report_and_exits_1_on_high(tmp_path, capsys):
    from bastion.cli import main

    assert main(["init"]) == 0  # the instance of the autouse fixture, with bastion init's CORS rule
    capsys.readouterr()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE_URL", "BASTION_"))}
    env.update(BASTION_INSTANCE=str(tmp_path / "instance"), BASTION_WORKERS="1", APP_DEBUG="true")
    command = [sys.executable, "-m", "bastion.cli", "check", "--json"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ready"] is False
    codes = {f["code"] for f in report["findings"]}
    # Left by `bastion init` on a fresh instance: its development CORS origin and no admin yet.
    assert {"app-debug", "cors-plain-http-origin", "no-admin", "admin-networks-open"} <= codes
