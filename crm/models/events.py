"""Domain events (the queue's source of truth) and the opportunity feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import utcnow
from crm.models.users import User


class DomainEvent(db.Model):
    """Something that happened to a record; written in the same transaction as the change."""

    __tablename__ = "domain_events"
    __table_args__ = (
        # The sweep reads only unprocessed events: a partial index keeps that cheap forever.
        Index(
            "ix_domain_events_unprocessed",
            "created_at",
            postgresql_where=text("processed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"), index=True
    )
    pipeline_id: Mapped[int | None] = mapped_column(ForeignKey("pipelines.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    depth: Mapped[int] = mapped_column(nullable=False, default=0)
    cause_id: Mapped[int | None] = mapped_column(ForeignKey("domain_events.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Last hand-over to the queue (after its commit, by a sweep, or a retry's due time): the sweep
    # hands it over again only once MAIL_REQUEUE_SECONDS have passed since.
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class FeedEntry(db.Model):
    """One line of an opportunity's timeline."""

    __tablename__ = "feed_entries"
    __table_args__ = (Index("ix_feed_entries_opportunity", "opportunity_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[User | None] = relationship()
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
