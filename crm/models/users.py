"""Users of the CRM: admins and reps."""

from __future__ import annotations

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from crm.extensions import db
from crm.models.base import Timestamps

ROLES = ("admin", "rep")


def password_method() -> str:
    """How new password hashes are made (PASSWORD_HASH_METHOD; scrypt by default)."""
    return current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"


class User(UserMixin, Timestamps, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(10), nullable=False, default="rep")
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="Europe/Paris")
    locale: Mapped[str | None] = mapped_column(String(8))
    signature_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    # Part of the session's user id (get_id): moving it on ends every session and remember-me token.
    session_version: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")

    def set_password(self, password: str) -> None:
        """A new password; every session opened with the old one ends."""
        self.password_hash = generate_password_hash(password, password_method())
        self.session_version = (self.session_version or 0) + 1

    def get_id(self) -> str:
        return f"{self.id}-{self.session_version or 0}"

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def initials(self) -> str:
        return initials_of(self.name, self.email)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


def initials_of(name: str, email: str) -> str:
    """Two letters for an avatar: the first two words of the name, else the email's start."""
    parts = name.split()
    return "".join(p[0] for p in parts[:2]).upper() or email[:2].upper()
