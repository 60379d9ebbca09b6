"""Password hashing with scrypt (memory-hard), stored as a self-describing string."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

# 32 MiB and ~100 ms per hash: costly for an attacker, fine for a login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str, n: int | None = None) -> str:
    """Hash a password as scrypt$n$r$p$salt$hash (n defaults to SCRYPT_N)."""
    n = n or SCRYPT_N
    salt = os.urandom(16)
    digest = _derive(password, salt, n, SCRYPT_R, SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Check a password against a stored hash in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(candidate, base64.b64decode(digest))


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so that a miss costs as long as a hit."""
    # Made on first use, not at import: every gunicorn worker (and every recycled one) imports this.
    return hash_password(base64.b64encode(os.urandom(12)).decode())
