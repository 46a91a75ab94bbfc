"""Actions (the agenda), quotes, and notifications (@mentions, automations that failed)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Numeric, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import Timestamps, utcnow
from crm.models.events import FeedEntry
from crm.models.pipeline import Opportunity
from crm.models.records import Account, Contact
from crm.models.users import User

QUOTE_STATUSES = ("draft", "sent", "accepted", "refused", "reopened")
DEFAULT_ACTION_TYPES = ("Call", "Meeting", "Email", "Administrative", "To-do")


class ActionType(db.Model):
    __tablename__ = "action_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)


class Action(Timestamps, db.Model):
    __tablename__ = "actions"
    __table_args__ = (Index("ix_actions_agenda", "assignee_id", "closed_at", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("action_types.id"), nullable=False)
    type: Mapped[ActionType] = relationship()
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    assignee: Mapped[User] = relationship(foreign_keys=[assignee_id])
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    due_time: Mapped[time | None] = mapped_column(Time)
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    opportunity: Mapped[Opportunity | None] = relationship()
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    contact: Mapped[Contact | None] = relationship()
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    account: Mapped[Account | None] = relationship()
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Quote(Timestamps, db.Model):
    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), nullable=False, index=True
    )
    opportunity: Mapped[Opportunity] = relationship()
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")
    valid_until: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_count: Mapped[int] = mapped_column(nullable=False, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", order_by="QuoteLine.position", cascade="all, delete-orphan"
    )

    @property
    def editable(self) -> bool:
        return self.status in ("draft", "reopened")

    @property
    def total_net(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal("0"))

    @property
    def total_tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), Decimal("0"))

    @property
    def total_gross(self) -> Decimal:
        return self.total_net + self.total_tax

    def tax_by_rate(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(rate, base, tax) per VAT rate, for the totals block."""
        rates: dict[Decimal, tuple[Decimal, Decimal]] = {}
        for line in self.lines:
            base, tax = rates.get(line.vat_rate, (Decimal("0"), Decimal("0")))
            rates[line.vat_rate] = (base + line.net, tax + line.tax)
        return [(rate, base, tax) for rate, (base, tax) in sorted(rates.items())]


CENT = Decimal("0.01")


class QuoteLine(db.Model):
    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(
        ForeignKey("quotes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    quote: Mapped[Quote] = relationship(back_populates="lines")
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    description: Mapped[str] = mapped_column(String(500), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3), nullable=False, default=Decimal("1"))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=Decimal("0"))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, default=Decimal("20"))
    discount: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, default=Decimal("0"))

    @property
    def net(self) -> Decimal:
        gross = Decimal(self.quantity) * Decimal(self.unit_price)
        return (gross * (Decimal("100") - Decimal(self.discount)) / Decimal("100")).quantize(CENT)

    @property
    def tax(self) -> Decimal:
        return (self.net * Decimal(self.vat_rate) / Decimal("100")).quantize(CENT)


class Notification(db.Model):
    """Someone was @mentioned in a note, or (admins) an automation failed on this opportunity:
    shown under the bell until read. Which of the two: the kind of the feed line it points at."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), nullable=False
    )
    opportunity: Mapped[Opportunity] = relationship()
    feed_entry_id: Mapped[int | None] = mapped_column(ForeignKey("feed_entries.id", ondelete="CASCADE"))
    feed_entry: Mapped[FeedEntry | None] = relationship()
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    text: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
