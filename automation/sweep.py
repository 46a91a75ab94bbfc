"""Sweeps: the database is the source of truth, Redis only the transport.

Anything the database says is due but Redis no longer holds (an enqueue lost after
commit, a Redis restart without its data) is enqueued again from here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, exists, or_, select, update

from automation.queues import enqueue_campaign, enqueue_enrollments, enqueue_events, enqueue_mail
from crm.extensions import db
from crm.facts import fact
from crm.models import Campaign, DomainEvent, Enrollment, OutboxMessage, Scenario, utcnow

BATCH = 1000


def sweep_events(now: datetime | None = None, grace_seconds: int | None = None) -> int:
    """Re-enqueue unprocessed events older than the grace period whose last hand-over to the
    queue is older than the requeue delay: the enqueue after commit was lost, Redis lost the job,
    or the worker carrying them died. A replay is harmless: every effect run has a unique key."""
    now = now or utcnow()
    config = current_app.config
    if grace_seconds is None:
        grace_seconds = config["SWEEP_GRACE_SECONDS"]
    cutoff = now - timedelta(seconds=grace_seconds)
    requeue = now - timedelta(seconds=config["MAIL_REQUEUE_SECONDS"])
    lost = db.session.scalars(
        select(DomainEvent.id)
        .where(
            DomainEvent.processed_at.is_(None),
            DomainEvent.created_at <= cutoff,
            or_(DomainEvent.enqueued_at.is_(None), DomainEvent.enqueued_at <= requeue),
        )
        .order_by(DomainEvent.created_at)
        .limit(BATCH)
    ).all()
    if lost:
        db.session.execute(update(DomainEvent).where(DomainEvent.id.in_(lost)).values(enqueued_at=now))
        db.session.commit()
        enqueue_events(lost)
    return len(lost)


def sweep_mail(now: datetime | None = None) -> int:
    """Outbox rows that are due but that no job is carrying any more: a worker died mid-send
    (lease expired), or Redis lost the job. Both go back on the mail queue."""
    now = now or utcnow()
    config = current_app.config
    lease = now - timedelta(seconds=config["MAIL_SENDING_LEASE_SECONDS"])
    stale = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at <= lease)
        .limit(BATCH)
    ).all()
    if stale:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(stale), OutboxMessage.status == "sending")
            .values(
                status="retrying",
                next_attempt_at=now,
                last_error=fact("worker_stopped"),
            )
        )
    requeue = now - timedelta(seconds=config["MAIL_REQUEUE_SECONDS"])
    held = exists().where(Campaign.id == OutboxMessage.campaign_id, Campaign.status != "sending")
    lost = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_(("queued", "retrying")),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.enqueued_at <= requeue,
            or_(OutboxMessage.campaign_id.is_(None), ~held),
        )
        .order_by(OutboxMessage.id)
        .limit(BATCH * 5)
    ).all()
    if lost:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(lost)).values(enqueued_at=now))
    db.session.commit()
    if lost:
        enqueue_mail(lost)
    return len(lost)


def sweep_campaigns(now: datetime | None = None) -> int:
    """Campaigns whose start or preparation job Redis lost."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Campaign.id).where(
            or_(
                (Campaign.status == "scheduled") & (Campaign.scheduled_at <= now - timedelta(seconds=5)),
                (Campaign.status == "sending")
                & Campaign.prepared_at.is_(None)
                & (Campaign.started_at <= now - timedelta(seconds=60)),
            )
        )
    ).all()
    for campaign_id in due:
        enqueue_campaign(campaign_id)
    return len(due)


def due_enrollments(now: datetime, limit: int = BATCH) -> list[int]:
    """Live enrollments whose step is due and that no job carries (an index range scan on
    ix_enrollments_due: the cost follows what is due, not how many people are enrolled)."""
    return list(db.session.scalars(due_query(now, limit)))


def due_query(now: datetime, limit: int) -> Select:  # type: ignore[type-arg]
    requeue = now - timedelta(seconds=current_app.config["MAIL_REQUEUE_SECONDS"])
    return (
        select(Enrollment.id)
        .join(Scenario, Scenario.id == Enrollment.scenario_id)
        .where(
            Enrollment.status == "active",
            Enrollment.next_run_at <= now,
            or_(Enrollment.enqueued_at.is_(None), Enrollment.enqueued_at <= requeue),
            Enrollment.simulation.is_(False),
            Scenario.active.is_(True),
        )
        .order_by(Enrollment.next_run_at)
        .limit(limit)
    )


def sweep_enrollments(now: datetime | None = None) -> int:
    now = now or utcnow()
    ids = due_enrollments(now)
    if ids:
        db.session.execute(update(Enrollment).where(Enrollment.id.in_(ids)).values(enqueued_at=now))
        db.session.commit()
        enqueue_enrollments(ids)
    return len(ids)


def run_sweeps() -> dict[str, int]:
    """Every sweep the worker runs on its maintenance tick."""
    return {
        "events": sweep_events(),
        "mail": sweep_mail(),
        "campaigns": sweep_campaigns(),
        "enrollments": sweep_enrollments(),
    }
