"""Open registration (DreamFactory's POST /user/register): off by default, per app, with a role per app.

An account made here stays inactive until its address is confirmed with the e-mailed code, unless the
admin chose to skip confirmation. A confirmation code only applies to the account as it was when the code
was sent: any change to an inactive account (an admin editing or deactivating it, say) deletes its unused
confirmation codes in the same flush, so a code mailed earlier cannot overrule the admin.
"""

from __future__ import annotations

from sqlalchemy import delete, event, inspect
from sqlmodel import Session

from bastion.errors import Forbidden, ValidationError
from bastion.invalidation import bump
from bastion.models import User, utcnow
from bastion.models_access import Role, UserAppRole
from bastion.models_self_service import OneTimeCode, RegistrationSetting, RegistrationUpdate
from bastion.passwords import hash_password
from bastion.services.accounts import find_user_by_email
from bastion.services.apps import check_app_roles

SETTING_ID = 1


def get_setting(db: Session) -> RegistrationSetting:
    """The registration setting; off, with no apps, until an admin saves one."""
    return db.get(RegistrationSetting, SETTING_ID) or RegistrationSetting(id=SETTING_ID)


def public(setting: RegistrationSetting) -> dict:
    """The JSON form of the setting."""
    return {"enabled": setting.enabled, "skip_confirmation": setting.skip_confirmation, "apps": setting.apps}


def update_setting(db: Session, data: RegistrationUpdate) -> RegistrationSetting:
    """Apply the fields sent; each app and role must exist, and an app is listed once."""
    setting = get_setting(db)
    sent = data.model_dump(exclude_unset=True)
    for key in ("enabled", "skip_confirmation", "apps"):
        if key in sent and sent[key] is None:
            raise ValidationError({key: "must not be null"})
    if data.apps is not None:
        check_app_roles(db, data.apps, "apps", "an app is listed once")
        setting.apps = [item.model_dump() for item in data.apps]
    setting.enabled = sent.get("enabled", setting.enabled)
    setting.skip_confirmation = sent.get("skip_confirmation", setting.skip_confirmation)
    if setting.enabled and not setting.apps:
        raise ValidationError({"apps": "choose at least one app (and its role) to turn registration on"})
    db.add(setting)
    db.flush()
    return setting


def role_for(setting: RegistrationSetting, app_id: int | None) -> int:
    """The role new users get through this app; 403 when registration is off for it."""
    if setting.enabled and app_id is not None:
        for item in setting.apps:
            if item["app_id"] == app_id:
                return item["role_id"]
    raise Forbidden("Open registration is not enabled for this app")


def create_account(
    db: Session, email: str, name: str, password_hash: str, app_id: int, role_id: int, active: bool
) -> User:
    """A new non-admin user with the registration role for the app."""
    if db.get(Role, role_id) is None:  # the role was deleted after the setting was saved
        raise Forbidden("Open registration for this app has no role; ask an administrator")
    user = User(email=email, name=name, password_hash=password_hash, is_active=active, is_sys_admin=False)
    db.add(user)
    db.flush()
    db.add(UserAppRole(user_id=user.id, app_id=app_id, role_id=role_id))
    bump(db, "access")
    db.flush()
    return user


@event.listens_for(User, "before_update")
def _void_confirmations(_mapper, connection, user: User) -> None:
    """Changing an inactive account voids its unused confirmation codes (active accounts have none)."""
    history = inspect(user).attrs.is_active.history
    was_active = (history.deleted or history.unchanged or [user.is_active])[0]
    if was_active:
        return  # logins and edits of active accounts cost no extra statement
    unused = (
        (OneTimeCode.user_id == user.id) & (OneTimeCode.purpose == "confirm") & OneTimeCode.used_at.is_(None)
    )
    connection.execute(delete(OneTimeCode.__table__).where(unused))


def activate(db: Session, user: User) -> None:
    """Activate a pending account whose confirmation code was just redeemed."""
    user.is_active = True
    user.updated_at = utcnow()
    db.add(user)
    bump(db, "access")
    bump(db, "sessions")
    db.flush()


def find_account(db: Session, email: str) -> User | None:
    """The non-admin account with this address, if any (admins never use self-service)."""
    user = find_user_by_email(db, email)
    return user if user is not None and not user.is_sys_admin else None


def hashed(password: str) -> str:
    """The password's hash, computed before anything else so every answer costs the same."""
    return hash_password(password)
