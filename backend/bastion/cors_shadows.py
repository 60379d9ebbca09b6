"""Which CORS rules take which origins from which other rules (DESIGN §7), judged without a request.

For an origin O, of the rules whose path matches and whose origins admit O, the most specific decides
(cors_syntax.specificity, the order the CORS layer sorts by). So a rule A shadows a rule B for the
origins both admit, on the paths both match, when A ranks before B. Used by the save warnings of
/api/v2/system/cors and by the advisor's "rule that can never apply".

Globs have only `*`, so both questions have exact answers: two globs share a path when their literal
heads agree as far as both go and so do their tails (the stars absorb the rest); glob B covers every
path of glob A when B matches A's text with A's stars standing for themselves (B's literal pieces never
contain `*`, so only B's stars can take them). Origin lists are compared entry by entry; a subdomain
wildcard stands for its own subdomains (`x.` put in place of `*.`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bastion import cors_syntax


@dataclass(frozen=True)
class RuleView:
    """What shadowing needs of a rule: id, path and origin entries."""

    id: int
    path: str
    origins: tuple[str, ...]

    @classmethod
    def of(cls, rule) -> RuleView:
        """From a CorsRule row, model or mapping."""
        get = rule.get if isinstance(rule, dict) else lambda name: getattr(rule, name)  # noqa: E731
        return cls(get("id") or 0, str(get("path")), tuple(o.strip() for o in get("origins") or []))

    def rank(self) -> tuple[int, int, int]:
        """Its place among rules covering one path; lower decides."""
        return cors_syntax.specificity(self.path, self.id)


def _glob(path: str) -> str:
    return cors_syntax.normalize_path(path.strip())


def paths_overlap(a: str, b: str) -> bool:
    """Whether some request path matches both globs."""
    a, b = _glob(a), _glob(b)
    if "*" not in a:
        return cors_syntax.Glob.compile(b).matches(a)
    if "*" not in b:
        return cors_syntax.Glob.compile(a).matches(b)
    head_a, head_b = a.split("*", 1)[0], b.split("*", 1)[0]
    tail_a, tail_b = a.rsplit("*", 1)[1], b.rsplit("*", 1)[1]
    heads = head_a.startswith(head_b) or head_b.startswith(head_a)
    tails = tail_a.endswith(tail_b) or tail_b.endswith(tail_a)
    return heads and tails


def covers_path(outer: str, inner: str) -> bool:
    """Whether glob `outer` matches every path glob `inner` matches."""
    return cors_syntax.Glob.compile(outer).matches(_glob(inner))


def _sample(entry: str) -> str:
    return entry.replace("://*.", "://x.", 1)


def _admits(entry: str, origin: str) -> bool:
    try:
        return bool(cors_syntax.origin_regex(entry).match(origin))
    except (TypeError, KeyError):
        return False  # a stored entry the grammar no longer accepts admits nothing


def shared_origins(a: tuple[str, ...], b: tuple[str, ...]) -> list[str]:
    """The origin entries both lists admit, written as the narrower of each pair."""
    shared: list[str] = []
    for x in a:
        for y in b:
            if x == "*" or (_admits(x, _sample(y)) and y != "*"):
                found = y
            elif y == "*" or _admits(y, _sample(x)):
                found = x
            else:
                continue
            if found not in shared:
                shared.append(found)
    return shared


def _covers_entry(entry: str, others: tuple[str, ...]) -> bool:
    return any(o == "*" or (entry != "*" and _admits(o, _sample(entry))) for o in others)


def relations(rule: RuleView, others: list[RuleView]) -> list[dict]:
    """Each other rule this one shadows or is shadowed by, with the origins concerned."""
    found = []
    for other in others:
        if other.id == rule.id or not paths_overlap(rule.path, other.path):
            continue
        origins = shared_origins(rule.origins, other.origins)
        if not origins:
            continue
        shadows = rule.rank() < other.rank()
        verb = "takes" if shadows else "loses"
        found.append(
            {
                "relation": "shadows" if shadows else "shadowed_by",
                "rule_id": other.id,
                "path": other.path,
                "origins": origins,
                "message": f"On the paths both match, this rule {verb} {', '.join(origins)} "
                f"{'from' if shadows else 'to'} rule {other.id} ({other.path}), which "
                f"{'no longer decides' if shadows else 'decides'} for them there.",
            }
        )
    return found


def never_applies(rule: RuleView, others: list[RuleView]) -> list[RuleView]:
    """The rules that decide instead of this one for every origin it admits on every path it matches;
    empty when the rule does apply somewhere."""
    stronger = [
        o for o in others if o.id != rule.id and o.rank() < rule.rank() and covers_path(o.path, rule.path)
    ]
    winners = []
    for entry in rule.origins:
        winner = next((o for o in stronger if _covers_entry(entry, o.origins)), None)
        if winner is None:
            return []
        if winner not in winners:
            winners.append(winner)
    return winners
