"""Pipeline triggers: one event, an ordered list of effects; and the record of every run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import Timestamps, utcnow
from crm.models.pipeline import Pipeline

EVENT_KINDS = (
    "result",
    "enter_stage",
    "stage_change",
    "quote_sent",
    "quote_reopened",
    "action_created",
    "action_closed",
)
EFFECT_KINDS = (
    "create_action",
    "post_note",
    "enroll",
    "unenroll",
    "send_email",
    "add_tag",
    "create_campaign",
)
RUN_STATUSES = ("running", "done", "failed", "retrying", "stopped")


class Trigger(Timestamps, db.Model):
    __tablename__ = "triggers"

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(
        ForeignKey("pipelines.id", ondelete="CASCADE"), nullable=False, index=True
    )
    pipeline: Mapped[Pipeline] = relationship()
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    event: Mapped[str] = mapped_column(String(20), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    enabled: Mapped[bool] = mapped_column(nullable=False, default=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    effects: Mapped[list[TriggerEffect]] = relationship(
        back_populates="trigger", order_by="TriggerEffect.position", cascade="all, delete-orphan"
    )


class TriggerEffect(db.Model):
    __tablename__ = "trigger_effects"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger_id: Mapped[int] = mapped_column(
        ForeignKey("triggers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    trigger: Mapped[Trigger] = relationship(back_populates="effects")
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    position: Mapped[int] = mapped_column(nullable=False, default=0)


class TriggerRun(db.Model):
    """One trigger fired by one event."""

    __tablename__ = "trigger_runs"
    __table_args__ = (
        UniqueConstraint("event_id", "trigger_id", name="uq_trigger_runs_event_trigger"),
        Index("ix_trigger_runs_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("domain_events.id", ondelete="CASCADE"), nullable=False)
    trigger_id: Mapped[int | None] = mapped_column(ForeignKey("triggers.id", ondelete="SET NULL"), index=True)
    trigger: Mapped[Trigger | None] = relationship()
    trigger_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="running")
    error: Mapped[str | None] = mapped_column(Text)
    depth: Mapped[int] = mapped_column(nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    effects: Mapped[list[EffectRun]] = relationship(
        order_by="EffectRun.position", cascade="all, delete-orphan"
    )


class EffectRun(db.Model):
    """One effect of one trigger run: its unique key makes a replayed job do nothing twice."""

    __tablename__ = "effect_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)  # event:trigger:effect
    trigger_run_id: Mapped[int] = mapped_column(
        ForeignKey("trigger_runs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    effect_id: Mapped[int | None] = mapped_column(ForeignKey("trigger_effects.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # done / failed / retrying
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
