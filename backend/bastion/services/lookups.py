"""Lookups (DreamFactory's named values): global, per role and per user, private ones sealed.

Precedence when a row filter names `{lookup.<name>}`: the user's lookup, else the role's (the request's
effective role), else the global one; none (or a null value) leaves the filter unresolved, which denies.
Private values are sealed with the secret box under the owner and name, returned only as the mask, and
opened only when a filter is resolved. Every write bumps the "access" counter: lookups live in the access
snapshot, so the hot path reads no extra rows.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticError
from sqlmodel import Session, select

from bastion.errors import BadRequest, NotFound, ValidationError, already_used
from bastion.invalidation import bump
from bastion.models_self_service import Lookup, LookupCreate, LookupUpdate
from bastion.secrets import MASK, SecretBox, SecretError

GLOBAL = "global"
# DreamFactory's names for a role's and a user's lookups, on input and output.
ROLE_KEYS = ("lookup_by_role_id", "role_lookup_by_role_id")
USER_KEYS = ("lookup_by_user_id", "user_lookup_by_user_id")


def role_owner(role_id: int) -> str:
    """The owner string of a role's lookups."""
    return f"role:{role_id}"


def user_owner(user_id: int) -> str:
    """The owner string of a user's lookups."""
    return f"user:{user_id}"


def _purpose(owner: str, name: str) -> str:
    return f"lookup:{owner}:{name}"


def public(row: Lookup) -> dict:
    """The JSON form of a lookup; a private value only as the mask."""
    body = {"id": row.id, "name": row.name, "value": MASK if row.private else row.value}
    body.update(private=row.private, description=row.description)
    if row.role_id is not None:
        body["role_id"] = row.role_id
    if row.user_id is not None:
        body["user_id"] = row.user_id
    return body


def list_lookups(db: Session, owner: str = GLOBAL) -> list[Lookup]:
    """An owner's lookups, by name."""
    return list(db.exec(select(Lookup).where(Lookup.owner == owner).order_by(Lookup.name)))


def public_list(db: Session, owner: str) -> list[dict]:
    """An owner's lookups in their JSON form (for `related=lookup_by_role_id` and friends)."""
    return [public(row) for row in list_lookups(db, owner)]


def get_lookup(db: Session, lookup_id: int, owner: str = GLOBAL) -> Lookup:
    """One lookup of an owner by id, or NotFound."""
    row = db.get(Lookup, lookup_id)
    if row is None or row.owner != owner:
        raise NotFound(f"Lookup {lookup_id} not found")
    return row


def _ensure_name_free(db: Session, owner: str, name: str, own_id: int | None = None) -> None:
    clash = db.exec(select(Lookup).where(Lookup.owner == owner, Lookup.name == name)).first()
    if clash is not None and clash.id != own_id:
        raise already_used(["name"], "lookup of the same owner")


def _seal(box: SecretBox, row: Lookup, plain: str | None) -> None:
    if not row.private or plain is None:
        row.value = plain
        return
    try:
        row.value = box.seal(plain, _purpose(row.owner, row.name))
    except SecretError as exc:
        raise BadRequest(f"Lookup '{row.name}': {exc}") from None


def _plain(box: SecretBox, row: Lookup) -> str | None:
    """The stored value in the clear (to re-seal it under a new name, owner or key)."""
    if not row.private or row.value is None:
        return row.value
    try:
        return box.open(row.value, _purpose(row.owner, row.name))
    except SecretError as exc:
        raise BadRequest(f"Lookup '{row.name}': {exc}") from None


def _owner_ids(owner: str) -> dict[str, int | None]:
    kind, _, raw = owner.partition(":")
    return {"role_id": int(raw) if kind == "role" else None, "user_id": int(raw) if kind == "user" else None}


def create_lookup(db: Session, box: SecretBox, data: LookupCreate, owner: str = GLOBAL) -> Lookup:
    """Store a new lookup; a private value is sealed, and the mask is no value at all."""
    if data.value == MASK:
        raise ValidationError({"value": "send the value itself, not the mask"})
    _ensure_name_free(db, owner, data.name)
    row = Lookup(owner=owner, name=data.name, private=data.private, description=data.description)
    for key, value in _owner_ids(owner).items():
        setattr(row, key, value)
    _seal(box, row, data.value)
    db.add(row)
    bump(db, "access")
    db.flush()
    return row


