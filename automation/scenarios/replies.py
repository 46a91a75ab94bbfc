"""A reply to a scenario email (inbound mail, or "mark as replied" by hand) stops the sequence."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from automation.scenarios.engine import finish, timeline
from crm.extensions import db
from crm.models import Enrollment, EnrollmentEvent, ScenarioStep, User, utcnow


def mark_replied(enrollment: Enrollment, *, how: str, actor: User | None = None) -> None:
    """A reply stops the sequence, unless the scenario asks "replied?" in an If step."""
    if enrollment.replied_at is not None:
        return
    enrollment.replied_at = utcnow()
    step = _step_of_last_email(enrollment) or enrollment.current_step
    timeline(enrollment, step, "replied", how=how, by=actor.name if actor else None)
    asks = any(s.kind == "if" and s.config.get("condition") == "replied" for s in enrollment.scenario.steps)
    if enrollment.status == "active" and not asks:
        finish(enrollment, "replied", _("replied"))
    db.session.commit()


def _step_of_last_email(enrollment: Enrollment) -> ScenarioStep | None:
    if not enrollment.last_outbox_id:
        return None
    event = db.session.scalar(
        select(EnrollmentEvent)
        .where(EnrollmentEvent.enrollment_id == enrollment.id, EnrollmentEvent.kind == "sent")
        .order_by(EnrollmentEvent.id.desc())
        .limit(1)
    )
    return db.session.get(ScenarioStep, event.step_id) if event and event.step_id else None
