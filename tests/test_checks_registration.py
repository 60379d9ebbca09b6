"""`bastion check` says when open registration is on but confirmation e-mails cannot be sent (issue 15)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from bastion import checks
from bastion.config import load_settings
from bastion.db import make_engine
from bastion.migrate import upgrade
from bastion.models_self_service import RegistrationSetting
from tests.databases import scratch_database

MAIL = {
    "MAIL_HOST": "smtp.example.com",
    "MAIL_FROM": "no-reply@example.com",
    "SPA_URL": "https://c.example.com",
}


@pytest.fixture
def engine(tmp_path):
    with scratch_database("sqlite", str(tmp_path)) as url:
        upgrade(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()


def _codes(engine, **overrides) -> set[str]:
    settings = load_settings({"APP_ENV": "local", "DATABASE_URL": str(engine.url), **overrides})
    return {f.code for f in checks.run_checks(settings, engine, workers=1)}


def _set(engine, **values) -> None:
    with Session(engine) as db:
        db.merge(RegistrationSetting(id=1, apps=[{"app_id": 1, "role_id": 1}], **values))
        db.commit()


@pytest.mark.parametrize(
    ("values", "mail", "flagged"),
    [
        (None, {}, False),
        ({"enabled": True}, {}, True),
        ({"enabled": True}, MAIL, False),
        ({"enabled": True, "skip_confirmation": True}, {}, False),
        ({"enabled": False}, {}, False),
    ],
)
def test_registration_without_mail_is_reported(engine, values, mail, flagged):
    if values is not None:
        _set(engine, **values)
    assert ("registration-without-mail" in _codes(engine, **mail)) is flagged
