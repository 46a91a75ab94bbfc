"""Sales-automation scenarios: steps on a tree of paths, enrollments walking them, their timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import Timestamps, utcnow
from crm.models.mail import Upload

STEP_KINDS = ("email", "pause", "if", "end")
STEP_FILE_ROLES = ("attachment", "image")  # sent attached / shown inline in the message
# Enrollments in one of these statuses are "in" the scenario; the others are history.
LIVE = ("active",)
ENROLLMENT_STATUSES = ("active", "completed", "exited", "replied", "removed")
PERSON_TYPES = ("contact", "lead")


class Scenario(Timestamps, db.Model):
    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    steps: Mapped[list[ScenarioStep]] = relationship(
        back_populates="scenario", cascade="all, delete-orphan", order_by="ScenarioStep.position"
    )


class ScenarioStep(db.Model):
    """A step on a path. The main path has no parent; an If step's branches have it as parent."""

    __tablename__ = "scenario_steps"
    __table_args__ = (Index("ix_scenario_steps_path", "scenario_id", "parent_id", "branch", "position"),)
    # An If step's branches go with it by the database's ON DELETE CASCADE; when the session deletes
    # them in the same flush, its own DELETE finds them already gone. That is expected, not a race.
    __mapper_args__ = {"confirm_deleted_rows": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), nullable=False)
    scenario: Mapped[Scenario] = relationship(back_populates="steps")
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    config: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("scenario_steps.id", ondelete="CASCADE"))
    branch: Mapped[str | None] = mapped_column(String(3))  # "yes" / "no" under an If step
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    files: Mapped[list[StepFile]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="StepFile.upload_id"
    )

    @property
    def attachments(self) -> list[Upload]:
        return [f.upload for f in self.files if f.role == "attachment"]


class StepFile(db.Model):
    """An uploaded file an email step uses: one of its attachments, or an image in its message.
    Who may read an upload can be asked here: the step's scenario owns it."""

    __tablename__ = "scenario_step_files"
    # Steps under a removed If go by ON DELETE CASCADE, their files with them (see ScenarioStep).
    __mapper_args__ = {"confirm_deleted_rows": False}

    step_id: Mapped[int] = mapped_column(
        ForeignKey("scenario_steps.id", ondelete="CASCADE"), primary_key=True
    )
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(10), primary_key=True)
    upload: Mapped[Upload] = relationship()


class Enrollment(db.Model):
    """One person in one scenario: where they are, and when their current step is due."""

    __tablename__ = "enrollments"
    __table_args__ = (
        # The sweep's range scan: only live enrollments, by due time.
        Index(
            "ix_enrollments_due",
            "next_run_at",
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        # A person is in a scenario at most once at a time (simulations aside).
        Index(
            "uq_enrollments_live_person",
            "scenario_id",
            "person_type",
            "person_id",
            unique=True,
            postgresql_where=text("status = 'active' AND simulation = false"),
            sqlite_where=text("status = 'active' AND simulation = 0"),
        ),
        Index("ix_enrollments_scenario", "scenario_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), nullable=False)
    scenario: Mapped[Scenario] = relationship()
    person_type: Mapped[str] = mapped_column(String(10), nullable=False)
    person_id: Mapped[int] = mapped_column(nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    current_step_id: Mapped[int | None] = mapped_column(ForeignKey("scenario_steps.id", ondelete="SET NULL"))
    current_step: Mapped[ScenarioStep | None] = relationship()
    step_entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(nullable=False, default=0)
    simulation: Mapped[bool] = mapped_column(nullable=False, default=False)
    # A simulation sent to the admin's own address as a test (None: sent to the person).
    test_recipient: Mapped[str | None] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(40), nullable=False, default="manual")
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id", ondelete="SET NULL"))
    last_outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "outbox.id", ondelete="SET NULL", use_alter=True, name="fk_enrollments_last_outbox_id_outbox"
        )
    )
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    exit_reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    # Optimistic locking: two workers advancing the same enrollment cannot both commit.
    __mapper_args__ = {"version_id_col": version}


class EnrollmentEvent(db.Model):
    """The timeline of an enrollment: entered, sent, waited, branch taken, skipped and why…"""

    __tablename__ = "enrollment_events"
    __table_args__ = (Index("ix_enrollment_events_enrollment", "enrollment_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), nullable=False
    )
    step_id: Mapped[int | None] = mapped_column(
        ForeignKey("scenario_steps.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
