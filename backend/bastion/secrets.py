"""AES-256-GCM secret box for stored credentials, with key ids for rotation (DESIGN §8).

A sealed value reads `enc:v1:<key id>:<base64(nonce || ciphertext+tag)>`. The key id is a short digest
of the key (never the key), so `bastion rotate-key` can tell which values still need re-encryption
while APP_OLD_KEYS keeps the retired keys able to decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bastion import current
from bastion.config import current_settings

PREFIX = "enc:v1:"
MASK = "**********"


class SecretError(Exception):
    """A value cannot be sealed or opened (no key, unknown key id, tampered data)."""


def key_id(key: bytes) -> str:
    """A short public identifier of a key."""
    return hashlib.sha256(b"bastion-key-id:" + key).hexdigest()[:12]


def is_sealed(value: object) -> bool:
    """Whether a stored value is a sealed secret."""
    return isinstance(value, str) and value.startswith(PREFIX)


class SecretBox:
    """Seals with the current key; opens with the current or any retired key."""

    def __init__(self, current: bytes | None, retired: tuple[bytes, ...] = ()) -> None:
        self.current = current
        self.keys = {key_id(k): k for k in (*retired, *([current] if current else []))}

    @property
    def current_id(self) -> str | None:
        """The key id new values are sealed with."""
        return key_id(self.current) if self.current else None

    def seal(self, plaintext: str, purpose: str) -> str:
        """Encrypt a secret; `purpose` (e.g. the field name) is bound as associated data."""
        if self.current is None:
            raise SecretError("APP_KEY is not configured: run `bastion init` or set APP_KEY to store secrets")
        nonce = os.urandom(12)
        sealed = AESGCM(self.current).encrypt(nonce, plaintext.encode(), purpose.encode())
        return f"{PREFIX}{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, value: str, purpose: str) -> str:
        """Decrypt a sealed secret with whichever configured key sealed it."""
        try:
            kid, payload = value.removeprefix(PREFIX).split(":", 1)
            raw = base64.b64decode(payload, validate=True)
        except ValueError:
            raise SecretError("stored secret is malformed") from None
        key = self.keys.get(kid)
        if key is None:
            raise SecretError(f"stored secret uses key {kid}, which is neither APP_KEY nor in APP_OLD_KEYS")
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
        except InvalidTag:
            raise SecretError("stored secret failed authentication (wrong key or tampered)") from None

    def needs_rotation(self, value: str) -> bool:
        """Whether a sealed value is under a key other than the current one."""
        return is_sealed(value) and not value.startswith(f"{PREFIX}{self.current_id}:")


def init_app(app) -> None:
    """Bind the app's secret box from APP_KEY and APP_OLD_KEYS."""
    settings = current_settings(app)
    app.extensions["bastion.secrets"] = SecretBox(settings.app_key, settings.app_old_keys)


def get_box() -> SecretBox:
    """The current app's secret box."""
    return current.extensions()["bastion.secrets"]
