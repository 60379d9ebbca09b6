"""CORS rules: create, read, update, delete; each change bumps the "cors" counter in its transaction.

Field syntax is checked by the models (cors_syntax.py); this module checks what needs the whole rule or
the other rules: a path may have one rule only (compared without the leading slash, as matching does),
and `*` cannot stand in origins or exposed headers of a rule that sends credentials.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bastion.cors_syntax import normalize_path
from bastion.errors import NotFound, ValidationError, already_used
from bastion.invalidation import bump
from bastion.models import CorsRule, CorsRuleCreate, CorsRuleUpdate, utcnow


def list_rules(db: Session) -> list[CorsRule]:
    """Every rule, ordered by id."""
    return list(db.exec(select(CorsRule).order_by(CorsRule.id)))


def get_rule(db: Session, rule_id: int) -> CorsRule:
    """One rule by id, or NotFound."""
    rule = db.get(CorsRule, rule_id)
    if rule is None:
        raise NotFound(f"CORS rule {rule_id} not found")
    return rule


def find_rule_by_path(db: Session, path: str) -> CorsRule | None:
    """The rule for this path, with or without its leading slash."""
    wanted = normalize_path(path.strip())
    # Indexed lookup of both spellings: scanning every rule made a batch of n rules cost n² reads.
    candidates = db.exec(select(CorsRule).where(CorsRule.path.in_([wanted, "/" + wanted])))
    return next((r for r in candidates if normalize_path(r.path) == wanted), None)


def _ensure_path_free(db: Session, path: str, own_id: int | None = None) -> None:
    existing = find_rule_by_path(db, path)
    if existing is not None and existing.id != own_id:
        raise already_used(["path"], "CORS rule")


def _check_credentials(rule: CorsRule) -> None:
    if not rule.supports_credentials:
        return
    if "*" in rule.origins:
        raise ValidationError({"origins": "'*' cannot be used with supports_credentials: list the origins"})
    if "*" in rule.exposed_headers:
        raise ValidationError(
            {"exposed_headers": "'*' cannot be used with supports_credentials: list the headers"}
        )


def _save(db: Session, rule: CorsRule) -> CorsRule:
    _check_credentials(rule)
    db.add(rule)
    try:
        db.flush()
    except IntegrityError:
        # Two saves of the same path racing each other: the unique constraint decides.
        raise already_used(["path"], "CORS rule") from None
    bump(db, "cors")
    db.refresh(rule)  # answer with what the database kept (MySQL drops sub-second timestamps)
    return rule


def create_rule(db: Session, data: CorsRuleCreate) -> CorsRule:
    """Create a rule; it applies from the next request on every worker."""
    _ensure_path_free(db, data.path)
    return _save(db, CorsRule(**data.model_dump()))


def update_rule(db: Session, rule_id: int, data: CorsRuleUpdate) -> CorsRule:
    """Apply the fields sent (null means not sent)."""
    rule = get_rule(db, rule_id)
    fields = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "path" in fields:
        _ensure_path_free(db, fields["path"], rule.id)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.updated_at = utcnow()
    return _save(db, rule)


def delete_rule(db: Session, rule_id: int) -> CorsRule:
    """Delete a rule."""
    rule = get_rule(db, rule_id)
    db.delete(rule)
    db.flush()
    bump(db, "cors")
    return rule
