"""One-time codes sent by e-mail: random, stored only as a keyed hash, single use, expiring.

A code is 10 characters from a 32-letter alphabet without look-alikes (50 bits); with the password-check
throttle in front (5 wrong tries per account in 15 minutes) and a 30-minute life, guessing is hopeless.
The hash is keyed with a key derived from APP_KEY, so a copy of the system database alone reveals no code.
Issuing a code voids the user's earlier codes of the same purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, delete, select

from bastion.models import User, as_utc, utcnow
from bastion.models_self_service import OneTimeCode

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 10
PURPOSES = ("confirm", "reset", "invite")


def _digest(key: bytes | None, purpose: str, code: str) -> str:
    secret = hashlib.sha256(b"bastion-one-time-code:" + (key or b"")).digest()
    return hmac.new(secret, f"{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def normalize(code: str) -> str:
    """A code as typed, upper-cased and without the spaces or dashes people add."""
    return "".join(c for c in code.upper() if c not in " -")


def issue(db: Session, user: User, purpose: str, ttl_minutes: int, key: bytes | None) -> str:
    """A new code for a user and purpose; the user's earlier codes of that purpose stop working."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown code purpose {purpose!r}")
    db.exec(delete(OneTimeCode).where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose))
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    now = utcnow()
    row = OneTimeCode(
        purpose=purpose,
        user_id=user.id,
        code_hash=_digest(key, purpose, code),
        created_at=now,
        expires_at=now + timedelta(minutes=ttl_minutes),
    )
    db.add(row)
    db.flush()
    return code


def redeem(
    db: Session, user: User, purposes: tuple[str, ...], code: str, key: bytes | None
) -> OneTimeCode | None:
    """Use up a live code of the user for one of the purposes; None when there is none (wrong, used, expired).

    Marking the code used is one conditional UPDATE, so two requests racing with the same code cannot
    both succeed.
    """
    typed = normalize(code)
    hashes = {_digest(key, p, typed): p for p in purposes}
    rows = db.exec(
        select(OneTimeCode).where(OneTimeCode.user_id == user.id, OneTimeCode.code_hash.in_(list(hashes)))
    ).all()
    now = utcnow()
    for row in rows:
        if row.used_at is not None or as_utc(row.expires_at) <= now:
            continue
        unused = (OneTimeCode.id == row.id) & OneTimeCode.used_at.is_(None)
        taken = db.exec(update(OneTimeCode).where(unused).values(used_at=now))
        if taken.rowcount == 1:
            return row
    return None


def has_pending(db: Session, user: User, purpose: str) -> bool:
    """Whether the user was ever sent a code of this purpose that was not used (a pending registration)."""
    query = select(OneTimeCode.id).where(
        OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None)
    )
    return db.exec(query).first() is not None
