"""Users: authentication, signing out everywhere, and admin changes."""

from __future__ import annotations

from functools import cache

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from crm.extensions import db
from crm.html import sanitize_html
from crm.i18n import company_timezone
from crm.models import User
from crm.models.users import password_method
from crm.services import ServiceError


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("timing-equaliser", method)


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User:
    """The user these credentials open, or ServiceError. Throttling happens before (crm/auth/throttle);
    a deactivated account answers the same whatever the password, so it tells nothing about it."""
    user = find_by_email(email)
    if user is None or not user.active:
        check_password_hash(_dummy_hash(password_method()), password)  # same cost as a real check
        if user is None:
            raise ServiceError(_("Invalid email or password."), 401)
        raise ServiceError(_("This account is deactivated. Ask an administrator."), 403)
    if not user.check_password(password):
        raise ServiceError(_("Invalid email or password."), 401)
    return user


def end_sessions(user: User) -> None:
    """Sign `user` out everywhere: every session cookie and remember-me token stops working."""
    user.session_version = (user.session_version or 0) + 1
    db.session.commit()


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: str = "rep",
    timezone: str | None = None,
    signature_html: str = "",
    active: bool = True,
    locale: str | None = None,
) -> User:
    if find_by_email(email):
        raise ServiceError(_("A user with this email already exists."), 422, field="email")
    user = User(
        email=email.strip().lower(),
        name=name.strip(),
        role=role,
        timezone=timezone or company_timezone(),
        signature_html=sanitize_html(signature_html),  # shown as HTML: whoever calls, it is cleaned
        active=active,
        locale=locale,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def update_user(user: User, *, actor: User, password: str | None = None, **fields: object) -> User:
    """Apply admin edits; an admin cannot lock everyone out (last active admin stays admin)."""
    email = str(fields.get("email", user.email)).strip().lower()
    other = find_by_email(email)
    if other is not None and other.id != user.id:
        raise ServiceError(_("A user with this email already exists."), 422, field="email")
    loses_admin = user.is_admin and (fields.get("role") != "admin" or not fields.get("active", True))
    if loses_admin and _active_admins() <= 1:
        raise ServiceError(_("This is the last active administrator; keep them an active admin."))
    if user.id == actor.id and not fields.get("active", True):
        raise ServiceError(_("You cannot deactivate your own account."))
    if "signature_html" in fields:
        fields["signature_html"] = sanitize_html(str(fields["signature_html"] or ""))
    for key, value in fields.items():
        setattr(user, key, value)
    user.email = email
    if password:
        user.set_password(password)  # which also ends every session of the user
    db.session.commit()
    return user


def _active_admins() -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
        )
        or 0
    )
