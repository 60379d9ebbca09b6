"""Data services: create, read, update, delete, masking and sealing of secret config fields (DESIGN §8).

Secrets are sealed before they reach the system database, shown as a mask on every read, and opened only
by plain_config(), whose one caller builds a connection. Writing the mask back keeps the stored value.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from bastion.config import current_settings
from bastion.data import target_guard
from bastion.data.engines import build_url
from bastion.data.target_files import SystemTargets
from bastion.errors import BadRequest, Conflict, NotFound, ValidationError, already_used
from bastion.invalidation import bump
from bastion.models import Service, ServiceCreate, ServiceUpdate, utcnow
from bastion.secrets import MASK, SecretBox, SecretError, is_sealed
from bastion.service_types import (
    DEFAULT_MAX_RECORDS,
    MAX_RECORDS_LIMIT,
    SERVICE_TYPES,
    config_fields,
    secret_fields,
)
from bastion.services import apply_sent_fields, http_config, remove, save

# The fields that decide where a stored secret is sent; changing one requires the secret again.
TARGET_FIELDS = ("engine", "host", "port", "database", "username")
RESEND_SECRET = "re-enter the password when changing where it is sent"  # noqa: S105 (a message)
RESEND_HTTP_SECRET = "re-enter the secrets when changing the base URL or the auth kind"  # noqa: S105
HTTP = "http"


def list_services(db: Session) -> list[Service]:
    """Every service, ordered by name."""
    return list(db.exec(select(Service).order_by(Service.name)))


def get_service(db: Session, service_id: int) -> Service:
    """One service by id, or NotFound."""
    service = db.get(Service, service_id)
    if service is None:
        raise NotFound(f"Service {service_id} not found")
    return service


def find_service(db: Session, name: str) -> Service | None:
    """The service with this name, if any."""
    return db.exec(select(Service).where(Service.name == name)).first()


def _slots(service_type: str, config: dict) -> list[tuple[str, ...]]:
    """Where a config of this type keeps secrets: a top-level field, or a slot of http_config."""
    if service_type == HTTP:
        return list(http_config.secret_slots(config))
    return [(k,) for k in sorted(secret_fields(service_type))]


def _get(service_type: str, config: dict, slot: tuple[str, ...]) -> Any:
    return http_config.slot_value(config, slot) if service_type == HTTP else config.get(slot[0])


def _put(service_type: str, config: dict, slot: tuple[str, ...], value: Any) -> dict:
    if service_type == HTTP:
        return http_config.with_slot(config, slot, value)
    return {k: v for k, v in config.items() if k != slot[0]} if value is None else {**config, slot[0]: value}


def _purpose(slot: tuple[str, ...]) -> str:
    """The associated data a secret is sealed under: `service.password`, `service.auth.token`, ..."""
    return "service." + ".".join(slot)


def _each_secret(service_type: str, config: dict, change) -> dict:
    """The config with change(slot, value) applied to every secret that is set."""
    for slot in _slots(service_type, config):
        if value := _get(service_type, config, slot):
            config = _put(service_type, config, slot, change(slot, value))
    return config


def masked_config(service: Service) -> dict:
    """The config as clients see it: each stored secret replaced by the mask."""
    return _each_secret(service.type, dict(service.config), lambda _slot, _value: MASK)


def plain_config(box: SecretBox, service: Service) -> dict:
    """The config with secrets opened; only for opening a connection, never for output or logs."""

    def opened(slot: tuple[str, ...], value: Any) -> Any:
        return box.open(value, _purpose(slot)) if is_sealed(value) else value

    config = _each_secret(service.type, dict(service.config), opened)
    # The name lets a refused connection say which service it was (target_guard); it is never stored.
    return {**config, "service": service.name}


def _check_max_records(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RECORDS_LIMIT:
        return f"must be a whole number from 1 to {MAX_RECORDS_LIMIT}"
    return None


def _validate_config(service_type: str, config: dict, targets: SystemTargets) -> None:
    fields = {f["name"]: f for f in config_fields(service_type)}
    errors = {f"config.{k}": "unknown field" for k in config if k not in fields}
    for name, spec in fields.items():
        if spec.get("choices") and name in config and config[name] not in spec["choices"]:
            errors[f"config.{name}"] = f"must be one of: {', '.join(spec['choices'])}"
    if error := _check_max_records(config.get("max_records", DEFAULT_MAX_RECORDS)):
        errors["config.max_records"] = error
    if errors:
        raise ValidationError(errors)
    try:
        build_url({**config, "password": None})
    except ValidationError as exc:
        raise ValidationError({f"config.{k}": v for k, v in exc.context["errors"].items()}) from None
    if refused := target_guard.problems(config, targets):
        raise ValidationError({f"config.{k}": v for k, v in refused.items()})


def _target(config: dict) -> tuple:
    """Where a config sends its secrets, normalised so that 5432 and "5432" compare equal."""
    options = config.get("options") if isinstance(config.get("options"), dict) else {}
    text = tuple("" if config.get(k) is None else str(config.get(k)).strip() for k in TARGET_FIELDS)
    return text, sorted((str(k), str(v)) for k, v in options.items())


def _kept(service_type: str, stored: dict, sent: dict) -> list[tuple[str, ...]]:
    """The stored secrets a change keeps: their field not sent, or sent as the mask."""
    merged = {**stored, **sent}
    return [
        slot
        for slot in _slots(service_type, merged)
        if _get(service_type, stored, slot)
        and (slot[0] not in sent or _get(service_type, merged, slot) == MASK)
    ]


def _ensure_secrets_resent(service_type: str, stored: dict, sent: dict) -> None:
    """Refuse a stored secret kept (mask or omitted) while the config changes where it is sent."""
    kept = _kept(service_type, stored, sent)
    where = http_config.target if service_type == HTTP else _target
    if kept and where(stored) != where({**stored, **sent}):
        message = RESEND_HTTP_SECRET if service_type == HTTP else RESEND_SECRET
        raise ValidationError({"config." + ".".join(k): message for k in kept}, message.capitalize())


def _merge_config(service_type: str, stored: dict, sent: dict, box: SecretBox) -> dict:
    """Overlay sent fields on the stored config: the mask keeps a secret, a new value is sealed."""
    merged = {**stored, **sent}
    for slot in _slots(service_type, merged):
        value = _get(service_type, merged, slot)
        if slot[0] not in sent:
            continue  # kept as stored, already sealed
        if value == MASK:
            merged = _put(service_type, merged, slot, _get(service_type, stored, slot))
        elif value:
            merged = _put(service_type, merged, slot, box.seal(str(value), _purpose(slot)))
    if service_type != HTTP:
        merged.setdefault("max_records", DEFAULT_MAX_RECORDS)
    return merged


def _checked_config(
    service_type: str, stored: dict, sent: dict, box: SecretBox, targets: SystemTargets
) -> dict:
    if service_type not in SERVICE_TYPES:
        raise ValidationError({"type": f"must be one of: {', '.join(SERVICE_TYPES)}"})
    _ensure_secrets_resent(service_type, stored, sent)
    if service_type == HTTP:
        # Checked once sealed: the checks only ask that each secret is set, never read it.
        config = _merge_config(service_type, stored, sent, box)
        allowed = current_settings().http_services_allowed_networks
        if errors := http_config.problems(config, allowed):
            raise ValidationError(errors)
        return config
    merged = {
        k: v for k, v in {**stored, **sent}.items() if not (k in secret_fields(service_type) and v == MASK)
    }
    _validate_config(service_type, merged, targets)
    return _merge_config(service_type, stored, sent, box)


def _ensure_name_free(db: Session, name: str, own_id: int | None = None) -> None:
    existing = find_service(db, name)
    if existing is not None and existing.id != own_id:
        raise already_used(["name"], "service")


def create_service(db: Session, box: SecretBox, data: ServiceCreate, targets: SystemTargets) -> Service:
    """Create a service with its secrets sealed."""
    _ensure_name_free(db, data.name)
    config = _checked_config(data.type, {}, data.config, box, targets)
    service = Service(**data.model_dump(exclude={"config"}), config=config)
    return save(db, service, "services")


def update_service(
    db: Session, box: SecretBox, service_id: int, data: ServiceUpdate, targets: SystemTargets
) -> Service:
    """Apply the fields sent (config merged key by key) and bump the version."""
    service = get_service(db, service_id)
    fields = data.model_dump(exclude_unset=True, exclude={"config"})
    _ensure_mutable(service, fields, data.config)
    if fields.get("name"):
        _ensure_name_free(db, fields["name"], service.id)
    apply_sent_fields(service, fields)
    if data.config is not None:
        service.config = _checked_config(service.type, service.config, data.config, box, targets)
    service.version += 1
    service.updated_at = utcnow()
    return save(db, service, "services")


def config_to_test(box: SecretBox, service: Service, sent: dict, targets: SystemTargets) -> dict:
    """The plaintext config a connection test uses: the stored one with the sent fields over it, checked."""
    config = _checked_config(service.type, service.config, sent, box, targets)
    return plain_config(box, service.model_copy(update={"config": config}))


def _ensure_mutable(service: Service, fields: dict, config: dict | None) -> None:
    """A service marked not mutable (DreamFactory's flag) takes no change but to its two flags."""
    if not service.mutable and (config or set(fields) - {"mutable", "deletable"}):
        raise Conflict(f"Service '{service.name}' is not mutable: set mutable to true first")


def delete_service(db: Session, service_id: int) -> Service:
    """Delete a service, unless it is marked not deletable."""
    service = get_service(db, service_id)
    if not service.deletable:
        raise Conflict(f"Service '{service.name}' is not deletable: set deletable to true first")
    return remove(db, service, "services")


def rotate_service_secrets(db: Session, box: SecretBox) -> int:
    """Re-seal every secret not under the current key; safe to re-run after a crash half-way."""
    rotated = 0
    for service in list_services(db):
        config = dict(service.config)
        stale = [
            slot
            for slot in _slots(service.type, config)
            if box.needs_rotation(_get(service.type, config, slot) or "")
        ]
        if not stale:
            continue
        for slot in stale:
            plain = box.open(_get(service.type, config, slot), _purpose(slot))
            config = _put(service.type, config, slot, box.seal(plain, _purpose(slot)))
        service.config = config
        service.version += 1
        db.add(service)
        bump(db, "services")
        db.commit()
        rotated += len(stale)
    return rotated


def ensure_secret_usable(box: SecretBox, service: Service) -> None:
    """Raise BadRequest when a stored secret cannot be opened with the configured keys."""
    try:
        plain_config(box, service)
    except SecretError as exc:
        raise BadRequest(f"Service '{service.name}': {exc}") from None