def update_lookup(db: Session, box: SecretBox, row: Lookup, data: LookupUpdate) -> Lookup:
    """Apply the fields sent; the mask sent back as the value keeps the stored one."""
    sent = data.model_dump(exclude_unset=True)
    for key in ("name", "private", "description"):
        if key in sent and sent[key] is None:
            raise ValidationError({key: "must not be null"})
    plain = _plain(box, row) if sent.get("value", MASK) == MASK else sent["value"]
    if "name" in sent:
        _ensure_name_free(db, row.owner, sent["name"], row.id)
        row.name = sent["name"]
    row.private = sent.get("private", row.private)
    row.description = sent.get("description", row.description)
    _seal(box, row, plain)
    db.add(row)
    bump(db, "access")
    db.flush()
    return row


def delete_lookup(db: Session, row: Lookup) -> Lookup:
    """Delete one lookup."""
    db.delete(row)
    bump(db, "access")
    db.flush()
    return row


KEYS = {"role": ROLE_KEYS, "user": USER_KEYS}
OWNERS = {"role": role_owner, "user": user_owner}


def take_related(body: Any, kind: str) -> list | None:
    """Hook for the role and user views: take `lookup_by_<kind>_id` (or its alias) out of a body, or None."""
    return pop_owned(body, KEYS[kind])


def save_related(db: Session, box: SecretBox, kind: str, owner_id: int, items: list | None) -> None:
    """Hook for the role and user views: make a role's or user's lookups the list taken (None: leave them)."""
    if items is not None:
        replace_owned(db, box, OWNERS[kind](owner_id), items, KEYS[kind][0])


def related(db: Session, kind: str, owner_id: int) -> dict[str, list[dict]]:
    """Hook for `related=`: a role's or user's lookups under both DreamFactory names."""
    items = public_list(db, OWNERS[kind](owner_id))
    return {key: items for key in KEYS[kind]}


def pop_owned(body: Any, keys: tuple[str, ...]) -> list | None:
    """Take a role's or user's lookup list out of a request body (either DreamFactory name), or None."""
    if not isinstance(body, dict):
        return None
    sent = [key for key in keys if key in body]
    if len(sent) > 1:
        raise ValidationError({sent[1]: f"send either {sent[0]} or {sent[1]}, not both"})
    if not sent:
        return None
    items = body.pop(sent[0])
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError({sent[0]: "must be a list of lookups"})
    return items


# Keys DreamFactory's clients send with each item that say nothing the owner and name do not.
_ECHOED = (
    "id",
    "role_id",
    "user_id",
    "created_date",
    "last_modified_date",
    "created_by_id",
    "last_modified_by_id",
)


def _items(items: list[Any], field: str) -> list[LookupCreate]:
    parsed, errors = [], {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"{field}[{i}]"] = "must be an object"
            continue
        data = {k: v for k, v in item.items() if k not in _ECHOED}
        unknown = [k for k in data if k not in LookupCreate.model_fields]
        if unknown:
            errors[f"{field}[{i}].{unknown[0]}"] = "unknown field"
            continue
        try:
            parsed.append(LookupCreate.model_validate(data))
        except PydanticError as exc:
            for e in exc.errors():
                where = ".".join(str(p) for p in e["loc"])
                errors[f"{field}[{i}].{where}"] = e["msg"].removeprefix("Value error, ")
    names = [p.name for p in parsed]
    for name in {n for n in names if names.count(n) > 1}:
        errors[field] = f"lookup '{name}' is listed twice"
    if errors:
        raise ValidationError(errors)
    return parsed


def replace_owned(db: Session, box: SecretBox, owner: str, items: list[Any], field: str) -> None:
    """Make an owner's lookups exactly the list sent, matched by name; a masked value keeps the stored one."""
    wanted = {p.name: p for p in _items(items, field)}
    existing = {row.name: row for row in list_lookups(db, owner)}
    for name, row in existing.items():
        if name not in wanted:
            db.delete(row)
    db.flush()
    for name, item in wanted.items():
        if name in existing:
            update_lookup(db, box, existing[name], LookupUpdate.model_validate(item.model_dump()))
        else:
            create_lookup(db, box, item, owner)
    bump(db, "access")
    db.flush()


def rotate_lookup_secrets(db: Session, box: SecretBox) -> int:
    """Re-seal every private lookup not under the current key; safe to re-run."""
    rotated = 0
    for row in db.exec(select(Lookup).where(Lookup.private == True)):  # noqa: E712
        if row.value is not None and box.needs_rotation(row.value):
            purpose = _purpose(row.owner, row.name)
            row.value = box.seal(box.open(row.value, purpose), purpose)
            db.add(row)
            rotated += 1
    if rotated:
        bump(db, "access")
    db.flush()
    return rotated


def open_value(box: SecretBox, owner: str, name: str, sealed: str) -> str:
    """Open a private lookup's value for a row filter (access_index keeps it sealed until then)."""
    return box.open(sealed, _purpose(owner, name))
