"""One advisor finding: what is wrong, what it concerns, how to fix it, and whether an admin muted it.

Shared by `bastion check` (checks.py) and the admin API (api/advisor.py): both report the same findings
from the same checks. A finding's id is its code, plus the object it concerns when a code can occur more
than once (`cors-any-origin:cors:3`), so a mute keeps holding for that one object across runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

SEVERITIES = ("high", "medium", "low", "info")


@dataclass(frozen=True)
class Finding:
    """One problem: a stable code, its severity, what is wrong and how to fix it."""

    code: str
    severity: str
    message: str
    fix: str
    evidence: tuple[dict[str, Any], ...] = ()
    route: str | None = None  # the SPA route (hash path) where the fix is made
    key: str = ""  # what tells apart two findings of one code, e.g. "cors:3"
    muted: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        """The stable id a mute refers to."""
        return f"{self.code}:{self.key}" if self.key else self.code

    def with_mute(self, mute: dict[str, Any] | None) -> Finding:
        """The same finding, marked muted (or not)."""
        return replace(self, muted=mute)


def evidence(kind: str, id: Any = None, **details: Any) -> dict[str, Any]:
    """One object a finding concerns: its kind (app, role, cors_rule, service, setting, user), id, details."""
    return {"type": kind, "id": id, **details}


def sort_key(finding: Finding) -> tuple[int, str]:
    """Most severe first, then by id, so reports are stable."""
    return SEVERITIES.index(finding.severity), finding.id
