"""The engine: people enter scenarios, the worker walks them step by step, exactly once.

Each transition (and the email a step queues) commits in one transaction guarded by the
enrollment's version: a job that runs twice, or two workers racing, cannot apply a step twice.
Waits are handed to RQ's scheduler; the sweep re-enqueues whatever Redis lost."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from automation import queues
from automation.scenarios import structure
from automation.scenarios.context import StepContext, StepResult
from automation.scenarios.steps import STEPS
from crm.extensions import db
from crm.facts import fact
from crm.models import (
    Account,
    Contact,
    Enrollment,
    EnrollmentEvent,
    Lead,
    Opportunity,
    OutboxMessage,
    Scenario,
    ScenarioStep,
    Suppression,
    User,
    utcnow,
)
from crm.services import Failure, ServiceError
from crm.services.job_state import job_scope, job_state

log = logging.getLogger(__name__)
BLOCKED_RETRY = timedelta(hours=1)
MAX_STEPS_PER_RUN = 50
PEOPLE = {"contact": Contact, "lead": Lead}


def person_of(enrollment: Enrollment) -> Contact | Lead | None:
    model = PEOPLE.get(enrollment.person_type)
    return db.session.get(model, enrollment.person_id) if model else None


def person_type(person: Any) -> str:
    return "lead" if isinstance(person, Lead) else "contact"


def resolve_person(person: Any) -> Contact | Lead:
    """Contacts and leads enter as themselves; an account enters as its main contact."""
    if isinstance(person, Account):
        main = person.main_contact or (person.contacts[0] if person.contacts else None)
        if main is None:
            raise ServiceError(_("%(name)s has no contact to write to.", name=person.name), 422)
        return main
    return person


def live_enrollment(scenario: Scenario, person: Contact | Lead) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.scenario_id == scenario.id,
            Enrollment.person_type == person_type(person),
            Enrollment.person_id == person.id,
            Enrollment.status == "active",
            Enrollment.simulation.is_(False),
        )
    )


def timeline(enrollment: Enrollment, step: ScenarioStep | None, kind: str, **detail: Any) -> None:
    db.session.add(
        EnrollmentEvent(
            enrollment_id=enrollment.id, step_id=step.id if step else None, kind=kind, detail=detail
        )
    )


def enroll(
    scenario: Scenario,
    person: Any,
    *,
    source: str = "manual",
    actor: User | None = None,
    opportunity: Opportunity | None = None,
    simulation: bool = False,
    test_recipient: str | None = None,
    commit: bool = True,
) -> Enrollment:
    """Put a person at the start of a scenario (refused if inactive, empty, or already in it).
    `test_recipient`: a simulation whose emails go to that address (the admin's) as a test."""
    if test_recipient and not simulation:
        raise ValueError("only a simulation sends its emails to a test address")
    person = resolve_person(person)
    if not simulation and not scenario.active:
        raise Failure("scenario_inactive", label=scenario.label)
    first = structure.first_step(scenario)
    if first is None:
        raise ServiceError(_("The scenario has no step yet."), 409)
    if not simulation and live_enrollment(scenario, person) is not None:
        raise ServiceError(_("%(name)s is already in this scenario.", name=person.display_name), 409)
    now = utcnow()
    enrollment = Enrollment(
        scenario_id=scenario.id,
        person_type=person_type(person),
        person_id=person.id,
        current_step_id=first.id,
        step_entered_at=now,
        next_run_at=now,
        enqueued_at=now,
        simulation=simulation,
        test_recipient=test_recipient or None,
        source=source,
        opportunity_id=opportunity.id if opportunity else None,
    )
    db.session.add(enrollment)
    db.session.flush()
    timeline(enrollment, None, "entered", source=source, by=actor.name if actor else None)
    if commit:
        db.session.commit()  # after commit, automation.dispatch hands it to the worker
    return enrollment


def unenroll(
    scenario: Scenario, person: Any, *, reason: str, actor: User | None = None, commit: bool = True
) -> bool:
    person = resolve_person(person)
    enrollment = live_enrollment(scenario, person)
    if enrollment is None:
        if commit:
            db.session.commit()
        return False
    finish(enrollment, "removed", reason)
    timeline(enrollment, enrollment.current_step, "removed", reason=reason, by=actor.name if actor else None)
    if commit:
        db.session.commit()
    return True


def finish(enrollment: Enrollment, status: str, reason: str | None = None) -> None:
    enrollment.status, enrollment.exit_reason, enrollment.finished_at = status, reason, utcnow()
    enrollment.next_run_at = None


def _move(enrollment: Enrollment, step: ScenarioStep | None, now: datetime) -> None:
    if step is None:  # a path without End (only while editing): the person is done
        finish(enrollment, "completed", fact("end_of_path"))
        timeline(enrollment, None, "completed")
        return
    # The relationship, not just the id: the loop reads enrollment.current_step right after.
    enrollment.current_step, enrollment.step_entered_at, enrollment.next_run_at = step, now, now


def run_step(
    enrollment: Enrollment, now: datetime, *, simulation: bool = False, choose_branch: str | None = None
) -> StepResult:
    step = enrollment.current_step
    person = person_of(enrollment)
    if step is None or person is None:
        return StepResult("exit", "skipped", {"reason": fact("person_or_step_gone")})
    ctx = StepContext(enrollment, step, enrollment.scenario, person, now, simulation, choose_branch)
    return STEPS[step.kind].run(ctx)


def apply(enrollment: Enrollment, result: StepResult, now: datetime) -> bool:
    """Record a step's result and move on. True when the next step can run right away."""
    step = enrollment.current_step
    if result.outcome in ("wait", "blocked"):
        enrollment.next_run_at = result.at or now + BLOCKED_RETRY
        # One "waiting until …" line per wait, not one per check (a step reached just now has none).
        arrived_now = enrollment.step_entered_at == now
        if arrived_now or _last_event(enrollment) != (step.id if step else None, result.event):
            timeline(enrollment, step, result.event, **result.detail)
        return False
    timeline(enrollment, step, result.event, **result.detail)
    if result.outcome == "next":
        if "outbox_id" in result.detail:
            enrollment.last_outbox_id = result.detail["outbox_id"]
        _move(enrollment, structure.next_step(step), now)
    elif result.outcome == "branch":
        _move(enrollment, structure.branch_start(step, result.branch or "no"), now)
    elif result.outcome == "exit":
        finish(enrollment, "exited", result.detail.get("reason"))
    elif result.outcome == "end":
        finish(enrollment, "completed")
    return enrollment.status == "active"


def _last_event(enrollment: Enrollment) -> tuple[int | None, str] | None:
    row = db.session.execute(
        select(EnrollmentEvent.step_id, EnrollmentEvent.kind)
        .where(EnrollmentEvent.enrollment_id == enrollment.id)
        .order_by(EnrollmentEvent.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def advance(enrollment_id: int) -> str:
    """Run every step of one enrollment that is due now (see advance_batch)."""
    return advance_batch([enrollment_id])[0]


def advance_batch(enrollment_ids: list[int]) -> list[str]:
    """RQ job: walk each enrollment through its due steps, then send the emails those steps wrote
    over one SMTP connection (the mail job would find them sent; the sweep covers a crash here)."""
    from automation.mailing.send import send_batch

    session = db.session()
    # Scenario, steps, people and reps stay loaded across the batch; each enrollment's version is
    # checked at commit, so nothing stale can be applied. The outbox rows it writes are sent below.
    session.expire_on_commit = False
    outcomes, outbox_ids, waits = [], [], []
    batch = job_scope(
        session, skip_dispatch=(OutboxMessage,), suppressed=None, rep_senders=None, preloaded=[]
    )
    try:
        with batch:
            _preload(enrollment_ids)
            for enrollment_id in enrollment_ids:
                outcome, sent, due = _advance_one(enrollment_id)
                outcomes.append(outcome)
                outbox_ids += sent
                if due is not None:
                    waits.append((enrollment_id, due))
    finally:
        schedule_many(waits)  # committed waits, even if a later enrollment raised
        session.expire_on_commit = True
        session.expire_all()
    if outbox_ids:
        send_batch(outbox_ids, recheck=False)  # written and checked a moment ago, in this job
    return outcomes


def _preload(enrollment_ids: list[int]) -> None:
    """One query per kind for the whole batch instead of one per person. The loaded rows are kept
    in the job's state: the identity map only holds weak references."""
    enrollments = db.session.scalars(select(Enrollment).where(Enrollment.id.in_(enrollment_ids))).all()
    people: list[object] = list(enrollments)
    for kind, model in PEOPLE.items():
        ids = [e.person_id for e in enrollments if e.person_type == kind]
        if ids:
            people += db.session.scalars(select(model).where(model.id.in_(ids))).all()
    emails = {(p.email or "").lower() for p in people if isinstance(p, Contact | Lead)}
    listed = select(func.lower(Suppression.email)).where(func.lower(Suppression.email).in_(emails))
    state = job_state()
    state.suppressed = set(db.session.scalars(listed)) if emails else set()
    state.rep_senders = {}
    state.preloaded = people


def _advance_one(enrollment_id: int) -> tuple[str, list[int], datetime | None]:
    """Apply every due step of one enrollment in one transaction, guarded by its version.
    Returns what happened, the outbox rows it wrote, and when it is due next (to schedule)."""
    sent: list[int] = []
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.status != "active" or enrollment.simulation:
        db.session.rollback()
        return "not active", sent, None
    if not enrollment.scenario.active:
        db.session.rollback()
        return "scenario inactive: the person waits on their step", sent, None
    now = utcnow()
    if enrollment.next_run_at and enrollment.next_run_at > now + timedelta(seconds=1):
        due = enrollment.next_run_at
        db.session.rollback()
        return "not due yet", sent, due
    outcome = "step limit reached"
    try:
        with db.session.no_autoflush:  # one UPDATE of the enrollment at commit, not one per change
            for _step in range(MAX_STEPS_PER_RUN):
                result = run_step(enrollment, now)
                go_on = apply(enrollment, result, now)
                if result.event == "sent":
                    sent.append(result.detail["outbox_id"])
                outcome = result.event
                if not go_on:
                    break
        if enrollment.status == "active":
            enrollment.enqueued_at = enrollment.next_run_at
        due = enrollment.next_run_at if enrollment.status == "active" else None
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()  # another job applied these steps first
        return "already applied elsewhere", [], None
    return outcome, sent, due


def schedule_many(waits: list[tuple[int, datetime]]) -> None:
    """Schedule the committed waits; with Redis away, the sweep finds them by next_run_at."""
    if not waits:
        return
    try:
        queues.schedule_enrollments(waits)
    except Exception:
        log.warning("could not schedule enrollments %s", [w[0] for w in waits], exc_info=True)
