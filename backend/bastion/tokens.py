"""Session tokens: random, shown once, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "bst_"  # noqa: S105 (a public prefix)


def new_token() -> str:
    """A fresh unguessable session token (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The stored form of a token; high-entropy tokens need no slow hash."""
    return hashlib.sha256(token.encode()).hexdigest()
