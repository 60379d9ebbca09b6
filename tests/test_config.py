"""Settings: defaults, validation naming the variable, APP_KEY rules, the instance .env."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.config import KNOWN_NAMES, ConfigError, load_settings
from tests.test_api_data_fuzz import FUZZ

KEY = base64.b64encode(b"x" * 32).decode()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in ("APP_ENV", "APP_DEBUG", "APP_KEY", "DATABASE_URL", "REQUIRE_HTTPS", "BASTION_INSTANCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_production_defaults(tmp_path):
    settings = load_settings({"APP_KEY": KEY})
    assert settings.app_env == "production"
    assert settings.app_debug is False
    assert settings.require_https is True
    assert settings.session_ttl_minutes == 1440
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'bastion.db'}"


def test_production_without_app_key_stops_with_a_hint():
    with pytest.raises(ConfigError, match="APP_KEY is required.*bastion init"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APP_KEY", "not base64!!"),
        ("APP_KEY", base64.b64encode(b"short").decode()),
        ("APP_ENV", "staging"),
        ("APP_DEBUG", "perhaps"),
        ("SESSION_TTL_MINUTES", "ten"),
        ("TRUSTED_PROXIES", "-1"),
        ("ADMIN_ALLOWED_NETWORKS", "10.0.0.0/33"),
        ("TRUSTED_PROXY_IPS", "nginx.internal"),
        ("DATABASE_URL", "bastion.db"),
        ("APP_OLD_KEYS", f"{KEY},oops"),
    ],
)
def test_malformed_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({"APP_KEY": KEY, name: value})


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="APP_KYE"):
        load_settings({"APP_KYE": KEY})


def test_instance_env_is_read_and_unknown_names_reported(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / ".env").write_text(f"APP_KEY={KEY}\nSESSION_TTL_MINUTES=5\nAPP_KYE=typo\n")
    monkeypatch.setenv("BASTION_INSTANCE", str(instance))
    settings = load_settings()
    assert settings.app_key == b"x" * 32
    assert settings.session_ttl_minutes == 5
    assert any("APP_KYE" in w for w in settings.warnings)


@pytest.mark.parametrize("where", ["instance", "working directory"])
def test_a_settings_file_that_is_not_text_stops_with_its_path(tmp_path, monkeypatch, where):
    instance = tmp_path / "inst"
    instance.mkdir()
    folder = instance if where == "instance" else tmp_path  # the fixture made tmp_path the working directory
    (folder / ".env").write_bytes(b"APP_KEY=\xff\xfe\n")
    monkeypatch.setenv("BASTION_INSTANCE", str(instance))
    with pytest.raises(ConfigError, match=r"cannot read the settings file .*\.env.*utf-8"):
        load_settings({"APP_KEY": KEY})


def test_environment_beats_instance_env(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / ".env").write_text(f"APP_KEY={KEY}\nAPP_ENV=production\n")
    monkeypatch.setenv("BASTION_INSTANCE", str(instance))
    monkeypatch.setenv("APP_ENV", "local")
    settings = load_settings()
    assert settings.app_env == "local"
    assert settings.require_https is False


def test_trusted_proxy_ips_default_to_this_host_and_take_a_cidr_list():
    assert [str(n) for n in load_settings({"APP_KEY": KEY}).trusted_proxy_ips] == ["127.0.0.0/8", "::1/128"]
    listed = load_settings({"APP_KEY": KEY, "TRUSTED_PROXY_IPS": " 10.0.0.5, 192.168.4.0/24 "})
    assert [str(n) for n in listed.trusted_proxy_ips] == ["10.0.0.5/32", "192.168.4.0/24"]


@pytest.mark.parametrize(
    ("name", "good", "bad", "problem"),
    [
        ("AUDIT_RETENTION_DAYS", "1", "0", "at least 1 \\(day\\)"),
        ("CODE_TTL_MINUTES", "10080", "10081", "from 1 to 10080 minutes"),
        ("CODE_TTL_MINUTES", "1", "0", "from 1 to 10080 minutes"),
        ("MAIL_PORT", "65535", "65536", "a port from 1 to 65535"),
        ("MAIL_PORT", "1", "0", "a port from 1 to 65535"),
    ],
)
def test_bounded_numbers_take_their_bounds_and_refuse_beyond(name, good, bad, problem):
    settings = load_settings({"APP_KEY": KEY, name: good})
    assert getattr(settings, name.lower()) == int(good)
    with pytest.raises(ConfigError, match=f"{name} must be {problem}, got '{bad}'"):
        load_settings({"APP_KEY": KEY, name: bad})
    with pytest.raises(ConfigError, match=f"{name} must be an integer"):
        load_settings({"APP_KEY": KEY, name: "ten"})


@FUZZ
@given(
    name=st.sampled_from(sorted(KNOWN_NAMES)),
    value=st.one_of(
        st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
        st.sampled_from(
            ["", " ", "0", "-1", "1e3", "true", "∞", "9" * 30, "10.0.0.0/33", "redis://", "x" * 5000]
        ),
    ),
)
def test_any_value_of_any_setting_loads_or_stops_naming_it(name, value):
    # Config is input too: whatever an operator writes, the platform starts or says which setting is wrong.
    try:
        load_settings({"APP_KEY": KEY, name: value})
    except ConfigError as exc:
        assert name in str(exc), (name, value, str(exc))
