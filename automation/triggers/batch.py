"""The events job: a batch of domain events in one RQ job.

The batch shares its lookups (the events, their opportunities, each pipeline's enabled triggers
with their effects: one query each), marks the events that fire nothing as processed in one
statement, and runs the others one by one through the engine (each effect still commits on its
own, with its unique run key: a batch replayed after a crash does nothing twice). Events that
the effects cause (a tag added, an action created…) are handled in the same job, in later rounds.
"""

from __future__ import annotations

import contextlib
from collections import Counter

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from automation import dispatch
from automation.queues import enqueue_events
from automation.triggers.engine import fire, fired_triggers
from crm.extensions import db
from crm.models import DomainEvent, Opportunity, Trigger, utcnow

MAX_EVENTS_PER_JOB = 500  # caused events past this go back to the queue


def process_events(event_ids: list[int]) -> dict[str, int]:
    """RQ job: consume these events, then the events their effects caused. Counts by outcome."""
    session = db.session()
    caused: list[int] = []
    session.info[dispatch.COLLECT] = {DomainEvent: caused}
    # Within the job, rows stay loaded across commits (each effect commits): the batch sees an
    # opportunity as it was when the batch began, and every write is still guarded by its key.
    session.expire_on_commit = False
    counts: Counter[str] = Counter()
    todo, handled = sorted(set(event_ids)), 0
    triggers: dict[int, list[Trigger]] = {}
    try:
        while todo and handled < MAX_EVENTS_PER_JOB:
            batch, todo = todo[: MAX_EVENTS_PER_JOB - handled], todo[MAX_EVENTS_PER_JOB - handled :]
            _round(batch, triggers, counts)
            handled += len(batch)
            todo += caused
            caused.clear()
    finally:
        session.info.pop(dispatch.COLLECT, None)
        session.expire_on_commit = True
        session.expire_all()
        if left := todo + caused:
            with contextlib.suppress(Exception):  # Redis away: the sweep finds them unprocessed
                enqueue_events(left)
    return dict(counts)


def _round(event_ids: list[int], triggers: dict[int, list[Trigger]], counts: Counter[str]) -> None:
    events = db.session.scalars(
        select(DomainEvent).where(DomainEvent.id.in_(event_ids)).order_by(DomainEvent.id)
    ).all()
    counts["nothing to do"] += len(event_ids) - len(events)
    events = [e for e in events if e.processed_at is None]
    opportunity_ids = {e.opportunity_id for e in events if e.opportunity_id}
    opportunities = {
        o.id: o for o in db.session.scalars(select(Opportunity).where(Opportunity.id.in_(opportunity_ids)))
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
        counts[fire(event, opportunity, fired)] += 1


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
