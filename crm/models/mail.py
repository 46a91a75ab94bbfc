"""Mail: verified senders, uploads, templates, the outbox, suppressions and campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import Timestamps, utcnow

OUTBOX_STATUSES = ("queued", "sending", "sent", "retrying", "failed", "suppressed")
# system: account mail (sender verification); transactional: one business document to one
# person (quotes, internal notices); marketing: campaigns; scenario: one-to-one sequences.
MAIL_KINDS = ("system", "transactional", "marketing", "scenario")
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "paused", "sent")


class SenderAddress(Timestamps, db.Model):
    __tablename__ = "sender_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    verification_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    rate_per_minute: Mapped[int | None] = mapped_column()

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class Upload(db.Model):
    """A file stored under instance/uploads (never under static/), by content hash."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A file that belongs to an opportunity (a sent quote's PDF) is read by whoever sees it.
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"), index=True
    )

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


template_attachments = Table(
    "template_attachments",
    db.metadata,
    Column("template_id", ForeignKey("email_templates.id", ondelete="CASCADE"), primary_key=True),
    Column("upload_id", ForeignKey("uploads.id"), primary_key=True),
)


class EmailTemplate(Timestamps, db.Model):
    __tablename__ = "email_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    subject: Mapped[str] = mapped_column(String(250), nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    track_opens: Mapped[bool] = mapped_column(nullable=False, default=False)
    track_clicks: Mapped[bool] = mapped_column(nullable=False, default=False)
    attachments: Mapped[list[Upload]] = relationship(secondary=template_attachments, order_by="Upload.id")


class OutboxMessage(db.Model):
    """Every outgoing email, written in the same transaction as its cause, then sent by a job."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_recipient", "recipient_type", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="queued")
    to_email: Mapped[str] = mapped_column(String(254), nullable=False)
    to_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    from_email: Mapped[str] = mapped_column(String(254), nullable=False)
    from_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    reply_to: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(250), nullable=False)
    html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    message_id: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    attachment_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("sender_addresses.id"))
    recipient_type: Mapped[str | None] = mapped_column(String(10))
    recipient_id: Mapped[int | None] = mapped_column()
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    template_id: Mapped[int | None] = mapped_column(ForeignKey("email_templates.id", ondelete="SET NULL"))
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollments.id", ondelete="SET NULL"), index=True
    )
    simulation: Mapped[bool] = mapped_column(nullable=False, default=False)
    track_opens: Mapped[bool] = mapped_column(nullable=False, default=False)
    track_clicks: Mapped[bool] = mapped_column(nullable=False, default=False)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    suppressed_reason: Mapped[str | None] = mapped_column(String(200))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    open_count: Mapped[int] = mapped_column(nullable=False, default=0)
    clicked_at: Mapped[datetime | None] = mapped_column(DateTime)
    click_count: Mapped[int] = mapped_column(nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class Suppression(db.Model):
    """Addresses nobody may mail (one-click unsubscribes, hard bounces), whatever record holds them."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class Campaign(Timestamps, db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    template_id: Mapped[int] = mapped_column(ForeignKey("email_templates.id"), nullable=False)
    template: Mapped[EmailTemplate] = relationship()
    sender_id: Mapped[int] = mapped_column(ForeignKey("sender_addresses.id"), nullable=False)
    sender: Mapped[SenderAddress] = relationship()
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    prepared_at: Mapped[datetime | None] = mapped_column(DateTime)  # every recipient has its outbox row
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    total: Mapped[int] = mapped_column(nullable=False, default=0)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
