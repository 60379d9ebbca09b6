"""API keys: generated server-side with a recognisable prefix, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "bak_"  # "Bastion API key": easy to spot in a leaked config or a secret scanner


def new_api_key() -> str:
    """A fresh random API key (256 bits after the prefix)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_hash(key: str) -> str:
    """The stored form of a key; keys are random, so a fast hash is enough."""
    return hashlib.sha256(key.encode()).hexdigest()


def fingerprint(key: str) -> str:
    """A short non-secret label shown in lists: the prefix and the first six characters."""
    return key[: len(KEY_PREFIX) + 6]
