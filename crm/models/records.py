"""Accounts (companies), contacts (people at an account) and leads (unqualified prospects)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import Timestamps
from crm.models.users import User

if TYPE_CHECKING:
    from crm.models.pipeline import Tag


class Reachable(Timestamps):
    """Fields every record we can write to carries."""

    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    opt_in: Mapped[bool] = mapped_column(nullable=False, default=False)
    unsubscribed: Mapped[bool] = mapped_column(nullable=False, default=False)


class Account(Reachable, db.Model):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    website: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    owner: Mapped[User | None] = relationship()
    # The person scenarios write to when the account itself is enrolled.
    main_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "contacts.id", ondelete="SET NULL", use_alter=True, name="fk_accounts_main_contact_id_contacts"
        )
    )
    main_contact: Mapped[Contact | None] = relationship(foreign_keys=[main_contact_id], post_update=True)
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="account", order_by="Contact.last_name", foreign_keys="Contact.account_id"
    )

    @property
    def display_name(self) -> str:
        return self.name


class Contact(Reachable, db.Model):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    last_name: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    job_title: Mapped[str | None] = mapped_column(String(120))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    account: Mapped[Account | None] = relationship(back_populates="contacts", foreign_keys=[account_id])
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    owner: Mapped[User | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary="contact_tags", order_by="Tag.name")

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Lead(Reachable, db.Model):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    last_name: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    company: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(80))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    owner: Mapped[User | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary="lead_tags", order_by="Tag.name")
    # Converted (crm.services.conversion): when, and the account and contact it became.
    converted_at: Mapped[datetime | None] = mapped_column(DateTime)
    converted_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    converted_contact: Mapped[Contact | None] = relationship(foreign_keys=[converted_contact_id])
    converted_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    converted_account: Mapped[Account | None] = relationship(foreign_keys=[converted_account_id])

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
