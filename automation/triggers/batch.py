"""The events job: a batch of domain events in one RQ job.

The batch shares its lookups (the events, their opportunities, each pipeline's enabled triggers
with their effects: one query each), marks the events that fire nothing as processed in one
statement, and runs the others one by one through the engine (each effect still commits on its
own, with its unique run key: a batch replayed after a crash does nothing twice). Events that
the effects cause (a tag added, an action created…) are handled in the same job, in later rounds.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from automation.queues import enqueue_events
from automation.triggers.engine import MAX_ATTEMPTS, fail_run, fire, fired_triggers, trigger_run
from crm.extensions import db
from crm.facts import fact
from crm.models import DomainEvent, Opportunity, Trigger, utcnow
from crm.services.job_state import job_scope

log = logging.getLogger(__name__)
MAX_EVENTS_PER_JOB = 500  # caused events past this go back to the queue


class EventsFailed(Exception):
    """Some events of the batch raised; the others were processed. RQ records the job failed."""


def process_events(event_ids: list[int]) -> dict[str, int]:
    """RQ job: consume these events, then the events their effects caused. Counts by outcome."""
    session = db.session()
    caused: list[int] = []
    # Within the job, rows stay loaded across commits (each effect commits): the batch sees an
    # opportunity as it was when the batch began, and every write is still guarded by its key.
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    counts: Counter[str] = Counter()
    failed: dict[int, str] = {}
    todo, handled = sorted(set(event_ids)), 0
    triggers: dict[int, list[Trigger]] = {}
    try:
        with job_scope(session, collect_dispatch={DomainEvent: caused}):
            while todo and handled < MAX_EVENTS_PER_JOB:
                batch, todo = todo[: MAX_EVENTS_PER_JOB - handled], todo[MAX_EVENTS_PER_JOB - handled :]
                _round(batch, triggers, counts, failed)
                handled += len(batch)
                todo += caused
                caused.clear()
    finally:
        session.expire_on_commit = expire_on_commit
        session.expire_all()
        if left := todo + caused:
            try:
                enqueue_events(left)
            except Exception:  # Redis away: the sweep finds them unprocessed
                log.warning("could not enqueue events %s; the sweep will", left, exc_info=True)
    if failed:
        raise EventsFailed(f"{len(failed)} event(s) failed: {failed}")
    return {outcome: n for outcome, n in counts.items() if n}


def _round(
    event_ids: list[int], triggers: dict[int, list[Trigger]], counts: Counter[str], failed: dict[int, str]
) -> None:
    events = db.session.scalars(
        select(DomainEvent).where(DomainEvent.id.in_(event_ids)).order_by(DomainEvent.id)
    ).all()
    counts["nothing to do"] += len(event_ids) - len(events)
    events = [e for e in events if e.processed_at is None]
    opportunity_ids = {e.opportunity_id for e in events if e.opportunity_id}
    opportunities = {
        o.id: o
        for o in db.session.scalars(
            select(Opportunity)
            .where(Opportunity.id.in_(opportunity_ids))
            .execution_options(populate_existing=True)  # fresh each round, even if loaded before
        )
    }
    work, quiet = [], []
    for event in events:
        opportunity = opportunities.get(event.opportunity_id or 0)
        pipeline_triggers = _triggers(opportunity.pipeline_id, triggers) if opportunity else []
        fired = fired_triggers(event, opportunity, pipeline_triggers)
        if fired:
            work.append((event, opportunity, fired))
        else:
            quiet.append(event.id)
    if quiet:  # nothing to run: processed together
        db.session.execute(
            update(DomainEvent)
            .where(DomainEvent.id.in_(quiet), DomainEvent.processed_at.is_(None))
            .values(processed_at=utcnow(), attempts=DomainEvent.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        counts["processed"] += len(quiet)
    for event, opportunity, fired in work:
        try:
            counts[fire(event, opportunity, fired)] += 1
        except Exception as exc:  # one broken event must not hold back the others of the batch
            db.session.rollback()
            log.exception("event %s failed", event.id)
            failed[event.id] = f"{type(exc).__name__}: {exc}"[:500]
            db.session.execute(
                update(DomainEvent)
                .where(DomainEvent.id == event.id)
                .values(attempts=DomainEvent.attempts + 1, last_error=failed[event.id])
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            attempts = db.session.scalar(select(DomainEvent.attempts).where(DomainEvent.id == event.id))
            if (attempts or 0) >= MAX_ATTEMPTS:
                _give_up(event.id, opportunity, fired, failed[event.id])


def _give_up(event_id: int, opportunity: Opportunity, fired: list[Trigger], reason: str) -> None:
    """An event that kept raising: its unfinished runs fail with the reason, said on the
    opportunity's feed and the runs page, and the event is done (no endless replays)."""
    event = db.session.get(DomainEvent, event_id, populate_existing=True)
    text = fact("event_gave_up", num=event.attempts, reason=reason)
    for trigger in fired:
        run = trigger_run(event, opportunity, trigger)
        if run.status not in ("done", "failed", "stopped"):
            fail_run(run, opportunity, trigger, reason, text)
    event.processed_at = utcnow()
    db.session.commit()


def _triggers(pipeline_id: int, cache: dict[int, list[Trigger]]) -> list[Trigger]:
    if pipeline_id not in cache:
        cache[pipeline_id] = list(
            db.session.scalars(
                select(Trigger)
                .where(Trigger.pipeline_id == pipeline_id, Trigger.enabled.is_(True))
                .order_by(Trigger.position, Trigger.id)
                .options(selectinload(Trigger.effects))
            )
        )
    return cache[pipeline_id]
