"""Pipelines ("processes"), their ordered stages, opportunities and tags."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import Timestamps, utcnow
from crm.models.records import Account, Contact
from crm.models.users import User

RESULTS = ("open", "won", "lost", "dormant")
CLOSED_RESULTS = ("won", "lost", "dormant")


pipeline_members = Table(
    "pipeline_members",
    db.metadata,
    Column("pipeline_id", ForeignKey("pipelines.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Pipeline(Timestamps, db.Model):
    __tablename__ = "pipelines"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    # A restricted pipeline is seen by admins and its members only; the others see everything.
    restricted: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=false())
    members: Mapped[list[User]] = relationship(secondary=pipeline_members, order_by="User.name")
    stages: Mapped[list[Stage]] = relationship(
        back_populates="pipeline", order_by="Stage.position", cascade="all, delete-orphan"
    )


class Stage(db.Model):
    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("pipeline_id", "name", name="uq_stages_pipeline_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id"), nullable=False, index=True)
    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    # A card staying longer than this many days is flagged idle; None: never.
    idle_days: Mapped[int | None] = mapped_column()
    # Chance, in percent, that an opportunity in this stage is won: the weighted totals.
    probability: Mapped[int | None] = mapped_column()


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    color: Mapped[str] = mapped_column(String(7), nullable=False, default="#64748b")


opportunity_tags = Table(
    "opportunity_tags",
    db.metadata,
    Column("opportunity_id", ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


contact_tags = Table(
    "contact_tags",
    db.metadata,
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

lead_tags = Table(
    "lead_tags",
    db.metadata,
    Column("lead_id", ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Opportunity(Timestamps, db.Model):
    __tablename__ = "opportunities"
    __table_args__ = (Index("ix_opportunities_board", "pipeline_id", "result", "stage_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id"), nullable=False)
    pipeline: Mapped[Pipeline] = relationship()
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"), nullable=False, index=True)
    stage: Mapped[Stage] = relationship()
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False, default=Decimal("0"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    account: Mapped[Account | None] = relationship()
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    contact: Mapped[Contact | None] = relationship()
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    owner: Mapped[User | None] = relationship()
    result: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    result_reason: Mapped[str | None] = mapped_column(String(500))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    expected_close: Mapped[date | None] = mapped_column(Date)
    stage_entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    tags: Mapped[list[Tag]] = relationship(secondary=opportunity_tags, order_by="Tag.name")

    @property
    def is_open(self) -> bool:
        return self.result == "open"
