"""The AES-256-GCM secret box: sealing, key ids, retired keys, tampering."""

from __future__ import annotations

import os

import pytest

from bastion.secrets import MASK, SecretBox, SecretError, is_sealed, key_id

OLD, NEW = os.urandom(32), os.urandom(32)


def test_round_trip_and_format():
    box = SecretBox(NEW)
    sealed = box.seal("s3cret pa$$", "service.password")
    assert sealed.startswith(f"enc:v1:{key_id(NEW)}:")
    assert "s3cret" not in sealed
    assert box.open(sealed, "service.password") == "s3cret pa$$"
    assert box.seal("same", "p") != box.seal("same", "p")
    assert is_sealed(sealed) and not is_sealed(MASK)


def test_key_id_reveals_nothing_of_the_key():
    assert key_id(NEW) not in NEW.hex()
    assert len(key_id(NEW)) == 12


def test_retired_key_still_opens_and_flags_rotation():
    sealed = SecretBox(OLD).seal("value", "service.password")
    box = SecretBox(NEW, (OLD,))
    assert box.open(sealed, "service.password") == "value"
    assert box.needs_rotation(sealed)
    assert not box.needs_rotation(box.seal("value", "service.password"))


def test_unknown_key_tamper_and_purpose_are_refused():
    sealed = SecretBox(OLD).seal("value", "service.password")
    with pytest.raises(SecretError, match="neither APP_KEY nor in APP_OLD_KEYS"):
        SecretBox(NEW).open(sealed, "service.password")
    with pytest.raises(SecretError, match="authentication"):
        SecretBox(OLD).open(sealed, "service.username")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SecretError):
        SecretBox(OLD).open(tampered, "service.password")


def test_no_key_cannot_seal():
    with pytest.raises(SecretError, match="APP_KEY"):
        SecretBox(None).seal("x", "service.password")
