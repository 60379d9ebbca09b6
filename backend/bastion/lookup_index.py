"""The lookups part of the access snapshot: each owner's values, private ones still sealed.

Resolution order for `{lookup.<name>}`: the user's, else the role's, else the global value. A private
value stays sealed in the snapshot (no cache holds a secret in the clear) and is opened only when a row
filter needs it; a value that cannot be opened counts as missing, so the filter denies.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bastion.models_self_service import Lookup
from bastion.secrets import SecretBox, SecretError

log = logging.getLogger("bastion")


@dataclass(frozen=True)
class StoredValue:
    """One lookup's value as stored: plain, or sealed when private."""

    owner: str
    name: str
    value: str | None
    private: bool


@dataclass(frozen=True)
class LookupIndex:
    """Lookups by owner ("global", "role:<id>", "user:<id>") and name."""

    by_owner: dict[str, dict[str, StoredValue]] = field(default_factory=dict)
    box: SecretBox | None = None

    def _find(self, name: str, user_id: int | None, role_id: int | None) -> StoredValue | None:
        owners = [f"user:{user_id}" if user_id is not None else None, f"role:{role_id}" if role_id else None]
        for owner in (*owners, "global"):
            stored = self.by_owner.get(owner, {}).get(name) if owner else None
            if stored is not None:
                return stored
        return None

    def resolve(self, name: str, user_id: int | None, role_id: int | None) -> str | None:
        """The user's value, else the role's, else the global one; None when none applies."""
        stored = self._find(name, user_id, role_id)
        return self._open(stored) if stored is not None else None

    def is_private(self, name: str, user_id: int | None, role_id: int | None) -> bool:
        """Whether the value that applies is a private one (to be shown masked)."""
        stored = self._find(name, user_id, role_id)
        return stored is not None and stored.private

    def _open(self, stored: StoredValue) -> str | None:
        if not stored.private or stored.value is None:
            return stored.value
        from bastion.services.lookups import open_value

        try:
            return open_value(self.box, stored.owner, stored.name, stored.value)
        except (SecretError, AttributeError):
            log.warning("private lookup %r of %s cannot be opened", stored.name, stored.owner)
            return None


def build_lookup_index(rows: list[Lookup], box: SecretBox | None) -> LookupIndex:
    """Group the stored lookups by owner."""
    by_owner: dict[str, dict[str, StoredValue]] = {}
    for row in rows:
        stored = StoredValue(row.owner, row.name, row.value, row.private)
        by_owner.setdefault(row.owner, {})[row.name] = stored
    return LookupIndex(by_owner, box)
